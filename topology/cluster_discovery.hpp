#pragma once
// Which node every rank sits on, and what every node is, gathered across the job.
//
// Node identity: ranks that share memory (MPI_COMM_TYPE_SHARED) and report the same hostname form a
// node. The hostname check matters where shared memory alone would merge hosts (several emulated
// nodes in network namespaces of one machine have distinct hostnames). Nodes are numbered by their
// lowest world rank.

#include <string>

#include "comm/communicator.hpp"
#include "topology/cluster_map.hpp"

namespace scaleout::topology {

struct NodeIdentity {
  comm::Communicator node_comm;  // the ranks of this node, ordered by world rank
  int node = 0;                  // 0 .. nodes-1
  int nodes = 1;
  int local_rank = 0;
  int local_size = 1;
  std::string hostname;
};

// Collective over `comm`. `hostname` defaults to this host's (MPI_Get_processor_name); tests pass
// others to emulate several hosts on one machine.
NodeIdentity identify_node(const comm::Communicator& comm, const std::string& hostname = {});

// Collective over `comm`: each node's first rank discovers the node once and shares the XML with the
// node's other ranks, which read their binding from it. Complete on rank 0; empty elsewhere.
ClusterMap gather_cluster_map(const comm::Communicator& comm);

}  // namespace scaleout::topology
