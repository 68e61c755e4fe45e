#pragma once
// Which node every rank sits on, and what every node is: the map gathered across the job
// (topology/cluster_discovery.hpp gathers it). Plain data, no MPI, so reporters and the run log read it.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "topology/binding.hpp"
#include "topology/summary.hpp"

namespace scaleout::topology {

struct RankPlacement {
  int rank = 0;
  int node = 0;
  int local_rank = 0;
  std::string hostname;
  Binding binding;

  bool operator==(const RankPlacement&) const = default;
};

struct ClusterMap {
  std::vector<NodeSummary> nodes;    // index = node number
  std::vector<std::string> xml;      // each node's hwloc XML, same index
  std::vector<RankPlacement> ranks;  // index = rank
};

void to_json(nlohmann::json& out, const RankPlacement& placement);
void from_json(const nlohmann::json& in, RankPlacement& placement);

}  // namespace scaleout::topology
