#include "runs/report/topo_report.hpp"
#include "runs/printable.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

namespace scaleout::runs {

namespace {

std::string gib(std::uint64_t bytes) { return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ull << 30)); }
std::string mib(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ull << 20)); }

std::string plural(int count, const char* word) { return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s"); }

std::string where(int numa, int package) {
  if (numa >= 0) return fmt::format("NUMA {}", numa);
  if (package >= 0) return fmt::format("package {}", package);
  return "machine";
}

}  // namespace

std::string node_text(int index, const topology::NodeSummary& n) {
  std::string text =
      fmt::format("node {}: {}\n", index, n.hostname.empty() ? "(no hostname)" : printable(n.hostname, 256));
  text += fmt::format("  {}, {}, {}, {}, {} memory\n", plural(n.packages, "package"), plural(n.numa_nodes, "NUMA node"),
                      plural(n.cores, "core"), plural(n.pus, "PU"), gib(n.memory_bytes));
  if (n.l3_caches > 0) {
    text += fmt::format("  L3: {} x {} ({} in all)\n", n.l3_caches,
                        mib(n.l3_bytes / static_cast<unsigned>(n.l3_caches)), mib(n.l3_bytes));
  } else {
    text += "  L3: none reported\n";
  }
  if (n.nics.empty()) text += "  NICs: none reported\n";
  for (const topology::Nic& nic : n.nics) {
    text += fmt::format("  NIC {:<10} {:<12} PCI {:<13} near {}\n", nic.name, nic.kind,
                        nic.pci_bus_id.empty() ? "-" : nic.pci_bus_id, where(nic.numa_node, nic.package));
  }
  if (n.gpus.empty()) text += "  GPUs: none\n";
  for (std::size_t g = 0; g < n.gpus.size(); ++g) {
    const topology::Gpu& gpu = n.gpus[g];
    text += fmt::format("  GPU {:<3} {} PCI {} near {} ({})\n", g, gpu.model.empty() ? "(unknown model)" : gpu.model,
                        gpu.pci_bus_id.empty() ? "-" : gpu.pci_bus_id, where(gpu.numa_node, gpu.package),
                        fmt::join(gpu.os_devices, ", "));
  }
  return text;
}

std::string cluster_text(const topology::ClusterMap& map) {
  std::string text;
  for (std::size_t i = 0; i < map.nodes.size(); ++i) text += node_text(static_cast<int>(i), map.nodes[i]);
  if (map.ranks.empty()) return text;

  text += fmt::format("\nplacement: {} on {}\n", plural(static_cast<int>(map.ranks.size()), "rank"),
                      plural(static_cast<int>(map.nodes.size()), "node"));
  text += fmt::format("  {:>5} {:>5} {:>6}  {:<16} {:<12} {:<10} {:<8} {:<6}\n", "rank", "node", "local", "host", "PUs",
                      "cores", "package", "NUMA");
  std::map<int, int> ranks_on_node;
  int unbound = 0;
  for (const topology::RankPlacement& r : map.ranks) {
    const topology::Binding& b = r.binding;
    text +=
        fmt::format("  {:>5} {:>5} {:>6}  {:<16} {:<12} {:<10} {:<8} {:<6}{}\n", r.rank, r.node, r.local_rank,
                    printable(r.hostname, 256), b.pus, b.cores, b.packages, b.numa_nodes, b.bound ? "" : "  (unbound)");
    ++ranks_on_node[r.node];
    if (!b.bound) ++unbound;
  }
  for (const auto& [node, ranks] : ranks_on_node) {
    const int pus = map.nodes[static_cast<std::size_t>(node)].pus;
    if (ranks > pus) {
      text += fmt::format("warning: node {} runs {} on {}: ranks share PUs and compete for them\n", node,
                          plural(ranks, "rank"), plural(pus, "PU"));
    }
  }
  if (unbound > 0) {
    text += fmt::format("note: {} may run on any PU of their node (no binding); times may vary with the OS scheduler\n",
                        plural(unbound, "rank"));
  }
  return text;
}

nlohmann::json cluster_json(const topology::ClusterMap& map) { return {{"nodes", map.nodes}, {"ranks", map.ranks}}; }

}  // namespace scaleout::runs
