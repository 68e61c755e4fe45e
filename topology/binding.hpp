#pragma once
// Where the calling process may run: its CPU binding, as PU numbers and the cores, packages and NUMA
// nodes those PUs belong to.

#include <string>

#include <nlohmann/json.hpp>

#include "topology/topology.hpp"

namespace scaleout::topology {

struct Binding {
  std::string pus;       // OS indices in list form, "0-3,8"
  std::string cores;     // core logical indices covered (cores have no machine-wide OS index)
  std::string packages;  // package OS indices covered
  std::string numa_nodes;
  bool bound = false;  // false when the process may run on every PU the machine allows it

  bool operator==(const Binding&) const = default;
};

// `topology` must describe this machine (discovered, or loaded with this_system).
Binding current_binding(const Topology& topology);

// The objects of `type` that intersect `cpuset`, as a list of indices ("0-1,4").
std::string covered(const Topology& topology, hwloc_const_cpuset_t cpuset, hwloc_obj_type_t type);

void to_json(nlohmann::json& out, const Binding& binding);
void from_json(const nlohmann::json& in, Binding& binding);

}  // namespace scaleout::topology
