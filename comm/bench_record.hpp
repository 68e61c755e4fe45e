#pragma once
// What the collective benchmark asks and what it measured: the options of a benchmark, the record of
// one collective at one size, and the figures reports quote from it. No MPI here, so reporters
// (runs/report/bench_report.hpp) consume records without reaching the MPI library.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "comm/algorithm.hpp"
#include "comm/element_type.hpp"
#include "comm/stats.hpp"

namespace scaleout::comm {

struct BenchOptions {
  int iterations = 20;
  int warmup = 5;
  bool check = false;
  bool nonblocking = false;
  ElementType type = ElementType::fp32;
  std::uint64_t seed = 1;
  // Non-blocking only: 0 waits for the requests; otherwise the operation is progressed as a run's
  // compute spans progress it, by a test every poll interval with sleeps between (calibrate uses this).
  std::chrono::nanoseconds poll_interval{0};
  // Which algorithm moves the bytes (comm/algorithm.hpp): chosen per collective and size as a run's
  // ops are.
  AlgorithmChoice algorithm = AlgorithmChoice::automatic;
};

struct BenchRecord {
  std::string collective;
  std::string algorithm;  // what ran (comm/algorithm.hpp's names)
  std::size_t bytes = 0;  // S as nccl-tests defines it, after rounding to whole blocks
  std::size_t requested_bytes = 0;
  int ranks = 0;
  double bus_factor = 0.0;
  std::vector<double> seconds;         // per measured iteration: the maximum over ranks
  std::optional<std::uint64_t> wrong;  // elements wrong over all ranks and iterations; empty unless checked
  // Per tier, of one operation by scaleout's own algorithms (the library's hops are not known: empty):
  // the most bytes the ranks of one node send to other nodes (what its link to the network carries),
  // and the most bytes one rank sends to ranks of its own node (what a device's fabric carries).
  struct TierBytes {
    std::uint64_t network_per_node = 0, intra_node_per_rank = 0;
  };
  std::optional<TierBytes> tiers;
};

// What reports quote: the iteration-time percentiles in microseconds, and bandwidths in GB/s
// (10^9 bytes per second) from the median: algbw = bytes / p50, busbw = algbw * bus_factor, and per
// tier its bytes / p50.
struct BenchFigures {
  Percentiles time_us;
  double algbw_gbs = 0.0;
  double busbw_gbs = 0.0;
  // Per tier (with the record's tiers): its bytes over p50, in GB/s: what a node's network link and a
  // device's node fabric carried while the operation ran.
  double network_gbs = 0.0, intra_node_gbs = 0.0;
};
BenchFigures figures(const BenchRecord& record);

}  // namespace scaleout::comm
