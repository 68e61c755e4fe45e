#pragma once
// /topology of a run log and of a fabric log (docs/run-log.md): one row per node (hostname, packages,
// NUMA nodes, cores, PUs, memory, caches, NICs and GPUs as JSON, its ranks) and each distinct node's
// hwloc XML once.

#include <hdf5.h>

#include "topology/cluster_map.hpp"

namespace scaleout::runs {

void write_topology(hid_t file, const topology::ClusterMap& cluster);

}  // namespace scaleout::runs
