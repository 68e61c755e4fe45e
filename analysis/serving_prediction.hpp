#pragma once
// The prediction of a serving replica: time to first token, time per output token and tokens per
// second, by the analytical executor over the same prefill and decode programs a run executes.
// docs/inference.md.

#include "analysis/serving_summary.hpp"
#include "analysis/simulator.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::analysis {

// One replica of `workload` (fitted to tp x pp x ep ranks) on nodes of `ranks_per_node` ranks. Decode
// passes are simulated at up to `samples` tokens spread evenly over the output (the first and last
// always) and the others interpolated linearly: a pass's cost grows with its context's KV cache.
// MissingFit when the calibration lacks what the layout needs.
ServingRun predict_serving(const parallelism::Workload& workload, int ranks_per_node, const SimulationModel& model,
                           int samples = 64);

}  // namespace scaleout::analysis
