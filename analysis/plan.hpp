#pragma once
// `scaleout plan`'s figures: what a run of a workload would do, computed without MPI from the same
// programs a run executes: sizes, FLOPs, communication per step, compute time, memory per stage
// against the device, placement on nodes and an outline of each stage's program; for a serving
// workload the replica, the KV cache against the device's memory, and per stage the device time and
// communication of a prefill pass and of the first and last decode passes. As JSON, the document
// `plan --format json` prints (docs/usage.md names its fields); runs/report/plan_report.hpp writes it
// as text.

#include <nlohmann/json.hpp>

#include "parallelism/workload.hpp"

namespace scaleout::analysis {

// `workload` fitted to its world; ranks_per_node 0: placement not checked.
nlohmann::json plan_json(const parallelism::Workload& workload, int ranks_per_node = 0);
nlohmann::json serving_plan_json(const parallelism::Workload& workload);

}  // namespace scaleout::analysis
