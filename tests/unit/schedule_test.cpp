// Pipeline schedules: every (microbatch, chunk) forward once and backward once, backward after its
// forward, the 1F1B warm-up depth, Megatron's interleaved order, and the activations in flight.
#include <gtest/gtest.h>

#include <map>

#include "parallelism/schedule.hpp"

namespace p = scaleout::parallelism;

namespace {
void expect_complete(const std::vector<p::PipelineAction>& order, int microbatches, int chunks) {
  std::map<std::pair<int, int>, int> forward_at, backward_at;
  for (int i = 0; i < static_cast<int>(order.size()); ++i) {
    auto& at = order[i].forward ? forward_at : backward_at;
    EXPECT_EQ(at.count({order[i].microbatch, order[i].chunk}), 0u) << "each action once";
    at[{order[i].microbatch, order[i].chunk}] = i;
  }
  EXPECT_EQ(forward_at.size(), static_cast<std::size_t>(microbatches * chunks));
  EXPECT_EQ(backward_at.size(), static_cast<std::size_t>(microbatches * chunks));
  for (const auto& [key, at] : backward_at) EXPECT_GT(at, forward_at.at(key)) << "backward after forward";
}
}  // namespace

TEST(Schedule, OneFOneBWarmsUpWithStagesLeft) {
  for (int stage = 0; stage < 4; ++stage) {
    const auto order = p::pipeline_order(p::Schedule::one_f_one_b, 4, stage, 8, 1);
    expect_complete(order, 8, 1);
    int warmup = 0;
    while (order[static_cast<std::size_t>(warmup)].forward) ++warmup;
    EXPECT_EQ(warmup, 4 - stage) << "p - s - 1 warm-up forwards, then the first steady forward";
    EXPECT_EQ(p::peak_in_flight(order), 4 - stage);
  }
}

TEST(Schedule, GPipeHoldsEveryMicrobatch) {
  const auto order = p::pipeline_order(p::Schedule::gpipe, 4, 1, 8, 1);
  expect_complete(order, 8, 1);
  EXPECT_EQ(p::peak_in_flight(order), 8);
}

TEST(Schedule, InterleavedFollowsMegatronsOrder) {
  // p = 2, v = 2, m = 4: virtual microbatch k runs chunk (k mod 4) / 2 of microbatch (k / 4) 2 + k mod 2.
  const auto order = p::pipeline_order(p::Schedule::interleaved, 2, 0, 4, 2);
  expect_complete(order, 4, 2);
  // Stage 0 warms up with (p - 1) 2 + (v - 1) p = 4 forwards: mb 0, 1 of chunk 0, then of chunk 1.
  const std::vector<p::PipelineAction> warmup = {{true, 0, 0}, {true, 1, 0}, {true, 0, 1}, {true, 1, 1}};
  EXPECT_EQ(std::vector<p::PipelineAction>(order.begin(), order.begin() + 4), warmup);
  EXPECT_EQ(order[4], (p::PipelineAction{true, 2, 0}));
  EXPECT_EQ(order[5], (p::PipelineAction{false, 0, 1})) << "backward starts from the last chunk";
  for (int stage = 0; stage < 2; ++stage)
    expect_complete(p::pipeline_order(p::Schedule::interleaved, 2, stage, 4, 2), 4, 2);
}

TEST(Schedule, InterleavedWithAsManyMicrobatchesAsStagesTakesTheSameWarmUp) {
  // p = 4, v = 2, m = 4 (the llama3-70b-tp8-pp4 preset): Megatron's schedule since its "tunable
  // schedule" warms up (p - s - 1) 2 + (v - 1) p, capped at m v = 8: stages 0 and 1 run every forward
  // first, stages 2 and 3 start 1F1B after 6 and 4; at the peak 8, 8, 7 and 5 chunks are in flight.
  const int warmups[] = {8, 8, 6, 4}, peaks[] = {8, 8, 7, 5};
  for (int stage = 0; stage < 4; ++stage) {
    const auto order = p::pipeline_order(p::Schedule::interleaved, 4, stage, 4, 2);
    expect_complete(order, 4, 2);
    int warmup = 0;
    while (warmup < static_cast<int>(order.size()) && order[static_cast<std::size_t>(warmup)].forward) ++warmup;
    EXPECT_EQ(warmup, std::min(warmups[stage] + 1, 8)) << "stage " << stage << ": the warm-up, then a steady forward";
    EXPECT_EQ(p::peak_in_flight(order), peaks[stage]) << "stage " << stage;
  }
}

TEST(Schedule, IdealBubble) {
  EXPECT_DOUBLE_EQ(p::ideal_bubble_share(p::Schedule::one_f_one_b, 4, 8, 1), 3.0 / 11.0);
  EXPECT_DOUBLE_EQ(p::ideal_bubble_share(p::Schedule::interleaved, 4, 8, 2), 3.0 / 19.0);
  EXPECT_DOUBLE_EQ(p::ideal_bubble_share(p::Schedule::gpipe, 1, 8, 1), 0.0);
}
