#pragma once
// The switches of a cluster as Slurm's topology/tree plugin reads them from topology.conf (slurm.conf's
// TopologyPlugin=topology/tree; Slurm's topology.conf(5)): a line per switch, `SwitchName=s0
// Nodes=node[01-16]` for a leaf switch, `SwitchName=spine Switches=s[0-3]` above them, `#` comments,
// LinkSpeed and other keys ignored. `scaleout fabric` judges the links that leave each leaf switch and
// orders its heatmap by them (docs/fabric.md "Switches"). No hwloc, no MPI here.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace scaleout::topology {

struct Switch {
  std::string name;
  std::vector<std::string> nodes;     // a leaf's
  std::vector<std::string> switches;  // the switches under it
};

struct SwitchTree {
  std::vector<Switch> switches;  // in the file's order
  // The index of the leaf switch that lists `host` among its nodes (the first, if several); -1 when none.
  int leaf_of(std::string_view host) const;
};

// What a line of topology.conf cannot be: the message names the line and what is wrong.
struct SwitchTreeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Slurm's host list: names and bracketed ranges, `node[01-03,7],gpu2` -> node01 node02 node03 node7
// gpu2 (zero padding kept as written). SwitchTreeError on an unclosed bracket or a bad range.
std::vector<std::string> expand_hostlist(std::string_view list);

// SwitchTreeError("line N: ...") for a line without SwitchName=, a switch named twice, a Nodes or
// Switches list that does not expand, or a switch that names an unknown switch.
SwitchTree parse_topology_conf(std::string_view text);

// The topology.conf Slurm reads: beside $SLURM_CONF when it is set, else /etc/slurm/topology.conf;
// "" when that file does not exist.
std::string slurm_topology_conf();

}  // namespace scaleout::topology
