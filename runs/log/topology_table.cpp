#include "runs/log/topology_table.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runs/log/hdf5.hpp"

namespace scaleout::runs {

namespace {

// Strings are pointers into strings the writer keeps while the rows are written.
struct NodeRow {
  const char* hostname;
  std::int32_t packages, numa_nodes, cores, pus;
  std::uint64_t memory_bytes;
  std::int32_t l3_caches;
  std::uint64_t l3_bytes;
  std::int32_t nics, gpus, ranks, xml_index;
  const char* nics_json;
  const char* gpus_json;
};

}  // namespace

void write_topology(hid_t file, const topology::ClusterMap& cluster) {
  const h5::Object group = h5::create_group(file, "topology");
  const h5::Object text = h5::string_type();
  h5::CompoundType type(sizeof(NodeRow));
  type.SCALEOUT_FIELD(NodeRow, hostname, text.id())
      .SCALEOUT_FIELD(NodeRow, packages, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, numa_nodes, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, cores, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, pus, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, memory_bytes, H5T_NATIVE_UINT64)
      .SCALEOUT_FIELD(NodeRow, l3_caches, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, l3_bytes, H5T_NATIVE_UINT64)
      .SCALEOUT_FIELD(NodeRow, nics, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, gpus, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, ranks, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, xml_index, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(NodeRow, nics_json, text.id())
      .SCALEOUT_FIELD(NodeRow, gpus_json, text.id());
  // Identical nodes share one XML.
  std::vector<std::string> distinct_xml;
  std::vector<std::string> nics(cluster.nodes.size()), gpus(cluster.nodes.size());
  std::vector<NodeRow> rows;
  for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
    const auto& node = cluster.nodes[i];
    nics[i] = nlohmann::json(node.nics).dump();
    gpus[i] = nlohmann::json(node.gpus).dump();
    std::int32_t ranks = 0;
    for (const auto& placement : cluster.ranks) ranks += placement.node == static_cast<int>(i) ? 1 : 0;
    std::int32_t xml_index = -1;
    if (i < cluster.xml.size()) {
      for (std::size_t k = 0; k < distinct_xml.size() && xml_index < 0; ++k) {
        if (distinct_xml[k] == cluster.xml[i]) xml_index = static_cast<std::int32_t>(k);
      }
      if (xml_index < 0) {
        xml_index = static_cast<std::int32_t>(distinct_xml.size());
        distinct_xml.push_back(cluster.xml[i]);
      }
    }
    rows.push_back({node.hostname.c_str(), node.packages, node.numa_nodes, node.cores, node.pus, node.memory_bytes,
                    node.l3_caches, node.l3_bytes, static_cast<std::int32_t>(node.nics.size()),
                    static_cast<std::int32_t>(node.gpus.size()), ranks, xml_index, nics[i].c_str(), gpus[i].c_str()});
  }
  h5::Table(group.id(), "nodes", type.id(), 64).append(rows.data(), rows.size());
  h5::write_strings(group.id(), "xml", distinct_xml);
}

}  // namespace scaleout::runs
