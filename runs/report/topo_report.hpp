#pragma once
// Reporters of `scaleout topo`: text for people, JSON for programs.

#include <string>

#include <nlohmann/json.hpp>

#include "topology/cluster_map.hpp"

namespace scaleout::runs {

std::string node_text(int index, const topology::NodeSummary& node);
// Every node, then the placement of every rank, with warnings where ranks outnumber PUs or are unbound.
std::string cluster_text(const topology::ClusterMap& map);
// {"nodes": [...], "ranks": [...]}; "ranks" is empty for a captured machine.
nlohmann::json cluster_json(const topology::ClusterMap& map);

}  // namespace scaleout::runs
