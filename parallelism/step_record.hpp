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
  std::uint64_t wrong = 0;                         // wrong elements (with check)
  std::vector<OpRecord> ops;                       // with trace

  double exposed_total() const { return std::accumulate(exposed.begin(), exposed.end(), 0.0); }
  double other() const { return step - compute - exposed_total() - bubble; }
};

}  // namespace scaleout::parallelism
