#pragma once
// `scaleout report` over serving runs: one row per run (a layout, a thinking budget, a node count)
// with time to first token, time per output token, tokens per second, each pass's exposed
// communication share and what bounds decode; then, per thinking budget, the smallest tp whose decode
// is communication-bound. Reporting only: the figures come from analysis/serving_summary.hpp.

#include <string>
#include <vector>

#include "analysis/serving_summary.hpp"
#include "runs/report/format.hpp"

namespace scaleout::runs {

// Every format: text, markdown, csv or json. `runs` in analysis::order_serving_runs' order.
std::string format_serving_report(const std::vector<analysis::ServingRun>& runs, Format format,
                                  const std::string& source);

}  // namespace scaleout::runs
