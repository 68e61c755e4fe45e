#pragma once
// `scaleout report` over serving runs: one row per run (a layout, a thinking budget, a node count)
// with time to first token, time per output token, tokens per second, each pass's exposed
// communication share and what bounds decode; then, per thinking budget, the smallest tp whose decode
// is communication-bound. Reporting only: the figures come from runs/serving_summary.hpp.

#include <string>
#include <vector>

#include "runs/job/serving_summary.hpp"

namespace scaleout::runs {

struct ServingRun {
  std::string path;
  int nodes = 1, ranks = 1, tp = 1, pp = 1, ep = 1, sequences = 1;
  double prompt_tokens = 0, output_tokens = 0;
  bool memory_fits = true;
  ServingSummary summary;
};

// Ordered by thinking budget, then tp, pp, ep and nodes: the order the sweep's questions read in.
void order_serving_runs(std::vector<ServingRun>& runs);

// format: text, markdown, csv or json.
std::string format_serving_report(const std::vector<ServingRun>& runs, const std::string& format,
                                  const std::string& source);

}  // namespace scaleout::runs
