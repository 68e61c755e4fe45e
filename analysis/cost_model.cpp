#include "analysis/cost_model.hpp"

#include <fmt/format.h>

#include <iterator>

namespace scaleout::analysis {

const char* to_string(Tier tier) { return tier == Tier::intra ? "intra-node" : "inter-node"; }

const char* to_string(Collective collective) {
  switch (collective) {
    case Collective::allreduce: return "allreduce";
    case Collective::reduce_scatter: return "reduce_scatter";
    case Collective::allgather: return "allgather";
    case Collective::alltoall: return "alltoall";
    case Collective::sendrecv: return "sendrecv";
  }
  return "?";
}

const char* to_string(Progress progress) { return progress == Progress::blocking ? "blocking" : "polled"; }

std::optional<Collective> parse_collective(std::string_view name) {
  for (int i = 0; i < collective_count; ++i) {
    const auto collective = static_cast<Collective>(i);
    if (name == to_string(collective)) return collective;
  }
  return std::nullopt;
}

AlgorithmTerms algorithm_terms(Collective collective, int ranks) {
  const double p = ranks;
  if (collective == Collective::sendrecv) return {1, 1};
  if (ranks <= 1) return {0, 0};
  if (collective == Collective::allreduce) return {2 * (p - 1), 2 * (p - 1) / p};
  return {p - 1, (p - 1) / p};
}

const AlphaBeta& PiecewiseCost::at(double bytes) const {
  if (pieces.empty()) throw std::logic_error("a piecewise cost without pieces");
  auto piece = pieces.begin();
  while (std::next(piece) != pieces.end() && std::next(piece)->from_bytes <= bytes) ++piece;
  return piece->cost;
}

double flat_seconds(Collective collective, const PiecewiseCost& cost, int ranks, double bytes) {
  const auto terms = algorithm_terms(collective, ranks);
  const auto& fit = cost.at(bytes);
  return terms.steps * fit.alpha + terms.volume * bytes * fit.beta;
}

namespace {
std::size_t index(Tier tier) { return static_cast<std::size_t>(tier); }
std::size_t index(Collective collective) { return static_cast<std::size_t>(collective); }
std::size_t index(Progress progress) { return static_cast<std::size_t>(progress); }
}  // namespace

void CostModel::set(Tier tier, Collective collective, const PiecewiseCost& cost, Progress progress) {
  if (cost.pieces.empty()) throw std::invalid_argument("a cost needs at least one piece");
  fits_[index(progress)][index(tier)][index(collective)] = cost;
}

bool CostModel::has(Tier tier, Collective collective, Progress progress) const {
  return fits_[index(progress)][index(tier)][index(collective)].has_value();
}

const PiecewiseCost& CostModel::fit(Tier tier, Collective collective, Progress progress) const {
  if (progress == Progress::polled && !has(tier, collective, progress)) return fit(tier, collective);
  const auto& fit = fits_[index(progress)][index(tier)][index(collective)];
  if (!fit) {
    throw MissingFit(fmt::format(
        "the calibration has no {} fit of {}: {}", to_string(tier), to_string(collective),
        tier == Tier::intra ? "calibrate with at least 2 ranks per node" : "calibrate on at least 2 nodes"));
  }
  return *fit;
}

void CostModel::scale_bandwidth(Tier tier, double factor) {
  for (auto& by_tier : fits_) {
    for (auto& fit : by_tier[index(tier)]) {
      if (!fit) continue;
      for (auto& piece : fit->pieces) piece.cost.beta /= factor;
    }
  }
}

void CostModel::scale_latency(Tier tier, double factor) {
  for (auto& by_tier : fits_) {
    for (auto& fit : by_tier[index(tier)]) {
      if (!fit) continue;
      for (auto& piece : fit->pieces) piece.cost.alpha *= factor;
    }
  }
}

double CostModel::seconds(Collective collective, const GroupShape& group, double bytes, Progress progress) const {
  if (group.ranks <= 1) return 0.0;
  if (collective == Collective::sendrecv) return point_to_point(group.nodes <= 1, bytes, progress);
  if (group.nodes <= 1) return flat_seconds(collective, fit(Tier::intra, collective, progress), group.ranks, bytes);
  if (group.per_node <= 1) return flat_seconds(collective, fit(Tier::inter, collective, progress), group.ranks, bytes);
  const int g = group.per_node, k = group.nodes;
  const double share = bytes / g;  // what each rank of a node carries over the network
  const auto intra = [&](Collective c) { return flat_seconds(c, fit(Tier::intra, c, progress), g, bytes); };
  const auto inter = [&](Collective c) { return flat_seconds(c, fit(Tier::inter, c, progress), k, share); };
  switch (collective) {
    case Collective::allreduce:
      return intra(Collective::reduce_scatter) + inter(Collective::allreduce) + intra(Collective::allgather);
    case Collective::reduce_scatter: return intra(Collective::reduce_scatter) + inter(Collective::reduce_scatter);
    case Collective::allgather: return inter(Collective::allgather) + intra(Collective::allgather);
    case Collective::alltoall: {
      // Pairwise: g-1 peers inside the node, p-g across the network, each sent S/p.
      const double p = group.ranks;
      const auto& in = fit(Tier::intra, Collective::alltoall, progress).at(bytes);
      const auto& out = fit(Tier::inter, Collective::alltoall, progress).at(bytes);
      return (g - 1) * (in.alpha + bytes / p * in.beta) + (p - g) * (out.alpha + bytes / p * out.beta);
    }
    case Collective::sendrecv: break;
  }
  return 0.0;
}

double CostModel::point_to_point(bool same_node, double bytes, Progress progress) const {
  const auto& fit = this->fit(same_node ? Tier::intra : Tier::inter, Collective::sendrecv, progress).at(bytes);
  return fit.alpha + bytes * fit.beta;
}

}  // namespace scaleout::analysis
