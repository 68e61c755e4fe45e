#pragma once
// `scaleout plan CONFIG`: what a run of the config would do, computed without MPI: sizes, FLOPs,
// communication per step, compute time, memory, and an outline of the step program.

#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runs/run_config.hpp"

namespace scaleout::runs {

struct PlanArguments {
  std::string config;
  std::vector<std::string> sets;
  int ranks = 0;
  bool json = false;
};

CLI::App* add_plan_command(CLI::App& app, PlanArguments& arguments);
int run_plan(const PlanArguments& arguments);

// For tests: the plan of a resolved config fitted to its world.
nlohmann::json plan_json(const RunConfig& config);
std::string plan_text(const RunConfig& config);

}  // namespace scaleout::runs
