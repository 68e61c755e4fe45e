// Slurm's topology.conf as scaleout fabric reads it: host lists expanded as Slurm does, leaf switches
// found by host, and a message naming the line for what Slurm would not read either.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "topology/switch_tree.hpp"

namespace scaleout::topology {
namespace {

using Hosts = std::vector<std::string>;

TEST(Hostlist, ExpandsRangesListsAndPaddingAsWritten) {
  EXPECT_EQ(expand_hostlist("node[01-03,7],gpu2"), (Hosts{"node01", "node02", "node03", "node7", "gpu2"}));
  EXPECT_EQ(expand_hostlist("vnode[0-1]"), (Hosts{"vnode0", "vnode1"}));
  EXPECT_EQ(expand_hostlist("a[1-2]-ib[0-1]"), (Hosts{"a1-ib0", "a1-ib1", "a2-ib0", "a2-ib1"}));
  EXPECT_EQ(expand_hostlist("single"), (Hosts{"single"}));
  EXPECT_EQ(expand_hostlist("s[0-2]"), (Hosts{"s0", "s1", "s2"}));
}

std::string refusal(const std::string& text) {
  try {
    (void)parse_topology_conf(text);
    return "";
  } catch (const SwitchTreeError& error) {
    return error.what();
  }
}

TEST(TopologyConf, LeafSwitchesListTheirNodesAndUpperOnesTheirSwitches) {
  const SwitchTree tree = parse_topology_conf(
      "# two leaves under one spine\n"
      "SwitchName=s0 Nodes=vnode[0-1] LinkSpeed=100\n"
      "switchname=s1   nodes=vnode[2-3]  # the second\n"
      "\n"
      "SwitchName=spine Switches=s[0-1]\n");
  ASSERT_EQ(tree.switches.size(), 3u);
  EXPECT_EQ(tree.switches[1].nodes, (Hosts{"vnode2", "vnode3"}));
  EXPECT_EQ(tree.switches[2].switches, (Hosts{"s0", "s1"}));
  EXPECT_EQ(tree.leaf_of("vnode3"), 1);
  EXPECT_EQ(tree.leaf_of("vnode9"), -1);
}

TEST(TopologyConf, ALineSlurmCouldNotReadIsNamed) {
  EXPECT_EQ(refusal("SwitchName=s0 Nodes=a[1-\n"), "line 1: nodes: 'a[1-': a '[' without its ']'");
  EXPECT_EQ(refusal("SwitchName=s0 Nodes=a1\nNodes=a2\n"), "line 2: no SwitchName=");
  EXPECT_EQ(refusal("SwitchName=s0 Nodes=a1\nSwitchName=s0 Nodes=a2\n"),
            "line 2: switch 's0' is named again (first on line 1)");
  EXPECT_EQ(refusal("SwitchName=s0 Nodes=a[3-1]\n"), "line 1: nodes: 'a[3-1]': '3-1' is not a range from low to high");
  EXPECT_EQ(refusal("SwitchName=top Switches=s[0-1]\nSwitchName=s0 Nodes=a1\n"),
            "line 1: switch 'top' names switch 's1', which no line defines");
  EXPECT_EQ(refusal("SwitchName=s0 Nodes\n"), "line 1: 'Nodes' is not KEY=VALUE");
}

}  // namespace
}  // namespace scaleout::topology
