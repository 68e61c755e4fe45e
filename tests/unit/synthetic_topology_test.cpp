// hwloc's synthetic machines: shapes that no captured file has, built from a one-line description.

#include <gtest/gtest.h>

#include "topology/binding.hpp"
#include "topology/summary.hpp"
#include "topology/topology.hpp"

namespace scaleout::topology {
namespace {

TEST(SyntheticMachines, CountsFollowTheDescription) {
  const NodeSummary n = summarize(Topology::from_synthetic("pack:2 numa:2 l3:1 core:4 pu:2"));
  EXPECT_EQ(n.packages, 2);
  EXPECT_EQ(n.numa_nodes, 4);
  EXPECT_EQ(n.l3_caches, 4);
  EXPECT_EQ(n.cores, 16);
  EXPECT_EQ(n.pus, 32);
  EXPECT_TRUE(n.nics.empty());
  EXPECT_TRUE(n.gpus.empty());
}

TEST(SyntheticMachines, CoveredObjectsOfACpuset) {
  const Topology t = Topology::from_synthetic("pack:2 core:4 pu:2");
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  hwloc_bitmap_set_range(set, 6, 9);  // PUs 6-9: cores 3 and 4, straddling both packages
  EXPECT_EQ(covered(t, set, HWLOC_OBJ_CORE), "3-4");
  EXPECT_EQ(covered(t, set, HWLOC_OBJ_PACKAGE), "0-1");
  EXPECT_EQ(covered(t, set, HWLOC_OBJ_PU), "6-9");
  hwloc_bitmap_free(set);
}

TEST(SyntheticMachines, BadDescriptionsAreRefused) {
  EXPECT_THROW(Topology::from_synthetic("pack:two"), TopologyError);
}

}  // namespace
}  // namespace scaleout::topology
