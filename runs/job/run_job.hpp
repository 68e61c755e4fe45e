#pragma once
// `scaleout run`'s job: emulate the config's steps (or serving passes) on MPI, log them, and end with
// rank 0's verdict on every rank (docs/run.md, docs/reliability.md).

#include <string>

#include "runs/config/run_config.hpp"

namespace scaleout::runs {

// `config` resolved without MPI (its world is fitted here). Returns the exit status every rank leaves
// with: exit_ok, exit_wrong_data, exit_interrupted (runs/usage_error.hpp).
int run_job(RunConfig config, const std::string& command_line, int& argc, char**& argv);

}  // namespace scaleout::runs
