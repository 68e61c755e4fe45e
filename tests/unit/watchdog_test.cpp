// The watchdog's two deadlines, on its own thread with a marker this test moves or holds still: no
// progress for the hang timeout, and a stop signal not acted on within the grace.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <future>
#include <thread>

#include "runs/job/signals.hpp"
#include "runs/job/watchdog.hpp"

namespace scaleout::runs {
namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

TEST(Watchdog, CallsOnHangOnceTheMarkerStopsMoving) {
  parallelism::ProgressMarker marker;
  std::promise<double> hung;
  WatchdogPolicy policy;
  policy.hang_seconds = 1.0;
  policy.on_hang = [&](double idle) { hung.set_value(idle); };
  policy.stop_grace_seconds = 1e6;
  policy.on_stop_overdue = [](int) { FAIL() << "no signal was sent"; };
  const auto start = clock_type::now();
  const Watchdog watchdog(marker, policy);
  // Progress for a while: no hang while the marker moves.
  auto result = hung.get_future();
  for (int op = 0; op < 10; ++op) {
    marker.mark(0, op);
    EXPECT_EQ(result.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  }
  EXPECT_GE(result.get(), 1.0);
  EXPECT_GE(seconds_since(start), 1.0 + 0.45);
}

TEST(Watchdog, CallsOnStopOverdueWhenASignalIsNotActedOnWithinTheGrace) {
  install_stop_handlers();
  reset_stop_signal();
  parallelism::ProgressMarker marker;
  std::promise<int> overdue;
  WatchdogPolicy policy;
  policy.hang_seconds = 1e6;
  policy.on_hang = [](double) { FAIL() << "the marker is not watched for hangs here"; };
  policy.stop_grace_seconds = 0.3;
  policy.on_stop_overdue = [&](int signal) { overdue.set_value(signal); };
  const Watchdog watchdog(marker, policy);
  auto result = overdue.get_future();
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);  // no signal yet
  const auto signalled = clock_type::now();
  std::raise(SIGUSR1);
  // The marker moving does not help: only the run's step boundary acts on a signal.
  for (int op = 0; op < 3; ++op) marker.mark(1, op);
  EXPECT_EQ(result.get(), SIGUSR1);
  EXPECT_GE(seconds_since(signalled), 0.3);
  EXPECT_EQ(signal_name(SIGUSR1), "SIGUSR1");
  reset_stop_signal();
}

TEST(Watchdog, StopsQuietlyWhenTheRunEnds) {
  parallelism::ProgressMarker marker;
  WatchdogPolicy policy;
  policy.hang_seconds = 0.2;
  policy.on_hang = [](double) { FAIL() << "the watchdog outlived its run"; };
  policy.on_stop_overdue = [](int) { FAIL() << "no signal was sent"; };
  { const Watchdog watchdog(marker, policy); }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

}  // namespace
}  // namespace scaleout::runs
