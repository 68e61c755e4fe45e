#include "runs/report/topo_report.hpp"

#include <gtest/gtest.h>

#include "topology/topology.hpp"

namespace scaleout::runs {
namespace {

topology::ClusterMap dgx_with_ranks(int ranks, bool bound) {
  topology::ClusterMap map;
  map.nodes.push_back(topology::summarize(
      topology::Topology::from_xml_file(std::string(SCALEOUT_TEST_DATA) + "/topologies/nvidiaDGX2.xml"), "dgx"));
  for (int r = 0; r < ranks; ++r) {
    map.ranks.push_back({r, 0, r, "dgx", {std::to_string(r % 4), std::to_string(r % 4), "0", "0", bound}});
  }
  return map;
}

TEST(TopoText, ShowsTheNodeAndItsGpus) {
  const std::string text = cluster_text(dgx_with_ranks(0, true));
  EXPECT_NE(text.find("2 packages, 2 NUMA nodes, 4 cores, 4 PUs"), std::string::npos);
  EXPECT_NE(text.find("GPU 15"), std::string::npos);
  EXPECT_NE(text.find("Tesla V100-SXM3-32GB-H PCI 0000:e7:00.0 near NUMA 1"), std::string::npos);
  EXPECT_EQ(text.find("placement"), std::string::npos);  // a captured machine has no ranks
}

TEST(TopoText, ShowsPlacementAndWarnsWhenRanksOutnumberPus) {
  const std::string fits = cluster_text(dgx_with_ranks(4, true));
  EXPECT_NE(fits.find("placement: 4 ranks on 1 node"), std::string::npos);
  EXPECT_EQ(fits.find("warning"), std::string::npos);
  const std::string crowded = cluster_text(dgx_with_ranks(6, false));
  EXPECT_NE(crowded.find("warning: node 0 runs 6 ranks on 4 PUs"), std::string::npos);
  EXPECT_NE(crowded.find("(unbound)"), std::string::npos);
}

TEST(TopoJson, HasNodesAndRanks) {
  const nlohmann::json j = cluster_json(dgx_with_ranks(2, true));
  ASSERT_EQ(j.at("nodes").size(), 1u);
  EXPECT_EQ(j.at("nodes")[0].at("gpus").size(), 16u);
  EXPECT_EQ(j.at("nodes")[0].at("packages"), 2);
  EXPECT_EQ(j.at("nodes")[0].at("numa_nodes"), 2);
  ASSERT_EQ(j.at("ranks").size(), 2u);
  EXPECT_EQ(j.at("ranks")[1].at("binding").at("pus"), "1");
}

}  // namespace
}  // namespace scaleout::runs
