#include "runs/report/scale_table.hpp"

#include <fmt/format.h>

#include <set>

namespace scaleout::runs {

using analysis::ScalePoint;

namespace {

std::vector<std::string> groups_used(const std::vector<ScalePoint>& points) {
  std::set<std::string> groups;
  for (const auto& p : points) {
    for (const auto& [group, seconds] : p.exposed) groups.insert(group);
  }
  return {groups.begin(), groups.end()};
}

bool any_bubble(const std::vector<ScalePoint>& points) {
  for (const auto& p : points) {
    if (p.bubble > 0) return true;
  }
  return false;
}

double exposed_of(const ScalePoint& p, const std::string& group) {
  const auto found = p.exposed.find(group);
  return found == p.exposed.end() ? 0.0 : found->second;
}

nlohmann::json tier_json(const std::array<double, parallelism::tier_count>& figures) {
  nlohmann::json json;
  for (std::size_t t = 0; t < figures.size(); ++t)
    json[parallelism::to_string(static_cast<parallelism::Tier>(t))] = figures[t];
  return json;
}

}  // namespace

std::string scale_unit(const analysis::ScalingReport& report, double scale) {
  const bool one = scale == 1.0;
  return report.by_nodes ? (one ? "node" : "nodes") : (one ? "rank" : "ranks");
}

nlohmann::json breakdown_json(const analysis::ScalePoint& p) {
  return {{"compute_s", p.compute},
          {"exposed_s", p.exposed},
          {"exposed_total_s", p.exposed_total},
          {"bubble_s", p.bubble},
          {"overlapped_s", p.overlapped},
          {"other_s", p.other},
          {"comm_share", p.comm_share},
          {"tokens_per_s", p.tokens_per_second},
          {"tflops_per_device", p.tflops_per_device},
          {"efficiency", p.efficiency},
          {"exposed_network_s", p.exposed_network},
          {"exposed_tier_s", tier_json(p.exposed_tier)},
          {"overlapped_tier_s", tier_json(p.overlapped_tier)},
          {"bytes_moved", p.bytes_moved},
          {"bytes_modelled", p.bytes_modelled},
          {"memory_bound_share", p.run.memory_bound_share},
          {"binding", analysis::describe_binding(p.binding, p.binding_group)},
          {"binding_link", analysis::to_string(p.binding)},
          {"binding_group", p.binding_group},
          {"binding_share", p.binding_share}};
}

std::string crossover_text(const analysis::ScalingReport& report) {
  const auto& c = report.crossover;
  if (!c.reached) {
    const double last = analysis::scale_of(report, report.points.back());
    return fmt::format("not reached up to {:g} {}", last, scale_unit(report, last));
  }
  if (c.already) return fmt::format("already at {:g} {}, the smallest scale", c.at, scale_unit(report, c.at));
  return fmt::format("at {:.2f} {} (exposed communication exceeds compute between {:g} and {:g})", c.at,
                     report.by_nodes ? "nodes" : "ranks", c.below, c.above);
}

std::vector<Column> scale_columns(const std::vector<ScalePoint>& points, ScaleColumns shown) {
  const auto ms = [](double seconds) { return fmt::format("{:.2f}", seconds * 1e3); };
  std::vector<Column> c = {
      {"nodes", "nodes", [](const ScalePoint& p) { return std::to_string(p.run.nodes); }},
      {"ranks", "ranks", [](const ScalePoint& p) { return std::to_string(p.run.ranks); }},
      {"step_p50_ms", shown.percentiles ? "step p50 ms" : "step ms",
       [=](const ScalePoint& p) { return ms(p.step_p50); }},
  };
  if (shown.percentiles) {
    c.push_back({"step_p5_ms", "p5", [=](const ScalePoint& p) { return ms(p.step_p5); }});
    c.push_back({"step_p95_ms", "p95", [=](const ScalePoint& p) { return ms(p.step_p95); }});
  }
  c.push_back({"compute_ms", "compute", [=](const ScalePoint& p) { return ms(p.compute); }});
  for (const auto& group : groups_used(points)) {
    c.push_back(
        {"exposed_" + group + "_ms", "exp " + group, [=](const ScalePoint& p) { return ms(exposed_of(p, group)); }});
  }
  if (!groups_used(points).empty()) {
    // The same exposed time again, by the tier its ops crossed.
    const auto tier = [](parallelism::Tier t) { return static_cast<std::size_t>(t); };
    c.push_back({"exposed_intra_node_ms", "exp node",
                 [=](const ScalePoint& p) { return ms(p.exposed_tier[tier(parallelism::Tier::intra_node)]); }});
    c.push_back({"exposed_network_ms", "exp net",
                 [=](const ScalePoint& p) { return ms(p.exposed_tier[tier(parallelism::Tier::network)]); }});
  }
  if (any_bubble(points)) c.push_back({"bubble_ms", "bubble", [=](const ScalePoint& p) { return ms(p.bubble); }});
  c.push_back({"overlapped_ms", "overlap", [=](const ScalePoint& p) { return ms(p.overlapped); }});
  c.push_back({"comm_share", "comm %", [](const ScalePoint& p) { return fmt::format("{:.1f}", 100 * p.comm_share); }});
  c.push_back(
      {"tokens_per_s", "tokens/s", [](const ScalePoint& p) { return fmt::format("{:.0f}", p.tokens_per_second); }});
  c.push_back({"tflops_per_device", "TFLOP/s/dev",
               [](const ScalePoint& p) { return fmt::format("{:.3f}", p.tflops_per_device); }});
  c.push_back({"efficiency", "eff %", [](const ScalePoint& p) { return fmt::format("{:.1f}", 100 * p.efficiency); }});
  c.push_back({"binding", "bound by", [](const ScalePoint& p) {
                 return fmt::format("{} {:.0f} %", analysis::describe_binding(p.binding, p.binding_group),
                                    100 * p.binding_share);
               }});
  return c;
}

std::string render_grid(const std::vector<std::string>& headings, const std::vector<std::vector<std::string>>& cells,
                        bool markdown) {
  std::string out;
  if (markdown) {
    std::string header = "|", rule = "|";
    for (const auto& heading : headings) header += " " + heading + " |", rule += " --- |";
    out += header + "\n" + rule + "\n";
    for (const auto& row : cells) {
      out += "|";
      for (const auto& cell : row) out += " " + cell + " |";
      out += "\n";
    }
    return out;
  }
  std::vector<std::size_t> width;
  for (std::size_t i = 0; i < headings.size(); ++i) {
    width.push_back(headings[i].size());
    for (const auto& row : cells) width[i] = std::max(width[i], row[i].size());
  }
  const auto line = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < headings.size(); ++i) out += fmt::format("{}{:>{}}", i ? "  " : "", row[i], width[i]);
    out += "\n";
  };
  line(headings);
  for (const auto& row : cells) line(row);
  return out;
}

}  // namespace scaleout::runs
