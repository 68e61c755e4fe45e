#include "runs/log/fabric_log.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "runs/log/background_table.hpp"
#include "runs/log/hdf5.hpp"
#include "runs/log/topology_table.hpp"
#include "runs/version.hpp"

namespace scaleout::runs {

namespace {

// The samples of one pass (all pairs, or the retest) under `name`: receive seconds
// [size][from][to][iteration], round trips [a][b][iteration], the round of each pair [a][b], and the
// median bandwidth [size][from][to] in bytes per second.
void write_samples(hid_t parent, const char* name, const comm::FabricSamples& samples) {
  const h5::Object group = h5::create_group(parent, name);
  const auto n = static_cast<hsize_t>(samples.count());
  const auto sizes = static_cast<hsize_t>(samples.sizes.size());
  const auto iterations = static_cast<hsize_t>(samples.iterations);
  std::vector<std::int64_t> size_bytes(samples.sizes.begin(), samples.sizes.end());
  h5::write_array(group.id(), "sizes", size_bytes, {sizes}, "bytes");
  h5::write_array(group.id(), "receive_s", samples.receive_s, {sizes, n, n, iterations}, "s");
  h5::write_array(group.id(), "round_trip_s", samples.round_trip_s, {n, n, iterations}, "s");
  std::vector<std::int64_t> rounds(samples.round_of.begin(), samples.round_of.end());
  h5::write_array(group.id(), "round", rounds, {n, n}, "");
  std::vector<double> bandwidth;
  for (std::size_t size = 0; size < samples.sizes.size(); ++size) {
    const auto matrix = analysis::bandwidth_matrix(samples, size);
    bandwidth.insert(bandwidth.end(), matrix.begin(), matrix.end());
  }
  h5::write_array(group.id(), "bandwidth", bandwidth, {sizes, n, n}, "bytes/s");
  h5::write_attribute(group.id(), "elapsed_s", samples.elapsed_s);
  h5::write_attribute(group.id(), "message_bytes", static_cast<std::int64_t>(samples.message_bytes));
}

// The rounds measured under the background (`congested`, samples as all_pairs keeps them) and what
// each background rank did (`background`).
void write_background(hid_t root, const analysis::FabricCongestion& congestion) {
  write_samples(root, "congested", congestion.congested);
  const h5::Object group = h5::create_group(root, "background");
  write_background_pattern(group.id(), congestion.pattern, congestion.unit_bytes);
  write_background_ranks(group.id(), congestion.background);
}

}  // namespace

void write_fabric_log(const std::string& path, const FabricLogHeader& header, const topology::ClusterMap& cluster,
                      const analysis::FabricStudy& study) {
  const h5::Object file = h5::create_file(path);
  const hid_t root = file.id();
  h5::write_attribute(root, "kind", std::string("fabric"));
  h5::write_attribute(root, "schema_version", fabric_log_schema_version);
  h5::write_attribute(root, "tool_version", header.tool_version);
  h5::write_attribute(root, "git_revision", header.git_revision);
  h5::write_attribute(root, "created", utc_now());
  h5::write_attribute(root, "command_line", header.command_line);
  h5::write_attribute(root, "measured", study.measured);
  {
    const h5::Object environment = h5::create_group(root, "environment");
    for (const auto& [name, value] : header.environment) h5::write_attribute(environment.id(), name.c_str(), value);
  }
  write_topology(root, cluster);
  {
    const h5::Object participants = h5::create_group(root, "participants");
    h5::write_strings(participants.id(), "label", study.labels);
    h5::write_strings(participants.id(), "host", study.hosts);
    std::vector<std::int64_t> ranks(study.all_pairs.participants.begin(), study.all_pairs.participants.end());
    h5::write_array(participants.id(), "rank", ranks, {ranks.size()}, "");
    if (!study.switch_source.empty()) {
      // Each participant's leaf switch ("" where topology.conf lists its host under none).
      std::vector<std::string> switches;
      for (const int s : study.switch_of)
        switches.push_back(s < 0 ? "" : study.switch_names[static_cast<std::size_t>(s)]);
      h5::write_strings(participants.id(), "switch", switches);
      h5::write_attribute(participants.id(), "switches_from", study.switch_source);
    }
  }
  write_samples(root, "all_pairs", study.all_pairs);
  write_samples(root, "retest", study.retest);
  if (study.congestion) write_background(root, *study.congestion);
  const auto n = static_cast<hsize_t>(study.all_pairs.count());
  h5::write_array(root, "latency", analysis::latency_matrix(study.all_pairs), {n, n}, "s");
  h5::write_attribute(root, "verdict", analysis::verdict_json(study).dump());
  h5::write_attribute(root, "healthy", static_cast<std::int64_t>(study.healthy() ? 1 : 0));
}

}  // namespace scaleout::runs
