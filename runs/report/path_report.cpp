#include "runs/report/path_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "runs/sizes.hpp"

namespace scaleout::runs {

namespace {

using analysis::PathShares;
using parallelism::Group;
using parallelism::Transfer;

// Ranks and nodes on the path: the few with the most, the rest summed.
constexpr std::size_t listed = 4;

using Parts = std::vector<std::pair<std::string, double>>;  // name, seconds: largest first

Parts largest_first(Parts parts) {
  parts.erase(std::remove_if(parts.begin(), parts.end(), [](const auto& p) { return p.second <= 0; }), parts.end());
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return parts;
}

Parts ranks_of(const PathShares& s) {
  Parts parts;
  for (const auto& [rank, on] : s.of_rank)
    parts.push_back({fmt::format("rank {} (node {})", rank, on.node), on.seconds});
  return largest_first(parts);
}

Parts nodes_of(const PathShares& s) {
  Parts parts;
  for (const auto& [node, seconds] : s.of_node) parts.push_back({fmt::format("node {}", node), seconds});
  return largest_first(parts);
}

Parts groups_of(const PathShares& s) {
  Parts parts{{"compute", s.compute}};
  for (int g = 0; g < parallelism::group_count; ++g) {
    parts.push_back({parallelism::to_string(static_cast<Group>(g)), s.of_group[static_cast<std::size_t>(g)]});
  }
  parts.push_back({"other", s.other});
  return largest_first(parts);
}

Parts kinds_of(const PathShares& s) {
  Parts parts{{"compute", s.compute}};
  for (int t = 0; t < parallelism::transfer_count; ++t) {
    parts.push_back({parallelism::to_string(static_cast<Transfer>(t)), s.of_transfer[static_cast<std::size_t>(t)]});
  }
  parts.push_back({"other", s.other});
  return largest_first(parts);
}

std::string shares_line(const PathShares& s, const Parts& parts, std::size_t most) {
  std::string line;
  double rest = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i >= most) {
      rest += parts[i].second;
      continue;
    }
    line += fmt::format("{}{} {:.0f} %", line.empty() ? "" : ", ", parts[i].first, 100 * s.share(parts[i].second));
  }
  if (rest > 0) line += fmt::format(", {} more {:.0f} %", parts.size() - most, 100 * s.share(rest));
  return line;
}

nlohmann::json shares_json(const PathShares& s, const Parts& parts) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, seconds] : parts) out[name] = s.share(seconds);
  return out;
}

}  // namespace

std::string critical_path_text(const std::optional<PathShares>& shares, const std::string& heading, bool markdown) {
  const std::string bullet = markdown ? "- " : "";
  if (!shares || shares->steps == 0) {
    return fmt::format("{}critical path {}: not traced (run with output.trace: true)\n", bullet, heading);
  }
  const PathShares& s = *shares;
  const std::string indent = markdown ? "  - " : "    ";
  std::string out = fmt::format("{}critical path {} ({} step{}, {:.2f} ms each on average):\n", bullet, heading,
                                s.steps, s.steps == 1 ? "" : "s", 1e3 * s.seconds / s.steps);
  out += fmt::format("{}ranks   {}\n", indent, shares_line(s, ranks_of(s), listed));
  out += fmt::format("{}nodes   {}\n", indent, shares_line(s, nodes_of(s), listed));
  out += fmt::format("{}groups  {}\n", indent, shares_line(s, groups_of(s), parallelism::group_count + 2));
  out += fmt::format("{}kinds   {}\n", indent, shares_line(s, kinds_of(s), parallelism::transfer_count + 2));
  return out;
}

nlohmann::json critical_path_json(const std::optional<PathShares>& shares) {
  if (!shares || shares->steps == 0) return nullptr;
  const PathShares& s = *shares;
  nlohmann::json ranks = nlohmann::json::array(), nodes = nlohmann::json::array();
  for (const auto& [rank, on] : s.of_rank) {
    ranks.push_back({{"rank", rank}, {"node", on.node}, {"share", s.share(on.seconds)}});
  }
  for (const auto& [node, seconds] : s.of_node) nodes.push_back({{"node", node}, {"share", s.share(seconds)}});
  return {{"steps", s.steps},
          {"seconds", s.seconds},
          {"top_rank", s.top_rank()},
          {"top_node", s.top_node()},
          {"ranks", ranks},
          {"nodes", nodes},
          {"groups", shares_json(s, groups_of(s))},
          {"kinds", shares_json(s, kinds_of(s))}};
}

std::string straggler_nodes_text(const std::vector<analysis::StragglerNode>& nodes) {
  std::string text;
  for (const auto& n : nodes) {
    text += fmt::format("{}node {} ({} of its {} rank{}{})", text.empty() ? "" : "; ", n.node, n.stragglers, n.ranks,
                        n.ranks == 1 ? "" : "s", n.stragglers == n.ranks ? ": the node is slow" : "");
  }
  return text;
}

nlohmann::json straggler_nodes_json(const std::vector<analysis::StragglerNode>& nodes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : nodes) {
    out.push_back({{"node", n.node}, {"stragglers", n.stragglers}, {"ranks", n.ranks}, {"excess_s", n.excess}});
  }
  return out;
}

std::string message_sizes_text(const analysis::MessageSizes& sizes, const std::string& heading, bool markdown) {
  std::string out = fmt::format(
      "\n{}message sizes {} (operations the job issues per step, sized as the collective "
      "benchmark sizes them)\n\n",
      markdown ? "### " : "", heading);
  out += markdown ? "| group | size | operations | bytes |\n| --- | --- | --- | --- |\n"
                  : fmt::format("{:<5}  {:>18}  {:>10}  {:>10}\n", "group", "size", "operations", "bytes");
  bool any = false;
  for (int g = 0; g < parallelism::group_count; ++g) {
    for (const auto& bin : sizes[static_cast<std::size_t>(g)]) {
      any = true;
      const std::string group = parallelism::to_string(static_cast<Group>(g));
      const std::string size = fmt::format("({}, {}]", format_bytes(bin.above), format_bytes(bin.upto));
      out += markdown ? fmt::format("| {} | {} | {:g} | {} |\n", group, size, bin.operations, format_count(bin.bytes))
                      : fmt::format("{:<5}  {:>18}  {:>10g}  {:>10}\n", group, size, bin.operations,
                                    format_count(bin.bytes));
    }
  }
  if (!any) out += "(no communication)\n";
  return out;
}

nlohmann::json message_sizes_json(const analysis::MessageSizes& sizes) {
  nlohmann::json out = nlohmann::json::object();
  for (int g = 0; g < parallelism::group_count; ++g) {
    const auto& bins = sizes[static_cast<std::size_t>(g)];
    if (bins.empty()) continue;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& bin : bins) {
      list.push_back(
          {{"above_bytes", bin.above}, {"upto_bytes", bin.upto}, {"operations", bin.operations}, {"bytes", bin.bytes}});
    }
    out[parallelism::to_string(static_cast<Group>(g))] = list;
  }
  return out;
}

}  // namespace scaleout::runs
