#pragma once
// Bad input from the user: the command exits with status 2 and prints the message, which names the
// argument, the value and what is allowed.

#include <stdexcept>

namespace scaleout::runs {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Exit statuses of every subcommand; docs/usage.md lists them.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;      // the run failed (an MPI or system error)
inline constexpr int exit_usage = 2;        // bad arguments or input files
inline constexpr int exit_wrong_data = 3;   // --check found wrong elements
inline constexpr int exit_interrupted = 4;  // a signal stopped the run; its log says interrupted
inline constexpr int exit_regression = 5;   // compare --fail-on-regression: something regressed
inline constexpr int exit_hang = 6;         // run: the watchdog found a rank making no progress
// fabric: a slow node, link or rail named. The same status as a failure, as the gate asks
// (Slurm prologs and CI fail on any non-zero status); the output says which it was.
inline constexpr int exit_fabric_fault = 1;

}  // namespace scaleout::runs
