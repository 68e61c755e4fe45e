#pragma once
// `scaleout predict` of a serving config: time to first token, time per output token and tokens per
// second of one replica, by the analytical executor over the same prefill and decode programs a run
// executes, swept over tp and the thinking budget (output tokens). docs/inference.md.

#include <string>
#include <vector>

#include "analysis/simulator.hpp"
#include "runs/config/run_config.hpp"
#include "runs/report/serving_report.hpp"

namespace scaleout::runs {

// One replica of `config` with tp and output tokens set, on nodes of `ranks_per_node` ranks. Decode
// passes are simulated at up to `samples` tokens spread evenly over the output (the first and last
// always) and the others interpolated linearly: a pass's cost grows with its context's KV cache.
// UsageError when the layout does not fit or the calibration lacks what the layout needs.
ServingRun predict_serving(const RunConfig& config, int tp, std::int64_t output_tokens, int ranks_per_node,
                           const analysis::SimulationModel& model, int samples = 64);

// "1,2,4,8": UsageError naming `argument`.
std::vector<long long> parse_list(const std::string& text, const std::string& argument, long long most);

}  // namespace scaleout::runs
