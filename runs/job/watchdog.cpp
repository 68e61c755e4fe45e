#include "runs/job/watchdog.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runs/job/signals.hpp"

namespace scaleout::runs {

Watchdog::Watchdog(const parallelism::ProgressMarker& marker, WatchdogPolicy policy)
    : marker_(marker), policy_(std::move(policy)), thread_([this] { watch(); }) {}

Watchdog::~Watchdog() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
}

void Watchdog::watch() {
  using clock = std::chrono::steady_clock;
  const double shortest = std::min(policy_.hang_seconds, policy_.stop_grace_seconds);
  const auto poll = std::chrono::duration<double>(std::clamp(shortest / 20, 0.01, 0.5));
  auto seen = marker_.beats.load(std::memory_order_acquire);
  auto moved = clock::now();
  std::optional<clock::time_point> signalled;
  std::unique_lock lock(mutex_);
  while (!stop_requested_.wait_for(lock, poll, [this] { return stopping_; })) {
    const auto now = clock::now();
    const int signal = stop_signal();
    if (signal != 0 && !signalled) signalled = now;
    if (signalled && std::chrono::duration<double>(now - *signalled).count() >= policy_.stop_grace_seconds) {
      lock.unlock();
      policy_.on_stop_overdue(signal);
      return;
    }
    const auto beats = marker_.beats.load(std::memory_order_acquire);
    if (beats != seen) {
      seen = beats;
      moved = now;
      continue;
    }
    const double idle = std::chrono::duration<double>(now - moved).count();
    if (idle >= policy_.hang_seconds) {
      lock.unlock();
      policy_.on_hang(idle);
      return;
    }
  }
}

std::string describe_hang(const parallelism::Program& program, const parallelism::Layout& layout, int rank, int op) {
  using parallelism::OpKind;
  using parallelism::Transfer;
  const auto count = program.ops.size();
  if (op < 0 || static_cast<std::size_t>(op) >= count) {
    return "between ops (the step's start or the run's bookkeeping: a barrier, or gathering the step's records)";
  }
  const parallelism::Op& o = program.ops[static_cast<std::size_t>(op)];
  if (o.kind == OpKind::compute)
    return fmt::format("op {} of {}: a compute span of {:.3f} ms", op, count, o.seconds * 1e3);
  const auto group = parallelism::members(layout, rank, parallelism::channel_of(o));
  std::vector<int> peers;
  if (o.transfer == Transfer::send || o.transfer == Transfer::recv) {
    peers.push_back(group.at(static_cast<std::size_t>(o.peer)));
  } else {
    for (const int member : group) {
      if (member != rank) peers.push_back(member);
    }
  }
  return fmt::format("op {} of {}: {} {} {} of {} bytes ({}, microbatch {}, layer {}), with rank{} {}", op, count,
                     to_string(o.kind), to_string(o.group), to_string(o.transfer), o.bytes, to_string(o.phase),
                     o.microbatch, o.layer, peers.size() == 1 ? "" : "s", fmt::join(peers, ", "));
}

double default_watchdog_seconds(double compute_seconds_per_step) {
  return std::max(60.0, 10 * compute_seconds_per_step);
}

}  // namespace scaleout::runs
