// `scaleout fabric`'s request turned into a plan: the rate in bytes per second, sizes in whole elements, and a
// usage error naming the flag for every value it refuses.

#include <gtest/gtest.h>

#include <string>

#include "runs/job/fabric_job.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {
namespace {

TEST(PlanFabric, SortsSizesIntoWholeElementsAndConvertsTheRate) {
  FabricRequest request;
  request.sizes = "16M,64K,16M,10";
  request.expect_rate = "1gbit";
  const FabricPlan plan = plan_fabric(request);
  EXPECT_EQ(plan.options.sizes, (std::vector<std::uint64_t>{8, 64 << 10, 16 << 20}));
  EXPECT_DOUBLE_EQ(*plan.judging.expected_bytes_s, 125e6);
  EXPECT_EQ(plan.options.message_bytes, 32u << 10);
  EXPECT_EQ(plan.scope, FabricScope::first_rank_per_node);
}

// The message of the usage error `change` provokes, or "" when the plan is made.
template <class Change>
std::string refusal(Change change) {
  FabricRequest request;
  change(request);
  try {
    (void)plan_fabric(request);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

TEST(PlanFabric, RefusesEachBadValueNamingItsFlag) {
  EXPECT_NE(refusal([](FabricRequest& r) { r.threshold = 1.5; }).find("--threshold"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.threshold = 0.0; }).find("--threshold"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.expect_rate = "fast"; }).find("--expect-rate"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.iterations = 0; }).find("--iters"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.warmup = -1; }).find("--warmup"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.sizes = "2"; }).find("--sizes"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.message_size = "6"; }).find("--message-size"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.output = "fabric.txt"; }).find("--output"), std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.per_rail = r.every_rank = true; }).find("--per-rail"), std::string::npos);
  EXPECT_EQ(refusal([](FabricRequest&) {}), "");
}

}  // namespace
}  // namespace scaleout::runs
