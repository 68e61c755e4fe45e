#pragma once
// The watchdog of a run: a thread per rank that watches the executor's progress marker and, when it
// has not moved for the timeout, calls a handler once (which reports and ends the job). A rank that
// waits on a peer that never comes is then found, named and stopped instead of holding an allocation
// until Slurm's time limit. It also bounds how long a stop signal may wait for the step boundary:
// Slurm sends SIGKILL 30 s after SIGTERM, and a step may last longer (or never end). docs/reliability.md.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"
#include "parallelism/progress_marker.hpp"

namespace scaleout::runs {

struct WatchdogPolicy {
  double hang_seconds = 60;  // the marker has not moved for this long: on_hang(idle seconds)
  std::function<void(double)> on_hang;
  double stop_grace_seconds = 10;            // a stop signal arrived this long ago and the run goes on:
  std::function<void(int)> on_stop_overdue;  // on_stop_overdue(signal)
};

class Watchdog {
 public:
  // The handlers run on the watchdog's thread, at most one of them once; they are expected not to
  // return (they abort). The stop signal is read from runs/job/signals.hpp.
  Watchdog(const parallelism::ProgressMarker& marker, WatchdogPolicy policy);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void watch();

  const parallelism::ProgressMarker& marker_;
  WatchdogPolicy policy_;
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
