#include "topology/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

namespace scaleout::topology {

namespace {

int count_of(const Topology& topology, hwloc_obj_type_t type) {
  return std::max(0, hwloc_get_nbobjs_by_type(topology.native(), type));
}

std::string info(hwloc_obj_t object, const char* name) {
  const char* value = hwloc_obj_get_info_by_name(object, name);
  return value != nullptr ? value : "";
}

std::string pci_bus_id(hwloc_obj_t object) {
  for (hwloc_obj_t o = object; o != nullptr; o = o->parent) {
    if (o->type == HWLOC_OBJ_PCI_DEVICE) {
      const auto& pci = o->attr->pcidev;
      return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", pci.domain, pci.bus, pci.dev, pci.func);
    }
  }
  return "";
}

// Where an I/O object hangs: the NUMA node when its first non-I/O ancestor covers exactly one, and
// the package that ancestor is or sits in.
std::pair<int, int> locality(const Topology& topology, hwloc_obj_t io_object) {
  hwloc_obj_t anchor = hwloc_get_non_io_ancestor_obj(topology.native(), io_object);
  if (anchor == nullptr) return {-1, -1};
  int numa = -1;
  if (anchor->nodeset != nullptr && hwloc_bitmap_weight(anchor->nodeset) == 1) {
    numa = hwloc_bitmap_first(anchor->nodeset);
  }
  hwloc_obj_t package = anchor->type == HWLOC_OBJ_PACKAGE
                            ? anchor
                            : hwloc_get_ancestor_obj_by_type(topology.native(), HWLOC_OBJ_PACKAGE, anchor);
  return {numa, package != nullptr ? static_cast<int>(package->os_index) : -1};
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// A compute OS device: hwloc's co-processor class (CUDA, OpenCL, Level Zero, ...) or a GPU-class
// device from a management library (NVML, ROCm SMI). DRM (card0, renderD128) and X displays are
// GPU-class too, but say nothing about compute.
bool is_compute(hwloc_obj_t osdev) {
  const auto type = osdev->attr->osdev.type;
  if (type == HWLOC_OBJ_OSDEV_COPROC) return true;
  if (type != HWLOC_OBJ_OSDEV_GPU) return false;
  const std::string backend = info(osdev, "Backend");
  const std::string_view name = osdev->name != nullptr ? osdev->name : "";
  return backend == "NVML" || backend == "RSMI" || starts_with(name, "nvml") || starts_with(name, "rsmi");
}

void collect_nics(const Topology& topology, NodeSummary& node) {
  for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_osdev(topology.native(), o)) != nullptr;) {
    const auto type = o->attr->osdev.type;
    if (type != HWLOC_OBJ_OSDEV_NETWORK && type != HWLOC_OBJ_OSDEV_OPENFABRICS) continue;
    const auto [numa, package] = locality(topology, o);
    node.nics.push_back({o->name != nullptr ? o->name : "", type == HWLOC_OBJ_OSDEV_NETWORK ? "network" : "openfabrics",
                         pci_bus_id(o), numa, package});
  }
}

void collect_gpus(const Topology& topology, NodeSummary& node) {
  // One entry per physical device: OS devices are grouped by their parent, in discovery order.
  std::map<hwloc_obj_t, std::size_t> index_of;
  for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_osdev(topology.native(), o)) != nullptr;) {
    if (!is_compute(o)) continue;
    auto [it, fresh] = index_of.try_emplace(o->parent, node.gpus.size());
    if (fresh) {
      const auto [numa, package] = locality(topology, o);
      Gpu gpu;
      gpu.pci_bus_id = pci_bus_id(o);
      gpu.numa_node = numa;
      gpu.package = package;
      if (o->parent != nullptr) gpu.model = info(o->parent, "PCIDevice");
      node.gpus.push_back(std::move(gpu));
    }
    Gpu& gpu = node.gpus[it->second];
    gpu.os_devices.emplace_back(o->name != nullptr ? o->name : "");
    if (const std::string model = info(o, "GPUModel"); !model.empty()) gpu.model = model;
  }
}

}  // namespace

NodeSummary summarize(const Topology& topology, const std::string& hostname) {
  NodeSummary node;
  node.hostname = hostname.empty() ? info(topology.root(), "HostName") : hostname;
  node.packages = count_of(topology, HWLOC_OBJ_PACKAGE);
  node.numa_nodes = count_of(topology, HWLOC_OBJ_NUMANODE);
  node.cores = count_of(topology, HWLOC_OBJ_CORE);
  node.pus = count_of(topology, HWLOC_OBJ_PU);
  node.memory_bytes = topology.root()->total_memory;
  node.l3_caches = count_of(topology, HWLOC_OBJ_L3CACHE);
  for (int i = 0; i < node.l3_caches; ++i) {
    node.l3_bytes +=
        hwloc_get_obj_by_type(topology.native(), HWLOC_OBJ_L3CACHE, static_cast<unsigned>(i))->attr->cache.size;
  }
  collect_nics(topology, node);
  collect_gpus(topology, node);
  return node;
}

void to_json(nlohmann::json& out, const Nic& nic) {
  out = {{"name", nic.name},
         {"kind", nic.kind},
         {"pci_bus_id", nic.pci_bus_id},
         {"numa_node", nic.numa_node},
         {"package", nic.package}};
}

void from_json(const nlohmann::json& in, Nic& nic) {
  in.at("name").get_to(nic.name);
  in.at("kind").get_to(nic.kind);
  in.at("pci_bus_id").get_to(nic.pci_bus_id);
  in.at("numa_node").get_to(nic.numa_node);
  in.at("package").get_to(nic.package);
}

void to_json(nlohmann::json& out, const Gpu& gpu) {
  out = {{"pci_bus_id", gpu.pci_bus_id},
         {"model", gpu.model},
         {"os_devices", gpu.os_devices},
         {"numa_node", gpu.numa_node},
         {"package", gpu.package}};
}

void from_json(const nlohmann::json& in, Gpu& gpu) {
  in.at("pci_bus_id").get_to(gpu.pci_bus_id);
  in.at("model").get_to(gpu.model);
  in.at("os_devices").get_to(gpu.os_devices);
  in.at("numa_node").get_to(gpu.numa_node);
  in.at("package").get_to(gpu.package);
}

void to_json(nlohmann::json& out, const NodeSummary& node) {
  out = {{"hostname", node.hostname},
         {"packages", node.packages},
         {"numa_nodes", node.numa_nodes},
         {"cores", node.cores},
         {"pus", node.pus},
         {"memory_bytes", node.memory_bytes},
         {"l3_caches", node.l3_caches},
         {"l3_bytes", node.l3_bytes},
         {"nics", node.nics},
         {"gpus", node.gpus}};
}

void from_json(const nlohmann::json& in, NodeSummary& node) {
  in.at("hostname").get_to(node.hostname);
  in.at("packages").get_to(node.packages);
  in.at("numa_nodes").get_to(node.numa_nodes);
  in.at("cores").get_to(node.cores);
  in.at("pus").get_to(node.pus);
  in.at("memory_bytes").get_to(node.memory_bytes);
  in.at("l3_caches").get_to(node.l3_caches);
  in.at("l3_bytes").get_to(node.l3_bytes);
  in.at("nics").get_to(node.nics);
  in.at("gpus").get_to(node.gpus);
}

}  // namespace scaleout::topology
