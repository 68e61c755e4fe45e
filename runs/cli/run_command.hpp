#pragma once
// `scaleout run CONFIG`: emulate training steps on MPI and log them (docs/run.md).

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "runs/config/run_config.hpp"

namespace scaleout::runs {

struct RunArguments {
  std::string config;
  std::vector<std::string> sets;
  std::string output;
  bool overwrite = false;
  bool check = false;
  bool strict_memory = false;
};

CLI::App* add_run_command(CLI::App& app, RunArguments& arguments);
// Loads and validates the config with its overrides; no MPI needed. Throws UsageError.
RunConfig plan_run(const RunArguments& arguments);
int run_run(RunConfig config, const std::string& command_line, int& argc, char**& argv);

}  // namespace scaleout::runs
