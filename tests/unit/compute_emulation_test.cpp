#include <gtest/gtest.h>

#include <chrono>

#include "parallelism/compute_emulation.hpp"

namespace p = scaleout::parallelism;
using clock_type = std::chrono::steady_clock;

// Lower bounds only: a span never ends early (how late it ends is a benchmark's business).
TEST(ComputeEmulation, SpanNeverEndsEarly) {
  for (const auto mode : {p::ComputeMode::sleep, p::ComputeMode::spin}) {
    const auto begin = clock_type::now();
    p::emulate_compute(0.002, mode, {});
    EXPECT_GE(std::chrono::duration<double>(clock_type::now() - begin).count(), 0.002);
  }
}

TEST(ComputeEmulation, PollsProgressUntilNothingIsOutstanding) {
  for (const auto mode : {p::ComputeMode::sleep, p::ComputeMode::spin}) {
    int calls = 0;
    // 200 ms: three polls of tens of microseconds fit even on a loaded machine (5 ms did not always).
    p::emulate_compute(0.2, mode, [&] { return ++calls < 3; });
    EXPECT_EQ(calls, 3) << "called while outstanding, never after it said done";
  }
}

TEST(ComputeEmulation, KeepsPollingWhileOutstanding) {
  int calls = 0;
  p::EmulationTiming timing;
  timing.poll_interval = std::chrono::microseconds(100);
  p::emulate_compute(
      0.01, p::ComputeMode::sleep, [&] { return ++calls > 0; }, timing);
  EXPECT_GE(calls, 5);  // 10 ms at one poll per 100 us: dozens unless the machine stalls badly
}

TEST(ComputeEmulation, ModesParse) {
  EXPECT_EQ(p::parse_compute_mode("spin"), p::ComputeMode::spin);
  EXPECT_EQ(p::parse_compute_mode("sleep"), p::ComputeMode::sleep);
  EXPECT_FALSE(p::parse_compute_mode("nap"));
}
