#pragma once
// `scaleout run`'s job: emulate the config's steps (or serving passes) on MPI, log them, and end with
// rank 0's verdict on every rank (docs/run.md, docs/reliability.md).

#include <string>
#include <vector>

namespace scaleout::runs {

// What `run` was given: the config's path and the overrides applied over it, in order.
struct RunRequest {
  std::string config_path;
  std::vector<std::string> overrides;  // key=value
};

// Rank 0 reads the config and sends its text to every rank, so that all run the same one (another
// rank may not see the file, or a different /dev/stdin); each resolves it alike, and a bad one is a
// UsageError on every rank. Returns the exit status every rank leaves with: exit_ok,
// exit_wrong_data, exit_interrupted (runs/usage_error.hpp).
int run_job(const RunRequest& request, const std::string& command_line, int& argc, char**& argv);

}  // namespace scaleout::runs
