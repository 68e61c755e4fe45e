#include "comm/algorithm.hpp"

#include <algorithm>
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

std::span<const std::string_view> algorithm_choice_names() noexcept { return choice_names; }

std::string_view name(AlgorithmChoice choice) noexcept { return choice_names[static_cast<std::size_t>(choice)]; }

std::optional<AlgorithmChoice> parse_algorithm_choice(std::string_view text) noexcept {
  for (std::size_t i = 0; i < choice_names.size(); ++i) {
    if (choice_names[i] == text) return static_cast<AlgorithmChoice>(i);
  }
  return std::nullopt;
}

AutoEstimate auto_estimate(Span span, std::uint64_t bytes) noexcept {
  // NCCL v2.23.4's tuning model (src/graph/tuning.cc: ncclTopoTuneModel, ncclTopoGetAlgoTime), Simple
  // protocol, allreduce, in microseconds and GB/s, with NVLink inside a node and an InfiniBand-class
  // network between nodes:
  // - latency: baseLat 8.4 for both, plus per step hwLat: ring 3.4 inside a node (at least 3 x the
  //   1.0 network overhead once nodes > 1) and 14 across; 2(n-1) steps of which 2(nodes-1) cross the
  //   network, x 1.4 (Hopper's "plateau" factor) across nodes once a rank's share is 64 bytes or
  //   more; tree 4.0 inside, 14 across, 2 x ((ranks per node - 1) + floor(log2 nodes)) steps.
  // - bandwidth: both on one bus bandwidth, one channel of 20 GB/s (topo.h: SM90_NVLINK_BW 20.6,
  //   NET_BW 12 for 100 Gbit/s); a ring's algorithm bandwidth is n / (2(n-1)) of it, a tree's half of
  //   92 % of it, times the tree correction factor of the message's size.
  constexpr double base = 8.4, ring_intra = 3.4, ring_network = 14.0, tree_intra = 4.0, tree_network = 14.0;
  constexpr double network_overhead = 3 * 1.0, plateau = 1.4, bus_gbs = 20.0;
  // treeCorrectionFactor[Simple], indexed by floor(log2(bytes / 64)), 64 B to 256 MB.
  constexpr std::array<double, 23> tree_correction = {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5,
                                                      .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9};
  const double n = span.ranks, nodes = span.nodes, per_node = n / nodes;
  const double steps = 2 * (n - 1), network_steps = nodes > 1 ? 2 * (nodes - 1) : 0;
  const double intra = nodes > 1 ? std::max(ring_intra, network_overhead) : ring_intra;
  double ring_latency = base + (steps - network_steps) * intra + network_steps * ring_network;
  if (nodes > 1 && static_cast<double>(bytes) / n >= 64) ring_latency *= plateau;
  const double log_nodes = std::floor(std::log2(std::max(nodes, 1.0)));
  const double tree_latency = base + 2 * ((per_node - 1) * tree_intra + log_nodes * tree_network);
  const std::uint64_t chunks = bytes >> 6;
  const int size_class = chunks == 0 ? 0 : static_cast<int>(std::floor(std::log2(static_cast<double>(chunks))));
  const double correction = size_class < static_cast<int>(tree_correction.size())
                                ? tree_correction[static_cast<std::size_t>(size_class)]
                                : 1.0;
  AutoEstimate estimate;
  estimate.ring_s = 1e-6 * ring_latency + static_cast<double>(bytes) / (bus_gbs * 1e9 * n / steps);
  estimate.tree_s = 1e-6 * tree_latency + static_cast<double>(bytes) / (bus_gbs * 1e9 * 0.92 * 0.5 * correction);
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
