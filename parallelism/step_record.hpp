#pragma once
// What an executor reports of one rank's step, with the quantities docs/run.md defines. The MPI
// executor measures it; the analytical executor (analysis/simulator.hpp) predicts it; the run log,
// summaries and reports consume it. No MPI here.

#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

#include "parallelism/program.hpp"

namespace scaleout::parallelism {

// One op as it ran, in seconds from the step's start. Compute: begin and end of the span. Start: issue
// and observed completion. Wait and blocking: begin and end of the call. `waited`: time blocked.
struct OpRecord {
  int op = 0;
  double begin = 0, end = 0, waited = 0;
};

struct StepRecord {
  double step = 0;                                 // from the step's start to the end of the optimizer
  double compute = 0;                              // measured compute spans
  double compute_requested = 0;                    // what the program asked of them
  std::array<double, group_count> exposed{};       // blocked on communication, per group
  double bubble = 0;                               // blocked in pipeline receives
  double overlapped = 0;                           // communication in flight while computing
  std::array<std::uint64_t, group_count> bytes{};  // bytes of the operations issued, per group
  // Of each group's exposed time, what was spent on ops that cross the network (the rest crossed only
  // the node's fabric: program.hpp, Tier); and the compute time while an op of each tier was in flight
  // (a span with both tiers in flight counts for both).
  std::array<double, group_count> exposed_network{};
  std::array<double, tier_count> overlapped_tier{};
  // Bytes this rank sent in hops (own algorithms' and point-to-point), moved for real or modelled over the
  // device's links (emulation.intra_node: device).
  std::uint64_t bytes_moved = 0, bytes_modelled = 0;
  std::uint64_t wrong = 0;    // wrong elements (with check)
  std::vector<OpRecord> ops;  // with trace

  double exposed_total() const { return std::accumulate(exposed.begin(), exposed.end(), 0.0); }
  void expose(Group group, Tier tier, double seconds) {
    exposed[static_cast<std::size_t>(group)] += seconds;
    if (tier == Tier::network) exposed_network[static_cast<std::size_t>(group)] += seconds;
  }
  double other() const { return step - compute - exposed_total() - bubble; }
};

}  // namespace scaleout::parallelism
