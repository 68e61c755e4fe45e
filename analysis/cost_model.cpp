#include "analysis/cost_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "comm/collective_schedule.hpp"

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
  for (auto& by_tier : hops_) {
    if (auto& hop = by_tier[index(tier)]) hop->beta /= factor;
  }
  for (auto& by_tier : fits_) {
    for (auto& fit : by_tier[index(tier)]) {
      if (!fit) continue;
      for (auto& piece : fit->pieces) piece.cost.beta /= factor;
    }
  }
}

void CostModel::scale_latency(Tier tier, double factor) {
  for (auto& by_tier : hops_) {
    if (auto& hop = by_tier[index(tier)]) hop->alpha *= factor;
  }
  for (auto& by_tier : fits_) {
    for (auto& fit : by_tier[index(tier)]) {
      if (!fit) continue;
      for (auto& piece : fit->pieces) piece.cost.alpha *= factor;
    }
  }
}

namespace {

comm::CollectiveKind kind_of(Collective collective) {
  switch (collective) {
    case Collective::allreduce: return comm::CollectiveKind::allreduce;
    case Collective::reduce_scatter: return comm::CollectiveKind::reduce_scatter;
    case Collective::allgather: return comm::CollectiveKind::allgather;
    case Collective::alltoall: return comm::CollectiveKind::alltoall;
    case Collective::sendrecv: break;
  }
  return comm::CollectiveKind::sendrecv;
}

std::vector<int> nodes_of(const GroupShape& group) {
  if (!group.node_of_rank.empty()) return group.node_of_rank;
  std::vector<int> nodes;
  nodes.reserve(static_cast<std::size_t>(std::max(group.ranks, 0)));
  for (int r = 0; r < group.ranks; ++r) nodes.push_back(r / std::max(group.per_node, 1));
  return nodes;
}

// What the schedule of S bytes puts on the links, in bytes per rank and per node. Kept per distinct
// operation: a program repeats few sizes, and a group of thousands of ranks takes a pass over them.
struct Load {
  double rank_intra = 0;    // the busiest rank's bytes to its own node
  double node_network = 0;  // the busiest node's bytes out of it or into it
  int intra_rounds = 0, network_rounds = 0;
};

Load load_of(comm::CollectiveKind kind, comm::Algorithm algorithm, const std::vector<int>& nodes, double bytes) {
  using Key = std::tuple<comm::CollectiveKind, comm::Algorithm, std::vector<int>, std::uint64_t>;
  static thread_local std::map<Key, Load> kept;
  const auto ranks = static_cast<std::uint64_t>(nodes.size());
  // Whole bytes, a multiple of the ranks where the collective has blocks.
  std::uint64_t count = static_cast<std::uint64_t>(std::max(bytes, 0.0));
  if (kind != comm::CollectiveKind::allreduce) count = (count + ranks - 1) / ranks * ranks;
  Key key{kind, algorithm, nodes, count};
  if (const auto found = kept.find(key); found != kept.end()) return found->second;
  const comm::CollectiveSchedule schedule({kind, algorithm, count, 1, nodes, comm::Chunking{}});
  const comm::Traffic traffic = schedule.traffic();
  Load load;
  std::map<int, std::pair<double, double>> node_out_in;
  for (std::size_t r = 0; r < traffic.ranks.size(); ++r) {
    const auto& rank = traffic.ranks[r];
    load.rank_intra = std::max(load.rank_intra, static_cast<double>(rank.to_same_node));
    auto& [out, in] = node_out_in[nodes[r]];
    out += static_cast<double>(rank.to_other_nodes);
    in += static_cast<double>(rank.from_other_nodes);
  }
  for (const auto& [node, out_in] : node_out_in)
    load.node_network = std::max({load.node_network, out_in.first, out_in.second});
  load.intra_rounds = traffic.intra_rounds;
  load.network_rounds = traffic.network_rounds;
  if (kept.size() > 4096) kept.clear();
  kept.emplace(std::move(key), load);
  return load;
}

// One hop of an own algorithm from a point-to-point fit, where no hop was set from the measurements
// (calibration.hpp's hop_of): the latency of the smallest messages (the first piece's alpha) and the
// bandwidth of the largest (the last piece's beta). A piece's alpha in between is the intercept of a
// line through a regime (a protocol switch, TCP's window opening, a token bucket's burst), not a
// latency each hop pays; an algorithm keeps its window of chunks in flight, so its bytes flow at the
// link's sustained rate.
AlphaBeta hop_cost(const PiecewiseCost& fit) {
  if (fit.pieces.empty()) throw std::logic_error("a piecewise cost without pieces");
  return {fit.pieces.front().cost.alpha, fit.pieces.back().cost.beta};
}

}  // namespace

void CostModel::set_hop(Tier tier, const AlphaBeta& hop, Progress progress) {
  hops_[index(progress)][index(tier)] = hop;
}

AlphaBeta CostModel::hop(Tier tier, Progress progress) const {
  if (const auto& kept = hops_[index(progress)][index(tier)]) return *kept;
  if (progress == Progress::polled && hops_[index(Progress::blocking)][index(tier)] &&
      !has(tier, Collective::sendrecv, progress))
    return *hops_[index(Progress::blocking)][index(tier)];
  return hop_cost(fit(tier, Collective::sendrecv, progress));
}

double CostModel::own_seconds(Collective collective, comm::Algorithm algorithm, const GroupShape& group, double bytes,
                              Progress progress) const {
  const Load load = load_of(kind_of(collective), algorithm, nodes_of(group), bytes);
  double seconds = 0, intra_bytes = 0, network_bytes = 0;
  if (load.intra_rounds > 0 || load.rank_intra > 0) {
    const AlphaBeta hop = this->hop(Tier::intra, progress);
    seconds += load.intra_rounds * hop.alpha;
    intra_bytes = load.rank_intra * hop.beta;
  }
  if (load.network_rounds > 0 || load.node_network > 0) {
    const AlphaBeta hop = this->hop(Tier::inter, progress);
    seconds += load.network_rounds * hop.alpha;
    // One link's beta from a fit measured with calibrated_sharing_ ranks per node on the link.
    network_bytes = load.node_network * group.sharing_link * hop.beta / calibrated_sharing_;
  }
  // The chunks of both tiers flow at once: the busier link decides.
  return seconds + std::max(intra_bytes, network_bytes);
}

double CostModel::seconds(Collective collective, const GroupShape& group, double bytes, Progress progress,
                          comm::Algorithm algorithm) const {
  if (group.ranks <= 1) return 0.0;
  if (collective == Collective::sendrecv) return point_to_point(group.nodes <= 1, bytes, progress);
  if (comm::is_own(algorithm)) return own_seconds(collective, algorithm, group, bytes, progress);
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
