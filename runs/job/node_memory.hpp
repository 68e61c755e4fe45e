#pragma once
// Refusing work that would not fit a node's memory, before any of it starts: otherwise the OOM killer,
// not a message, would end the job.

#include <cstdint>
#include <string>

#include "comm/communicator.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

// Collective over `world`. Throws UsageError on every rank when `per_rank_bytes` times the ranks of
// some node exceed 90% of the memory that node has available. `what` names the cause in the message
// ("--sizes: allreduce of 64 MiB").
void check_node_memory(const comm::Communicator& world, const topology::NodeIdentity& identity,
                       std::uint64_t per_rank_bytes, const std::string& what, const std::string& advice);

}  // namespace scaleout::runs
