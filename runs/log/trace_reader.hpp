#pragma once
// A run log's ops as the analysis' RunTrace (analysis/run_trace.hpp): /program's programs, /ranks'
// ranks with their hosts, and /ops' times of the chosen steps and ranks, each row checked before it is
// believed. `scaleout trace` draws it; `report` walks its critical path.

#include <optional>
#include <string>
#include <vector>

#include "analysis/run_trace.hpp"
#include "runs/log/run_log.hpp"

namespace scaleout::runs {

struct TraceChoice {
  std::vector<int> steps;      // ascending; empty: every step
  std::vector<int> ranks;      // world ranks, ascending; empty: every rank
  bool measured_only = false;  // leave out warm-up steps
};

// The trace of the log at `path`, which read_run_log read as `log`. Without /ops rows (the run had no
// output.trace) the trace has the programs and ranks but no step; a step that lacks some of its ops
// (the one in flight when a run was killed) is left out. UsageError naming the file when a
// chosen rank or step is not one of the run's, or when a table holds what the writer does not write (a
// row out of range, an op missing).
analysis::RunTrace read_run_trace(const std::string& path, const RunLog& log, const TraceChoice& choice);

}  // namespace scaleout::runs
