#include "topology/binding.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

namespace scaleout::topology {

namespace {
struct BitmapFree {
  void operator()(hwloc_bitmap_s* bitmap) const noexcept { hwloc_bitmap_free(bitmap); }
};
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapFree>;

Bitmap make_bitmap() {
  Bitmap bitmap(hwloc_bitmap_alloc());
  if (!bitmap) throw TopologyError("hwloc_bitmap_alloc failed");
  return bitmap;
}

std::string list_of(hwloc_const_bitmap_t bitmap) {
  char* text = nullptr;
  if (hwloc_bitmap_list_asprintf(&text, bitmap) < 0) throw TopologyError("hwloc_bitmap_list_asprintf failed");
  std::string result(text);
  std::free(text);
  return result;
}
}  // namespace

std::string covered(const Topology& topology, hwloc_const_cpuset_t cpuset, hwloc_obj_type_t type) {
  Bitmap indices = make_bitmap();
  for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_obj_by_type(topology.native(), type, o)) != nullptr;) {
    if (o->cpuset == nullptr || !hwloc_bitmap_intersects(o->cpuset, cpuset)) continue;
    // Cores' OS indices repeat across packages; logical indices are unique on the machine.
    hwloc_bitmap_set(indices.get(), type == HWLOC_OBJ_CORE ? o->logical_index : o->os_index);
  }
  return list_of(indices.get());
}

Binding current_binding(const Topology& topology) {
  Bitmap cpuset = make_bitmap();
  errno = 0;
  if (hwloc_get_cpubind(topology.native(), cpuset.get(), HWLOC_CPUBIND_PROCESS) != 0) {
    throw TopologyError(std::string("hwloc_get_cpubind failed: ") + std::strerror(errno));
  }
  Binding binding;
  binding.pus = list_of(cpuset.get());
  binding.cores = covered(topology, cpuset.get(), HWLOC_OBJ_CORE);
  binding.packages = covered(topology, cpuset.get(), HWLOC_OBJ_PACKAGE);
  binding.numa_nodes = covered(topology, cpuset.get(), HWLOC_OBJ_NUMANODE);
  binding.bound = !hwloc_bitmap_isincluded(hwloc_topology_get_allowed_cpuset(topology.native()), cpuset.get());
  return binding;
}

void to_json(nlohmann::json& out, const Binding& b) {
  out = {
      {"pus", b.pus}, {"cores", b.cores}, {"packages", b.packages}, {"numa_nodes", b.numa_nodes}, {"bound", b.bound}};
}

void from_json(const nlohmann::json& in, Binding& b) {
  in.at("pus").get_to(b.pus);
  in.at("cores").get_to(b.cores);
  in.at("packages").get_to(b.packages);
  in.at("numa_nodes").get_to(b.numa_nodes);
  in.at("bound").get_to(b.bound);
}

}  // namespace scaleout::topology
