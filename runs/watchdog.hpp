#pragma once
// The watchdog of a run: a thread per rank that watches the executor's progress marker and, when it
// has not moved for the timeout, calls a handler once (which reports and ends the job). A rank that
// waits on a peer that never comes is then found, named and stopped instead of holding an allocation
// until Slurm's time limit. docs/reliability.md.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"
#include "parallelism/progress_marker.hpp"

namespace scaleout::runs {

class Watchdog {
 public:
  // `on_hang(idle_seconds)` runs on the watchdog's thread; it is expected not to return (it aborts).
  Watchdog(const parallelism::ProgressMarker& marker, double timeout_seconds, std::function<void(double)> on_hang);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void watch();

  const parallelism::ProgressMarker& marker_;
  double timeout_;
  std::function<void(double)> on_hang_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  std::thread thread_;
};

// Where a hung rank is, in words: the op of its step program it is in (kind, group, transfer, bytes,
// phase) and the world ranks it waits on, or "between ops".
std::string describe_hang(const parallelism::Program& program, const parallelism::Layout& layout, int rank, int op);

// The default timeout: ten times the longest stage's compute per step, and at least a minute (the
// first step also makes the library's connections).
double default_watchdog_seconds(double compute_seconds_per_step);

}  // namespace scaleout::runs
