#pragma once
// `scaleout plan` of a serving config: the replica, the KV cache against the device's memory, and per
// stage the device time and communication of a prefill pass and of the first and last decode passes.
// Computed without MPI from the same programs a run executes (parallelism/inference.hpp).

#include <nlohmann/json.hpp>

#include <string>

#include "runs/config/run_config.hpp"

namespace scaleout::runs {

nlohmann::json serving_plan_json(const RunConfig& config);
std::string serving_plan_text(const RunConfig& config);

}  // namespace scaleout::runs
