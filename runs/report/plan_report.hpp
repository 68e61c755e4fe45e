#pragma once
// `scaleout plan` as text: the document of analysis/plan.hpp, read back with the workload it is of.

#include <string>

#include <nlohmann/json.hpp>

#include "parallelism/workload.hpp"

namespace scaleout::runs {

// `plan` is analysis::plan_json(workload, ranks_per_node).
std::string plan_text(const nlohmann::json& plan, const parallelism::Workload& workload, int ranks_per_node);
// `plan` is analysis::serving_plan_json(workload).
std::string serving_plan_text(const nlohmann::json& plan, const parallelism::Workload& workload);

}  // namespace scaleout::runs
