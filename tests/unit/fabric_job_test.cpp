// `scaleout fabric`'s request turned into a plan: the rate in bytes per second, sizes in whole elements, and a
// usage error naming the flag for every value it refuses.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  EXPECT_FALSE(plan.expect_from_nics);
  request.expect_rate = "nic";
  const FabricPlan from_nics = plan_fabric(request);
  EXPECT_TRUE(from_nics.expect_from_nics);
  EXPECT_FALSE(from_nics.judging.expected_bytes_s) << "known once every node has read its NICs";
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
  EXPECT_NE(refusal([](FabricRequest& r) { r.background = "ring"; }).find("--background: 'ring' is not a pattern"),
            std::string::npos);
  EXPECT_NE(refusal([](FabricRequest& r) { r.background_size = "6"; }).find("--background-size: 6"), std::string::npos);
}

// The switches come from the named file, from Slurm's (beside $SLURM_CONF) by default, or from none.
TEST(PlanFabric, TheTopologyConfIsSlurmsUnlessNamedOrNone) {
  const auto folder = std::filesystem::temp_directory_path() / "scaleout-fabric-topology";
  std::filesystem::create_directories(folder);
  { std::ofstream(folder / "topology.conf") << "SwitchName=s0 Nodes=a[1-2]\n"; }
  const char* before = std::getenv("SLURM_CONF");
  const std::string saved = before == nullptr ? "" : before;
  setenv("SLURM_CONF", (folder / "slurm.conf").c_str(), 1);
  FabricRequest request;
  EXPECT_EQ(plan_fabric(request).topology_conf, (folder / "topology.conf").string());
  request.topology_conf = "none";
  EXPECT_EQ(plan_fabric(request).topology_conf, "");
  request.topology_conf = "mine.conf";
  EXPECT_EQ(plan_fabric(request).topology_conf, "mine.conf");
  std::filesystem::remove(folder / "topology.conf");
  request.topology_conf = "";
  EXPECT_EQ(plan_fabric(request).topology_conf, "") << "Slurm has none";
  if (before == nullptr) {
    unsetenv("SLURM_CONF");
  } else {
    setenv("SLURM_CONF", saved.c_str(), 1);
  }
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace scaleout::runs
