#include "comm/algorithm.hpp"

#include <array>
#include <cmath>

namespace scaleout::comm {

std::string_view name(CollectiveKind kind) noexcept {
  switch (kind) {
    case CollectiveKind::allreduce: return "allreduce";
    case CollectiveKind::reduce_scatter: return "reduce_scatter";
    case CollectiveKind::allgather: return "allgather";
    case CollectiveKind::alltoall: return "alltoall";
    case CollectiveKind::broadcast: return "broadcast";
    case CollectiveKind::reduce: return "reduce";
    case CollectiveKind::sendrecv: return "sendrecv";
  }
  return "?";
}

namespace {
constexpr std::array<std::string_view, algorithm_count> algorithm_names = {"library", "ring", "tree", "pairwise",
                                                                           "direct"};
constexpr std::array<std::string_view, 4> choice_names = {"auto", "ring", "tree", "library"};
}  // namespace

std::string_view name(Algorithm algorithm) noexcept { return algorithm_names[static_cast<std::size_t>(algorithm)]; }

std::optional<Algorithm> parse_algorithm(std::string_view text) noexcept {
  for (std::size_t i = 0; i < algorithm_names.size(); ++i) {
    if (algorithm_names[i] == text) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

std::string_view name(AlgorithmChoice choice) noexcept { return choice_names[static_cast<std::size_t>(choice)]; }

std::optional<AlgorithmChoice> parse_algorithm_choice(std::string_view text) noexcept {
  for (std::size_t i = 0; i < choice_names.size(); ++i) {
    if (choice_names[i] == text) return static_cast<AlgorithmChoice>(i);
  }
  return std::nullopt;
}

AutoEstimate auto_estimate(Span span, std::uint64_t bytes) noexcept {
  // NCCL's tuning model (src/graph/tuning.cc, ncclTopoTuneModel), Simple protocol, in microseconds
  // and GB/s. Latency: a base per algorithm plus a hardware latency per step, NVLink-class inside a
  // node and the network's between nodes; a ring allreduce takes 2(n-1) steps of which 2 x nodes
  // cross the network, a tree 2 x ((ranks per node - 1) intra-node steps + log2(nodes) network steps).
  // Bandwidth: both run on the same bus bandwidth; a ring's algorithm bandwidth is n / (2(n-1)) of
  // it, a tree's half of 92 % of it (NCCL's correction for the tree's imbalance).
  constexpr double ring_base = 8.4, tree_base = 8.4;
  constexpr double ring_intra = 3.4, ring_network = 14.0, tree_intra = 4.0, tree_network = 14.0;
  constexpr double bus_gbs = 20.0;  // one network link's worth per rank; it cancels out of most choices
  const double n = span.ranks, nodes = span.nodes, per_node = n / nodes;
  const double steps = 2 * (n - 1), network_steps = nodes > 1 ? 2 * nodes : 0;
  AutoEstimate estimate;
  estimate.ring_s = 1e-6 * (ring_base + (steps - network_steps) * ring_intra + network_steps * ring_network) +
                    static_cast<double>(bytes) / (bus_gbs * 1e9 * n / steps);
  estimate.tree_s = 1e-6 * (tree_base + 2 * ((per_node - 1) * tree_intra + std::log2(nodes) * tree_network)) +
                    static_cast<double>(bytes) / (bus_gbs * 1e9 * 0.92 * 0.5);
  return estimate;
}

Algorithm choose_algorithm(AlgorithmChoice choice, CollectiveKind kind, Span span, std::uint64_t bytes) noexcept {
  if (choice == AlgorithmChoice::library) return Algorithm::library;
  switch (kind) {
    case CollectiveKind::allreduce: {
      if (choice == AlgorithmChoice::ring) return Algorithm::ring;
      if (choice == AlgorithmChoice::tree) return Algorithm::tree;
      if (span.ranks <= 2) return Algorithm::ring;  // a tree of two is a ring of two
      const AutoEstimate estimate = auto_estimate(span, bytes);
      return estimate.tree_s < estimate.ring_s ? Algorithm::tree : Algorithm::ring;
    }
    case CollectiveKind::reduce_scatter:
    case CollectiveKind::allgather: return Algorithm::ring;
    case CollectiveKind::alltoall: return Algorithm::pairwise;
    case CollectiveKind::broadcast:
    case CollectiveKind::reduce: return Algorithm::library;
    case CollectiveKind::sendrecv: return Algorithm::direct;
  }
  return Algorithm::library;
}

}  // namespace scaleout::comm
