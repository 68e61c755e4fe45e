// The scaling analysis against hand-computed cases: percentiles and medians of a run, efficiency,
// the crossover's interpolation, the binding constraint, and stragglers.
#include <gtest/gtest.h>

#include "analysis/scaling.hpp"
#include "analysis/stragglers.hpp"

namespace a = scaleout::analysis;

namespace {
// `ranks` ranks, `steps` steps; every rank computes `compute` and is exposed `dp` on the dp group,
// on the network when `nodes` > 1.
std::vector<a::StepRow> uniform(int ranks, int steps, double compute, double dp, int nodes = 1) {
  std::vector<a::StepRow> samples;
  for (int step = 0; step < steps; ++step) {
    for (int rank = 0; rank < ranks; ++rank) {
      a::StepRow s;
      s.step = step, s.rank = rank, s.compute_s = compute, s.step_s = compute + dp;
      s.exposed(scaleout::parallelism::Group::dp) = dp;
      if (nodes > 1) s.exposed_network_s[static_cast<std::size_t>(scaleout::parallelism::Group::dp)] = dp;
      samples.push_back(s);
    }
  }
  return samples;
}
a::ScalePoint point(int nodes, int ranks, double compute, double dp, double tokens = 1000) {
  a::RunFacts run;
  run.nodes = nodes, run.ranks = ranks, run.tokens_per_step = tokens, run.flops_per_step = 1e12;
  return a::measure_scale(run, uniform(ranks, 4, compute, dp, nodes));
}
}  // namespace

TEST(Scaling, AScaleSummarisesItsSteps) {
  a::RunFacts run;
  run.ranks = 2, run.tokens_per_step = 4096, run.flops_per_step = 8e12;
  auto samples = uniform(2, 3, 0.1, 0.05);
  samples[5].step_s = 0.2;  // step 2's slowest rank
  const auto p = a::measure_scale(run, samples);
  EXPECT_EQ(p.steps, 3);
  EXPECT_DOUBLE_EQ(p.step_p50, 0.15);
  EXPECT_NEAR(p.step_p95, 0.15 + 0.9 * 0.05, 1e-12) << "numpy's linear interpolation";
  EXPECT_DOUBLE_EQ(p.compute, 0.1);
  EXPECT_DOUBLE_EQ(p.exposed.at("dp"), 0.05);
  EXPECT_NEAR(p.comm_share, 0.05 / 0.15, 1e-12);
  EXPECT_DOUBLE_EQ(p.tokens_per_second, 4096 / 0.15);
  EXPECT_DOUBLE_EQ(p.tflops_per_device, 8e12 / 0.15 / 2 / 1e12);
  EXPECT_EQ(p.binding, a::Link::calculation);
  EXPECT_NEAR(p.binding_share, 0.1 / 0.15, 1e-12);
}

TEST(Scaling, CrossoverIsInterpolatedBetweenTheScalesAroundIt) {
  // Excess (exposed - compute): 1 node -0.08, 2 nodes +0.02: crosses at 1 + 0.8 = 1.8 nodes.
  const auto report = a::analyse({point(2, 2, 0.1, 0.04), point(1, 1, 0.1, 0.02)}, a::Scaling::strong);
  ASSERT_EQ(report.points.size(), 2u);
  EXPECT_EQ(report.points[0].run.nodes, 1) << "ordered by scale";
  EXPECT_TRUE(report.by_nodes);
  // points: 1 node compute .1 dp .02 (excess -.08); 2 nodes compute .1 dp .04 (-.06): not reached.
  EXPECT_FALSE(report.crossover.reached);
  const auto crossing = a::analyse({point(1, 1, 0.1, 0.02), point(2, 2, 0.05, 0.07)}, a::Scaling::strong);
  EXPECT_TRUE(crossing.crossover.reached);
  EXPECT_NEAR(crossing.crossover.at, 1.8, 1e-12);
  EXPECT_EQ(crossing.points[1].binding, a::Link::network);
  EXPECT_EQ(crossing.points[1].binding_group, "dp");
  EXPECT_EQ(a::describe_binding(crossing.points[1].binding, crossing.points[1].binding_group), "the network (dp)");
  const auto already = a::analyse({point(1, 1, 0.01, 0.02)}, a::Scaling::strong);
  EXPECT_TRUE(already.crossover.already);
}

TEST(Scaling, TheBindingLinkSplitsComputeByWhatBoundsItAndCommunicationByTier) {
  namespace p = scaleout::parallelism;
  a::RunFacts run;
  run.ranks = 2, run.tokens_per_step = 1, run.flops_per_step = 1;
  std::vector<a::StepRow> rows;
  for (int step = 0; step < 3; ++step) {
    for (int rank = 0; rank < 2; ++rank) {
      a::StepRow r;
      r.step = step, r.rank = rank, r.compute_s = 0.1, r.step_s = 0.2;
      r.exposed(p::Group::tp) = 0.06;  // inside the node
      r.exposed(p::Group::dp) = 0.04;  // of which 0.03 on the network
      r.exposed_network_s[static_cast<std::size_t>(p::Group::dp)] = 0.03;
      r.overlapped_tier_s = {0.01, 0.02};
      r.bytes_moved = 100, r.bytes_modelled = 300;
      rows.push_back(r);
    }
  }
  auto point = a::measure_scale(run, rows);
  EXPECT_NEAR(point.exposed_tier[static_cast<std::size_t>(p::Tier::intra_node)], 0.07, 1e-12);
  EXPECT_NEAR(point.exposed_tier[static_cast<std::size_t>(p::Tier::network)], 0.03, 1e-12);
  EXPECT_NEAR(point.overlapped_tier[1], 0.02, 1e-12);
  EXPECT_DOUBLE_EQ(point.exposed_network.at("dp"), 0.03);
  EXPECT_DOUBLE_EQ(point.bytes_modelled, 300);
  EXPECT_EQ(point.binding, a::Link::calculation) << "0.1 of calculation against 0.07 on the node's fabric";
  // Most of the compute bound by memory: the calculation's part (0.03) falls below the fabric's.
  run.memory_bound_share = 0.6;
  point = a::measure_scale(run, rows);
  EXPECT_EQ(point.binding, a::Link::node_fabric);
  EXPECT_EQ(point.binding_group, "tp") << "tp's 0.06 against dp's 0.01 inside the node";
  EXPECT_NEAR(point.binding_share, 0.07 / 0.2, 1e-12);
}

TEST(Scaling, EfficiencyIsThroughputPerRankAgainstTheSmallestScale) {
  // Strong scaling: the same 1000 tokens, twice the ranks, step 0.12 s instead of 0.2 s.
  const auto strong = a::analyse({point(1, 4, 0.15, 0.05), point(2, 8, 0.08, 0.04)}, a::Scaling::strong);
  EXPECT_NEAR(strong.points[1].efficiency, (1000 / 0.12 / 8) / (1000 / 0.2 / 4), 1e-12);
  // Weak scaling: twice the tokens on twice the ranks in the same time is 100 %.
  const auto weak = a::analyse({point(1, 4, 0.15, 0.05, 1000), point(2, 8, 0.15, 0.05, 2000)}, a::Scaling::weak);
  EXPECT_NEAR(weak.points[1].efficiency, 1.0, 1e-12);
}

TEST(Stragglers, APersistentlySlowRankIsFoundWithWhatItCosts) {
  auto samples = uniform(4, 10, 0.1, 0.02);
  for (auto& s : samples) {
    if (s.rank == 3) s.compute_s = 0.12, s.step_s = 0.14;  // busy 20 % above the others
    if (s.rank == 1 && s.step % 2 == 0) s.step_s += 0.01;  // late only every other step
  }
  const auto found = a::find_stragglers(samples, {0, 0, 1, 1});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rank, 3);
  EXPECT_EQ(found[0].node, 1);
  EXPECT_DOUBLE_EQ(found[0].late_share, 1.0);
  // Above the median of the 4 ranks' busy times: 0.12 - 0.105 on even steps (rank 1's lateness lifts
  // the median), 0.12 - 0.1 on odd ones; the median over the 10 steps is between the two.
  EXPECT_NEAR(found[0].excess, 0.0175, 1e-12);
  EXPECT_TRUE(a::find_stragglers(uniform(4, 10, 0.1, 0.02), {}).empty());
}
