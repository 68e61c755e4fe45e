// `scaleout topo --config`: the grid next to the nodes, and the warning when a TP group spans them.
#include <gtest/gtest.h>

#include "runs/report/placement_report.hpp"

namespace r = scaleout::runs;
namespace p = scaleout::parallelism;

namespace {
// Four ranks on two nodes of two.
scaleout::topology::ClusterMap two_nodes() {
  scaleout::topology::ClusterMap map;
  map.nodes.resize(2);
  for (int rank = 0; rank < 4; ++rank) map.ranks.push_back({rank, rank / 2, rank % 2, rank < 2 ? "a" : "b", {}});
  return map;
}
}  // namespace

TEST(PlacementReport, TensorGroupsInsideNodes) {
  p::Layout layout;
  layout.tp = 2;
  layout.dp = 2;
  const auto text = r::placement_text(two_nodes(), layout);
  EXPECT_NE(text.find("grid: dp 2 x tp 2 on 4 ranks"), std::string::npos) << text;
  EXPECT_NE(text.find("every TP and CP group is inside a node"), std::string::npos) << text;
  const auto json = r::placement_json(two_nodes(), layout);
  EXPECT_EQ(json["ranks"][3]["dp"], 1);
  EXPECT_EQ(json["ranks"][3]["tp"], 1);
  EXPECT_TRUE(json["warnings"].empty());
}

TEST(PlacementReport, TensorGroupAcrossNodesIsWarned) {
  p::Layout layout;
  layout.tp = 4;
  const auto text = r::placement_text(two_nodes(), layout);
  EXPECT_NE(text.find("warning: 1 of 1 tp groups (of 4 ranks) span nodes"), std::string::npos) << text;
  EXPECT_EQ(r::placement_json(two_nodes(), layout)["warnings"][0]["spanning_nodes"], 1);
}
