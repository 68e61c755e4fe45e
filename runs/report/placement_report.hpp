#pragma once
// Where a layout's grid lands on the job's nodes: every rank's coordinates next to its node, how
// many TP and CP groups stay inside a node, and a warning for those that do not. Used by
// `scaleout topo --config` (on the nodes of a running job); `scaleout plan` checks a described node.

#include <string>

#include <nlohmann/json.hpp>

#include "parallelism/layout.hpp"
#include "runs/report/format.hpp"
#include "topology/cluster_map.hpp"

namespace scaleout::runs {

std::string placement_text(const topology::ClusterMap& map, const parallelism::Layout& layout);
nlohmann::json placement_json(const topology::ClusterMap& map, const parallelism::Layout& layout);

// `topo`'s output: the nodes and ranks, then with `layout` where its grid lands; text or json.
std::string format_topology(const topology::ClusterMap& map, Format format,
                            const parallelism::Layout* layout = nullptr);

}  // namespace scaleout::runs
