#pragma once
// A run log's ops as the analysis' RunTrace (analysis/run_trace.hpp): /program's programs, /ranks'
// ranks with their hosts, and /ops' times of the chosen steps and ranks, each row checked before it is
// believed. `scaleout trace` draws it; `report` walks its critical path.

#include <functional>
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

// The outline of the trace of the log at `path`, which read_run_log read as `log`: the programs, the
// chosen ranks, and the chosen steps without their ops (each with its pass, warm-up flag and the ranks'
// step times; none when the run had no output.trace). UsageError naming the file when a chosen rank or
// step is not one of the run's, or when a table holds what the writer does not write.
analysis::RunTrace read_trace_outline(const std::string& path, const RunLog& log, const TraceChoice& choice);

// Reads the outline's steps' ops from /ops, handing each step on once all its rows are read, in order,
// one step held at a time (a step that lacks some of its ops, the one in flight when a run was killed,
// is left out). UsageError naming the file and the row for a row that names no op of its rank's program.
using TracedStepHandler = std::function<void(analysis::TracedStep&&)>;
void read_trace_steps(const std::string& path, const analysis::RunTrace& outline, const TracedStepHandler& on_step);

// Both: the outline with every step's ops.
analysis::RunTrace read_run_trace(const std::string& path, const RunLog& log, const TraceChoice& choice);

}  // namespace scaleout::runs
