#pragma once
// `--expect-rate nic` of fabric and bench: the link rate each node's own NICs report, read where they
// are (the first rank of every node: hwloc's NICs, sysfs's rates; topology/nic_speed.hpp).

#include <vector>

#include "analysis/fabric_study.hpp"
#include "comm/communicator.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

// Collective over `world`: every node's fastest NIC that reports a rate, on rank 0 (empty elsewhere);
// a UsageError on every rank naming a node whose NICs report none.
std::vector<analysis::NodeNicRate> gather_nic_rates(const comm::Communicator& world,
                                                    const topology::NodeIdentity& identity);

}  // namespace scaleout::runs
