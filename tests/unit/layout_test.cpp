// The process grid: rank order (TP innermost, then CP, DP, PP), the groups of every channel, and the
// placement check against nodes.
#include <gtest/gtest.h>

#include <set>

#include "parallelism/layout.hpp"

namespace p = scaleout::parallelism;

namespace {
p::Layout layout(int dp, int tp, int pp, int cp = 1, int ep = 1) {
  p::Layout l;
  l.dp = dp, l.tp = tp, l.pp = pp, l.cp = cp, l.ep = ep;
  return l;
}
}  // namespace

TEST(Grid, TensorParallelIsInnermostAndPipelineOutermost) {
  const auto l = layout(2, 2, 2, 2);  // 16 ranks
  for (int rank = 0; rank < l.world(); ++rank) {
    const auto pos = p::position_of(l, rank);
    EXPECT_EQ(p::rank_at(l, pos.dp, pos.tp, pos.pp, pos.cp), rank);
  }
  EXPECT_EQ(p::members(l, 0, p::Channel::tp), (std::vector<int>{0, 1}));
  EXPECT_EQ(p::members(l, 0, p::Channel::cp), (std::vector<int>{0, 2}));
  EXPECT_EQ(p::members(l, 0, p::Channel::pp), (std::vector<int>{0, 8}));
  // Gradients are reduced over DP and CP together.
  EXPECT_EQ(p::members(l, 0, p::Channel::dp), (std::vector<int>{0, 2, 4, 6}));
  EXPECT_EQ(p::position_of(l, 13).pp, 1);
  EXPECT_EQ(p::position_of(l, 13).dp, 1);
  EXPECT_EQ(p::position_of(l, 13).cp, 0);
  EXPECT_EQ(p::position_of(l, 13).tp, 1);
}

TEST(Grid, EveryChannelPartitionsTheWorld) {
  for (const auto& l : {layout(4, 2, 2), layout(8, 1, 1, 1, 4), layout(2, 2, 2, 2), layout(4, 1, 2, 2, 2)}) {
    for (int c = 0; c < p::channel_count; ++c) {
      std::multiset<int> seen;
      std::set<std::vector<int>> groups;
      for (int rank = 0; rank < l.world(); ++rank) {
        const auto group = p::members(l, rank, static_cast<p::Channel>(c));
        EXPECT_NE(std::find(group.begin(), group.end(), rank), group.end());
        groups.insert(group);
      }
      for (const auto& group : groups) seen.insert(group.begin(), group.end());
      EXPECT_EQ(seen.size(), static_cast<std::size_t>(l.world())) << p::to_string(static_cast<p::Channel>(c));
      for (int rank = 0; rank < l.world(); ++rank) EXPECT_EQ(seen.count(rank), 1u);
    }
  }
}

TEST(Grid, ExpertGroupsAreConsecutiveDataParallelRanks) {
  const auto l = layout(8, 1, 1, 1, 4);
  EXPECT_EQ(p::members(l, 5, p::Channel::ep), (std::vector<int>{4, 5, 6, 7}));
  // Ranks holding the same experts: every ep-th DP rank.
  EXPECT_EQ(p::members(l, 5, p::Channel::expert_dp), (std::vector<int>{1, 5}));
  EXPECT_EQ(p::position_of(l, 5).ep, 1);
  EXPECT_EQ(l.expert_gradient_group_size(), 2);
}

TEST(Placement, TensorGroupsInsideNodesRaiseNoWarning) {
  const auto l = layout(2, 8, 4);  // 64 ranks, tp 8
  std::vector<int> eight_per_node, four_per_node;
  for (int rank = 0; rank < l.world(); ++rank) {
    eight_per_node.push_back(rank / 8);
    four_per_node.push_back(rank / 4);
  }
  EXPECT_TRUE(p::placement_warnings(l, eight_per_node).empty());
  const auto warnings = p::placement_warnings(l, four_per_node);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].channel, p::Channel::tp);
  EXPECT_EQ(warnings[0].groups, 8);
  EXPECT_EQ(warnings[0].spanning, 8);
  EXPECT_NE(warnings[0].message.find("8 of 8 tp groups (of 8 ranks) span nodes"), std::string::npos);
}

TEST(Placement, ContextGroupsAreCheckedToo) {
  const auto l = layout(2, 2, 1, 2);  // tp 2 x cp 2: a CP group spans 4 consecutive ranks
  std::vector<int> two_per_node;
  for (int rank = 0; rank < l.world(); ++rank) two_per_node.push_back(rank / 2);
  const auto warnings = p::placement_warnings(l, two_per_node);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].channel, p::Channel::cp);
}

TEST(Grid, DivisorsAreTheChoicesOffered) { EXPECT_EQ(p::divisors(12), (std::vector<int>{1, 2, 3, 4, 6, 12})); }
