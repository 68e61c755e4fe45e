#include "runs/report/placement_report.hpp"

#include <fmt/format.h>

#include "runs/printable.hpp"
#include "runs/report/topo_report.hpp"

namespace scaleout::runs {

namespace {
std::vector<int> node_of_rank(const topology::ClusterMap& map) {
  std::vector<int> nodes;
  for (const auto& rank : map.ranks) nodes.push_back(rank.node);
  return nodes;
}
}  // namespace

std::string placement_text(const topology::ClusterMap& map, const parallelism::Layout& layout) {
  std::string text = fmt::format("\ngrid: {} on {} rank{}\n", parallelism::describe(layout), layout.world(),
                                 layout.world() == 1 ? "" : "s");
  text += fmt::format("  {:>5} {:>5}  {:<16} {:>4} {:>4} {:>4} {:>4} {:>4}\n", "rank", "node", "host", "dp", "tp", "pp",
                      "cp", "ep");
  for (const auto& r : map.ranks) {
    const auto p = parallelism::position_of(layout, r.rank);
    text += fmt::format("  {:>5} {:>5}  {:<16} {:>4} {:>4} {:>4} {:>4} {:>4}\n", r.rank, r.node,
                        printable(r.hostname, 256), p.dp, p.tp, p.pp, p.cp, p.ep);
  }
  const auto warnings = parallelism::placement_warnings(layout, node_of_rank(map));
  if (warnings.empty() && (layout.tp > 1 || layout.cp > 1)) text += "every TP and CP group is inside a node\n";
  for (const auto& warning : warnings) text += "warning: " + warning.message + "\n";
  return text;
}

nlohmann::json placement_json(const topology::ClusterMap& map, const parallelism::Layout& layout) {
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& r : map.ranks) {
    const auto p = parallelism::position_of(layout, r.rank);
    ranks.push_back(
        {{"rank", r.rank}, {"node", r.node}, {"dp", p.dp}, {"tp", p.tp}, {"pp", p.pp}, {"cp", p.cp}, {"ep", p.ep}});
  }
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& warning : parallelism::placement_warnings(layout, node_of_rank(map))) {
    warnings.push_back({{"group", to_string(warning.channel)},
                        {"groups", warning.groups},
                        {"spanning_nodes", warning.spanning},
                        {"message", warning.message}});
  }
  return {{"layout", parallelism::describe(layout)}, {"ranks", ranks}, {"warnings", warnings}};
}

std::string format_topology(const topology::ClusterMap& map, Format format, const parallelism::Layout* layout) {
  if (format == Format::json) {
    auto out = cluster_json(map);
    if (layout != nullptr) out["grid"] = placement_json(map, *layout);
    return out.dump(2) + "\n";
  }
  std::string out = cluster_text(map);
  if (layout != nullptr) out += placement_text(map, *layout);
  return out;
}

}  // namespace scaleout::runs
