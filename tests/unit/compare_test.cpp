// compare's statistics: the ratio of medians with its bootstrap interval, over the steps of one run per
// side or, with repeats, over runs and then their steps, so that run-to-run variation widens the
// interval that one run's steps would draw too narrow.

#include "analysis/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace scaleout::analysis {
namespace {

// `count` steps around `centre`, spread by +-1 % deterministically.
std::vector<double> steps_around(double centre, int count = 30) {
  std::vector<double> steps;
  for (int k = 0; k < count; ++k) steps.push_back(centre * (1.0 + 0.01 * std::sin(2.399 * k)));
  return steps;
}

TEST(Compare, OneRunPerSideIsTheStepsBootstrapDrawForDraw) {
  const auto before = steps_around(1.0), after = steps_around(1.1);
  const MetricComparison single = compare_metric("step", before, after, {});
  const MetricComparison runs = compare_metric_runs("step", {before}, {after}, {});
  EXPECT_DOUBLE_EQ(single.ratio, runs.ratio);
  EXPECT_DOUBLE_EQ(single.low, runs.low);
  EXPECT_DOUBLE_EQ(single.high, runs.high);
  EXPECT_EQ(single.verdict, Verdict::regressed);
  EXPECT_EQ(runs.runs_before, 1);
  EXPECT_EQ(runs.runs_after, 1);
}

TEST(Compare, RunToRunVariationWidensTheInterval) {
  // Before, two days: 1.0 and 1.2; after, two days at 1.1. One run per side says "regressed" with a
  // narrow interval; the repeats say the change is within the days' spread.
  const auto monday = steps_around(1.0), tuesday = steps_around(1.2), after = steps_around(1.1);
  const MetricComparison one = compare_metric("step", monday, after, {});
  EXPECT_EQ(one.verdict, Verdict::regressed);
  const MetricComparison repeats = compare_metric_runs("step", {monday, tuesday}, {after, after}, {});
  EXPECT_EQ(repeats.runs_before, 2);
  EXPECT_NEAR(repeats.before, 1.1, 0.01);  // the median of the two days' medians
  EXPECT_LE(repeats.low, 1.0);
  EXPECT_GE(repeats.high, 1.0);
  EXPECT_GT(repeats.high - repeats.low, 5 * (one.high - one.low));
  EXPECT_EQ(repeats.verdict, Verdict::unchanged);
}

TEST(Compare, AConsistentChangeAcrossRepeatsIsFound) {
  const std::vector<std::vector<double>> before = {steps_around(1.0), steps_around(1.02), steps_around(0.98)};
  const std::vector<std::vector<double>> after = {steps_around(2.0), steps_around(2.04), steps_around(1.96)};
  const MetricComparison c =
      compare_metric_runs("compute", {before[0], before[1], before[2]}, {after[0], after[1], after[2]}, {});
  EXPECT_NEAR(c.ratio, 2.0, 0.01);
  EXPECT_GT(c.low, 1.5);
  EXPECT_EQ(c.verdict, Verdict::regressed);
  EXPECT_THROW((void)compare_metric_runs("step", {before[0], {}}, {after[0]}, {}), std::invalid_argument);
}

}  // namespace
}  // namespace scaleout::analysis
