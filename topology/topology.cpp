#include "topology/topology.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include <fmt/format.h>

namespace scaleout::topology {

namespace {
std::string reason() { return errno != 0 ? std::strerror(errno) : "unknown error"; }
}  // namespace

Topology::Topology() {
  if (hwloc_topology_init(&handle_) != 0) throw TopologyError("hwloc_topology_init failed: " + reason());
}

Topology::~Topology() {
  if (handle_ != nullptr) hwloc_topology_destroy(handle_);
}

Topology::Topology(Topology&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

Topology& Topology::operator=(Topology&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) hwloc_topology_destroy(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

void Topology::load() {
  errno = 0;
  if (hwloc_topology_load(handle_) != 0) throw TopologyError("hwloc_topology_load failed: " + reason());
}

Topology Topology::discover() {
  Topology topology;
  // Keep PCI devices and OS devices that matter (NICs, GPUs); drop bridges and the like hwloc would
  // keep only for completeness.
  hwloc_topology_set_io_types_filter(topology.handle_, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  topology.load();
  return topology;
}

namespace {

// hwloc parses XML with libxml2 when its plugin is present, and libxml2 follows a DTD's external
// entities (a crafted file crashed inside it). hwloc's own parser reads every file hwloc writes and
// no DTD at all; hwloc reads this variable at its first XML import, so it is set before any.
void use_hwlocs_own_xml_parser() { ::setenv("HWLOC_LIBXML_IMPORT", "0", 1); }

// The largest XML accepted: hwloc's export of a 192-core, 24-node machine with its PCI tree is
// 330 KB; 64 MiB bounds a device or a runaway file, not any real machine.
constexpr std::uintmax_t largest_xml = std::uintmax_t{64} << 20;

}  // namespace

Topology Topology::from_xml_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto status = fs::status(path, error);
  if (error || !fs::exists(status)) throw TopologyError(fmt::format("{}: no such file", path));
  if (fs::is_directory(status)) throw TopologyError(fmt::format("{}: is a folder, not an XML file", path));
  // A FIFO would block the read until a writer came, a device never ends.
  if (!fs::is_regular_file(status)) throw TopologyError(fmt::format("{}: is not a regular file", path));
  if (fs::file_size(path, error) > largest_xml) {
    throw TopologyError(fmt::format("{}: larger than 64 MiB; not an hwloc XML topology", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TopologyError(fmt::format("{}: cannot be read", path));
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw TopologyError(fmt::format("{}: cannot be read", path));
  Topology topology;
  try {
    topology = from_xml_text(xml, /*this_system=*/false);
  } catch (const TopologyError& failure) {
    throw TopologyError(fmt::format("{}: not a valid hwloc XML topology ({})", path, failure.what()));
  }
  // hwloc reads local_memory="-5" as 2^64 - 5 bytes: no NUMA node has a pebibyte.
  constexpr std::uint64_t most_memory = std::uint64_t{1} << 50;
  const int numa_nodes = hwloc_get_nbobjs_by_type(topology.handle_, HWLOC_OBJ_NUMANODE);
  for (int i = 0; i < numa_nodes; ++i) {
    const hwloc_obj_t node = hwloc_get_obj_by_type(topology.handle_, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
    if (node->attr != nullptr && node->attr->numanode.local_memory > most_memory) {
      throw TopologyError(
          fmt::format("{}: NUMA node {} has a local_memory of {} bytes, past the 2^50 (1 PiB) any "
                      "machine has; the file is damaged",
                      path, i, node->attr->numanode.local_memory));
    }
  }
  return topology;
}

Topology Topology::from_xml_text(const std::string& xml, bool this_system) {
  use_hwlocs_own_xml_parser();
  Topology topology;
  hwloc_topology_set_io_types_filter(topology.handle_, HWLOC_TYPE_FILTER_KEEP_ALL);
  if (this_system) hwloc_topology_set_flags(topology.handle_, HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM);
  errno = 0;
  if (hwloc_topology_set_xmlbuffer(topology.handle_, xml.c_str(), static_cast<int>(xml.size() + 1)) != 0) {
    throw TopologyError("hwloc cannot parse it: " + reason());
  }
  topology.load();
  return topology;
}

Topology Topology::from_synthetic(const std::string& description) {
  Topology topology;
  errno = 0;
  if (hwloc_topology_set_synthetic(topology.handle_, description.c_str()) != 0) {
    throw TopologyError(fmt::format("'{}' is not a synthetic hwloc topology ({})", description, reason()));
  }
  topology.load();
  return topology;
}

std::string Topology::export_xml() const {
  char* buffer = nullptr;
  int length = 0;
  if (hwloc_topology_export_xmlbuffer(handle_, &buffer, &length, 0) != 0) {
    throw TopologyError("hwloc_topology_export_xmlbuffer failed: " + reason());
  }
  // hwloc counts the terminating NUL in `length`.
  std::string xml(buffer, length > 0 ? static_cast<std::size_t>(length - 1) : 0);
  hwloc_free_xmlbuffer(handle_, buffer);
  return xml;
}

}  // namespace scaleout::topology
