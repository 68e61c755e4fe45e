#include "comm/stats.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace scaleout::comm {
namespace {

TEST(Percentiles, InterpolateBetweenClosestRanksLikeNumpy) {
  // numpy.percentile(range(1, 11), [0, 50, 95, 99, 100]) = 1, 5.5, 9.55, 9.91, 10
  const std::vector<double> sample = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  const Percentiles p = percentiles(sample);
  EXPECT_DOUBLE_EQ(p.min, 1.0);
  EXPECT_DOUBLE_EQ(p.p50, 5.5);
  EXPECT_NEAR(p.p95, 9.55, 1e-12);
  EXPECT_NEAR(p.p99, 9.91, 1e-12);
  EXPECT_DOUBLE_EQ(p.max, 10.0);
}

TEST(Percentiles, OfOneValueAreThatValue) {
  const std::vector<double> one = {3.25};
  const Percentiles p = percentiles(one);
  EXPECT_EQ(p.min, 3.25);
  EXPECT_EQ(p.p50, 3.25);
  EXPECT_EQ(p.p99, 3.25);
  EXPECT_EQ(p.max, 3.25);
}

TEST(Percentiles, OfNothingAreZero) {
  const Percentiles p = percentiles({});
  EXPECT_EQ(p.max, 0.0);
  EXPECT_EQ(p.p50, 0.0);
}

}  // namespace
}  // namespace scaleout::comm
