#pragma once
// The log of `scaleout fabric --output FILE.h5` (docs/fabric.md "The log"): written once, by rank 0,
// when the test is over. Root attributes as a run log's (kind "fabric"), /environment, /topology, the
// participants, the matrices with their units, every raw sample, and the verdicts as JSON.

#include <map>
#include <string>

#include "analysis/fabric_study.hpp"
#include "topology/cluster_map.hpp"

namespace scaleout::runs {

inline constexpr std::int64_t fabric_log_schema_version = 1;

struct FabricLogHeader {
  std::string tool_version, git_revision, command_line;
  std::map<std::string, std::string> environment;
};

// Replaces `path`. Throws h5::Error naming what could not be written.
void write_fabric_log(const std::string& path, const FabricLogHeader& header, const topology::ClusterMap& cluster,
                      const analysis::FabricStudy& study);

}  // namespace scaleout::runs
