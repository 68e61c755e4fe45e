#include "runs/report_format.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <set>

namespace scaleout::runs {

namespace {

using analysis::ScalePoint;

std::vector<std::string> groups_used(const ReportData& d) {
  std::set<std::string> groups;
  for (const auto& p : d.scaling.points) {
    for (const auto& [group, seconds] : p.exposed) groups.insert(group);
  }
  return {groups.begin(), groups.end()};
}

bool any_bubble(const ReportData& d) {
  for (const auto& p : d.scaling.points) {
    if (p.bubble > 0) return true;
  }
  return false;
}

double exposed_of(const ScalePoint& p, const std::string& group) {
  const auto found = p.exposed.find(group);
  return found == p.exposed.end() ? 0.0 : found->second;
}

std::string unit(const ReportData& d, double scale) {
  const bool one = scale == 1.0;
  return d.scaling.by_nodes ? (one ? "node" : "nodes") : (one ? "rank" : "ranks");
}

std::string crossover_text(const ReportData& d) {
  const auto& c = d.scaling.crossover;
  const auto& points = d.scaling.points;
  if (!c.reached) {
    const double last = analysis::scale_of(d.scaling, points.back());
    return fmt::format("not reached up to {:g} {}", last, unit(d, last));
  }
  if (c.already) return fmt::format("already at {:g} {}, the smallest scale measured", c.at, unit(d, c.at));
  return fmt::format("at {:.2f} {} (exposed communication exceeds compute between {:g} and {:g})", c.at,
                     d.scaling.by_nodes ? "nodes" : "ranks", c.below, c.above);
}

std::string straggler_text(const ReportData& d, std::size_t i) {
  const auto& list = d.stragglers[i];
  if (list.empty()) return "none";
  std::string text;
  for (const auto& s : list) {
    text += fmt::format("{}rank {}{} late in {:.0f} % of steps, +{:.2f} ms busy per step", text.empty() ? "" : "; ",
                        s.rank, s.node >= 0 ? fmt::format(" (node {})", s.node) : "", 100 * s.late_share,
                        s.excess * 1e3);
  }
  return text;
}

// One row of figures per scale: the columns every format shares.
struct Column {
  std::string name;      // csv and json
  std::string heading;   // text and markdown
  std::function<std::string(const ScalePoint&)> value;
};

std::vector<Column> columns(const ReportData& d) {
  const auto ms = [](double seconds) { return fmt::format("{:.2f}", seconds * 1e3); };
  std::vector<Column> c = {
      {"nodes", "nodes", [](const ScalePoint& p) { return std::to_string(p.run.nodes); }},
      {"ranks", "ranks", [](const ScalePoint& p) { return std::to_string(p.run.ranks); }},
      {"step_p50_ms", "step p50 ms", [=](const ScalePoint& p) { return ms(p.step_p50); }},
      {"step_p5_ms", "p5", [=](const ScalePoint& p) { return ms(p.step_p5); }},
      {"step_p95_ms", "p95", [=](const ScalePoint& p) { return ms(p.step_p95); }},
      {"compute_ms", "compute", [=](const ScalePoint& p) { return ms(p.compute); }},
  };
  for (const auto& group : groups_used(d)) {
    c.push_back({"exposed_" + group + "_ms", "exp " + group,
                 [=](const ScalePoint& p) { return ms(exposed_of(p, group)); }});
  }
  if (any_bubble(d)) c.push_back({"bubble_ms", "bubble", [=](const ScalePoint& p) { return ms(p.bubble); }});
  c.push_back({"overlapped_ms", "overlap", [=](const ScalePoint& p) { return ms(p.overlapped); }});
  c.push_back({"comm_share", "comm %", [](const ScalePoint& p) { return fmt::format("{:.1f}", 100 * p.comm_share); }});
  c.push_back({"tokens_per_s", "tokens/s", [](const ScalePoint& p) { return fmt::format("{:.0f}", p.tokens_per_second); }});
  c.push_back({"tflops_per_device", "TFLOP/s/dev",
               [](const ScalePoint& p) { return fmt::format("{:.3f}", p.tflops_per_device); }});
  c.push_back({"efficiency", "eff %", [](const ScalePoint& p) { return fmt::format("{:.1f}", 100 * p.efficiency); }});
  c.push_back({"binding", "bound by", [](const ScalePoint& p) {
                 return fmt::format("{} {:.0f} %", p.binding, 100 * p.binding_share);
               }});
  return c;
}

std::string text(const ReportData& d, bool markdown) {
  const auto cols = columns(d);
  std::vector<std::vector<std::string>> cells;
  for (const auto& p : d.scaling.points) {
    std::vector<std::string> row;
    for (const auto& c : cols) row.push_back(c.value(p));
    cells.push_back(row);
  }
  std::string out = fmt::format("{}scaling report: {} ({} scaling, {} scale{})\n\n", markdown ? "## " : "", d.source,
                                analysis::to_string(d.scaling.scaling), d.scaling.points.size(),
                                d.scaling.points.size() == 1 ? "" : "s");
  if (markdown) {
    std::string header = "|", rule = "|";
    for (const auto& c : cols) header += " " + c.heading + " |", rule += " --- |";
    out += header + "\n" + rule + "\n";
    for (const auto& row : cells) {
      out += "|";
      for (const auto& cell : row) out += " " + cell + " |";
      out += "\n";
    }
  } else {
    std::vector<std::size_t> width;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      width.push_back(cols[i].heading.size());
      for (const auto& row : cells) width[i] = std::max(width[i], row[i].size());
    }
    for (std::size_t i = 0; i < cols.size(); ++i) out += fmt::format("{}{:>{}}", i ? "  " : "", cols[i].heading, width[i]);
    out += "\n";
    for (const auto& row : cells) {
      for (std::size_t i = 0; i < cols.size(); ++i) out += fmt::format("{}{:>{}}", i ? "  " : "", row[i], width[i]);
      out += "\n";
    }
  }
  const std::string bullet = markdown ? "- " : "";
  out += fmt::format("\n{}crossover: {}\n", bullet, crossover_text(d));
  for (std::size_t i = 0; i < d.scaling.points.size(); ++i) {
    const auto& p = d.scaling.points[i];
    const double scale = analysis::scale_of(d.scaling, p);
    out += fmt::format("{}at {:g} {}: bound by {} ({:.0f} % of the step); stragglers: {}\n", bullet, scale,
                       unit(d, scale), p.binding, 100 * p.binding_share, straggler_text(d, i));
  }
  return out;
}

std::string csv(const ReportData& d) {
  const auto cols = columns(d);
  std::string out;
  for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i].name;
  out += ",log\n";
  for (const auto& p : d.scaling.points) {
    for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i].value(p);
    out += "," + p.run.path + "\n";
  }
  return out;
}

std::string json(const ReportData& d) {
  nlohmann::json points = nlohmann::json::array();
  for (std::size_t i = 0; i < d.scaling.points.size(); ++i) {
    const auto& p = d.scaling.points[i];
    nlohmann::json stragglers = nlohmann::json::array();
    for (const auto& s : d.stragglers[i]) {
      stragglers.push_back({{"rank", s.rank}, {"node", s.node}, {"late_share", s.late_share}, {"excess_s", s.excess}});
    }
    points.push_back({{"log", p.run.path}, {"nodes", p.run.nodes}, {"ranks", p.run.ranks}, {"steps", p.steps},
                      {"step_p5_s", p.step_p5}, {"step_p50_s", p.step_p50}, {"step_p95_s", p.step_p95},
                      {"step_times_s", p.step_times},
                      {"compute_s", p.compute}, {"exposed_s", p.exposed}, {"exposed_total_s", p.exposed_total},
                      {"bubble_s", p.bubble}, {"overlapped_s", p.overlapped}, {"other_s", p.other},
                      {"comm_share", p.comm_share}, {"tokens_per_s", p.tokens_per_second},
                      {"tflops_per_device", p.tflops_per_device}, {"efficiency", p.efficiency},
                      {"binding", p.binding}, {"binding_share", p.binding_share}, {"stragglers", stragglers}});
  }
  const auto& c = d.scaling.crossover;
  return nlohmann::json{{"source", d.source},
                        {"scaling", analysis::to_string(d.scaling.scaling)},
                        {"scale", d.scaling.by_nodes ? "nodes" : "ranks"},
                        {"crossover", {{"reached", c.reached}, {"at", c.at}, {"below", c.below}, {"above", c.above},
                                       {"at_smallest_scale", c.already}, {"text", crossover_text(d)}}},
                        {"points", points}}
             .dump(2) + "\n";
}

}  // namespace

std::string format_report(const ReportData& data, const std::string& format) {
  if (format == "json") return json(data);
  if (format == "csv") return csv(data);
  return text(data, format == "markdown");
}

}  // namespace scaleout::runs
