#pragma once
// `scaleout plan CONFIG`: what a run of the config would do, computed without MPI: sizes, FLOPs,
// communication per step, compute time, memory, and an outline of the step program.

#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runs/config/run_config.hpp"

namespace scaleout::runs {

struct PlanArguments {
  std::string config;
  std::vector<std::string> sets;
  int ranks = 0;
  int ranks_per_node = 0;
  std::string xml;
  bool json = false;
};

CLI::App* add_plan_command(CLI::App& app, PlanArguments& arguments);
int run_plan(const PlanArguments& arguments);

// For tests: the plan of a resolved config fitted to its world.
// ranks_per_node 0: placement not checked.
nlohmann::json plan_json(const RunConfig& config, int ranks_per_node = 0);
std::string plan_text(const RunConfig& config, int ranks_per_node = 0);

}  // namespace scaleout::runs
