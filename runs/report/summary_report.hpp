#pragma once
// What rank 0 prints at the end of a run: the training summary or the serving summary of its rows
// (analysis/run_result.hpp computes them). Printing only.

#include <string>

#include "analysis/background_effect.hpp"
#include "analysis/run_result.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::runs {

std::string format_summary(const analysis::RunSummary& summary, const parallelism::Workload& workload);
std::string format_serving_summary(const analysis::ServingSummary& summary, const parallelism::Workload& workload);
// The summary of whichever the run was, or a line saying no measured step completed.
std::string format_result(const analysis::RunResult& result, const parallelism::Workload& workload);
// emulation.background: the step under the background against the same steps alone, and the load.
std::string format_congestion(const analysis::RunCongestion& congestion);

}  // namespace scaleout::runs
