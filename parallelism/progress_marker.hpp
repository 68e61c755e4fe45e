#pragma once
// Where a rank's executor is, for a watchdog on another thread (runs/job/watchdog.hpp): the executor
// stores the step and op it is about to run and counts a beat; a hang is a count that stops moving.

#include <atomic>
#include <cstdint>

namespace scaleout::parallelism {

struct ProgressMarker {
  std::atomic<int> step{-1};
  std::atomic<int> op{-1};  // -1: between ops (the step's start, or the run's own bookkeeping)
  std::atomic<std::uint64_t> beats{0};

  void mark(int at_step, int at_op) noexcept {
    step.store(at_step, std::memory_order_relaxed);
    op.store(at_op, std::memory_order_relaxed);
    beats.fetch_add(1, std::memory_order_release);
  }
};

}  // namespace scaleout::parallelism
