#include "topology/cluster_discovery.hpp"

#include <gtest/gtest.h>

#include <set>

#include "topology/topology.hpp"

namespace scaleout::topology {
namespace {

TEST(NodeIdentity, AllRanksOfThisMachineAreOneNode) {
  const comm::Communicator world = comm::Communicator::world().duplicate();
  const NodeIdentity identity = identify_node(world);
  EXPECT_EQ(identity.nodes, 1);
  EXPECT_EQ(identity.node, 0);
  EXPECT_EQ(identity.local_size, world.size());
  EXPECT_EQ(identity.local_rank, world.rank());
  EXPECT_EQ(identity.node_comm.size(), world.size());
  EXPECT_FALSE(identity.hostname.empty());
}

TEST(NodeIdentity, DistinctHostnamesSplitASharedMemoryDomain) {
  // Emulated nodes (network namespaces of one machine) share memory but not a hostname: ranks that
  // call themselves "odd" and "even" must form two nodes, numbered by their lowest rank.
  const comm::Communicator world = comm::Communicator::world().duplicate();
  const int rank = world.rank();
  const NodeIdentity identity = identify_node(world, rank % 2 == 0 ? "even" : "odd");
  const int evens = (world.size() + 1) / 2;
  EXPECT_EQ(identity.nodes, world.size() >= 2 ? 2 : 1);
  EXPECT_EQ(identity.node, rank % 2);
  EXPECT_EQ(identity.local_size, rank % 2 == 0 ? evens : world.size() - evens);
  EXPECT_EQ(identity.local_rank, rank / 2);
  EXPECT_EQ(identity.hostname, rank % 2 == 0 ? "even" : "odd");
}

TEST(ClusterMap, RankZeroHoldsEveryRankAndTheNode) {
  const comm::Communicator world = comm::Communicator::world().duplicate();
  const ClusterMap map = gather_cluster_map(world);
  if (world.rank() != 0) {
    EXPECT_TRUE(map.nodes.empty());
    EXPECT_TRUE(map.ranks.empty());
    return;
  }
  ASSERT_EQ(map.nodes.size(), 1u);
  ASSERT_EQ(map.xml.size(), 1u);
  ASSERT_EQ(map.ranks.size(), static_cast<std::size_t>(world.size()));
  std::set<int> local_ranks;
  for (std::size_t r = 0; r < map.ranks.size(); ++r) {
    EXPECT_EQ(map.ranks[r].rank, static_cast<int>(r));
    EXPECT_EQ(map.ranks[r].node, 0);
    EXPECT_EQ(map.ranks[r].hostname, map.nodes[0].hostname);
    EXPECT_FALSE(map.ranks[r].binding.pus.empty());
    local_ranks.insert(map.ranks[r].local_rank);
  }
  EXPECT_EQ(local_ranks.size(), map.ranks.size());
  // The node's summary is this machine's, and its XML describes the same machine.
  const NodeSummary here = summarize(Topology::discover(), map.nodes[0].hostname);
  EXPECT_EQ(map.nodes[0], here);
  EXPECT_EQ(summarize(Topology::from_xml_text(map.xml[0], false), map.nodes[0].hostname), here);
}

}  // namespace
}  // namespace scaleout::topology
