#pragma once
// Move-only RAII over hwloc_topology_t. hwloc failures become TopologyError with the reason.

#include <hwloc.h>

#include <stdexcept>
#include <string>

namespace scaleout::topology {

class TopologyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Topology {
 public:
  // This machine as hwloc discovers it, with network, OpenFabrics and accelerator OS devices.
  static Topology discover();
  // A captured machine (hwloc XML). The file is checked first so that a missing or unreadable file
  // gets a message about the file, not about hwloc.
  static Topology from_xml_file(const std::string& path);
  // XML exported by discover() on this very machine: `this_system` lets binding queries apply to the
  // calling process, so ranks of a node reuse one discovery instead of repeating it.
  static Topology from_xml_text(const std::string& xml, bool this_system);

  // A machine described in hwloc's synthetic syntax, e.g. "pack:2 numa:1 l3:1 core:8 pu:2".
  static Topology from_synthetic(const std::string& description);

  ~Topology();
  Topology(Topology&& other) noexcept;
  Topology& operator=(Topology&& other) noexcept;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  hwloc_topology_t native() const noexcept { return handle_; }
  hwloc_obj_t root() const noexcept { return hwloc_get_root_obj(handle_); }
  std::string export_xml() const;

 private:
  Topology();
  void load();
  hwloc_topology_t handle_ = nullptr;
};

}  // namespace scaleout::topology
