#pragma once
// What the tests of the run log and of its readers write logs with: a temporary path, a cluster of two
// ranks on one node, and a tp 1 x pp 2 workload of the tiny model with its two stage programs.

#include <filesystem>
#include <string>
#include <vector>

#include "parallelism/step_program.hpp"
#include "parallelism/workload.hpp"
#include "topology/cluster_map.hpp"

namespace p = scaleout::parallelism;

inline std::string temporary(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("scaleout-test-") + name)).string();
}

inline scaleout::topology::ClusterMap two_ranks() {
  scaleout::topology::ClusterMap cluster;
  scaleout::topology::NodeSummary node;
  node.hostname = "node0";
  node.packages = 1;
  node.cores = 2;
  cluster.nodes = {node};
  cluster.xml = {"<topology/>"};
  cluster.ranks = {{0, 0, 0, "node0", {}}, {1, 0, 1, "node0", {}}};
  return cluster;
}

// The config a log of the small workload carries: the report resolves it to the layout of /program.
inline constexpr const char* small_config = "model: tiny\nparallel: {pp: 2}\nbatch: {global: 2}\n";

// tp 1 x pp 2: two stages, one program each.
inline p::Workload small_workload() {
  p::Workload w;
  w.model = *p::find_model_preset("tiny");
  w.device = *p::find_device_preset("h100-sxm");
  w.layout.pp = 2;
  w.global_batch = 2;
  return w;
}
inline std::vector<p::Program> small_programs() {
  return {p::step_program(small_workload(), 0), p::step_program(small_workload(), 1)};
}
