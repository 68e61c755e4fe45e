#pragma once
// What one node offers, as hwloc describes it: the figures the run log and `scaleout topo` report.
// Indices are hwloc's OS (physical) indices, the numbers numactl and taskset use; -1 means "none":
// a device that hangs off the whole machine rather than one NUMA node or package.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "topology/topology.hpp"

namespace scaleout::topology {

struct Nic {
  std::string name;        // the OS device: eth0, ib0, mlx5_0, ...
  std::string kind;        // "network" or "openfabrics"
  std::string pci_bus_id;  // of the physical device ("" when not on PCI)
  int numa_node = -1;
  int package = -1;
  bool operator==(const Nic&) const = default;
};

// One physical accelerator: a device with at least one compute OS device (CUDA, NVML, ROCm SMI,
// OpenCL, Level Zero, ...). Its OS devices are listed together; a display adapter with only a DRM
// device is no accelerator.
struct Gpu {
  std::string pci_bus_id;
  std::string model;
  std::vector<std::string> os_devices;
  int numa_node = -1;
  int package = -1;
  bool operator==(const Gpu&) const = default;
};

struct NodeSummary {
  std::string hostname;
  int packages = 0;
  int numa_nodes = 0;
  int cores = 0;
  int pus = 0;
  std::uint64_t memory_bytes = 0;  // all NUMA nodes' memory
  int l3_caches = 0;
  std::uint64_t l3_bytes = 0;  // all L3 caches together
  std::vector<Nic> nics;
  std::vector<Gpu> gpus;

  bool operator==(const NodeSummary&) const = default;
};

// `hostname` overrides the one the topology carries (hwloc's HostName info, set on discovery and kept
// in XML); when both are empty the summary's hostname is empty.
NodeSummary summarize(const Topology& topology, const std::string& hostname = {});

void to_json(nlohmann::json& out, const Nic& nic);
void from_json(const nlohmann::json& in, Nic& nic);
void to_json(nlohmann::json& out, const Gpu& gpu);
void from_json(const nlohmann::json& in, Gpu& gpu);
void to_json(nlohmann::json& out, const NodeSummary& node);
void from_json(const nlohmann::json& in, NodeSummary& node);

}  // namespace scaleout::topology
