#include "runs/report/report_format.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>

#include "runs/report/path_report.hpp"
#include "runs/report/run_notes.hpp"
#include "runs/report/scale_table.hpp"

namespace scaleout::runs {

namespace {

using analysis::ScalePoint;

std::string straggler_text(const ReportData& d, std::size_t i) {
  const auto& list = d.stragglers[i];
  if (list.empty()) return "none";
  std::string text;
  for (const auto& s : list) {
    text +=
        fmt::format("{}rank {}{} late in {:.0f} % of steps, +{:.2f} ms busy per step", text.empty() ? "" : "; ", s.rank,
                    s.node >= 0 ? fmt::format(" (node {})", s.node) : "", 100 * s.late_share, s.excess * 1e3);
  }
  if (const std::string nodes = straggler_nodes_text(d.straggler_nodes[i]); !nodes.empty()) {
    text += "; by node: " + nodes;
  }
  return text;
}

// Where each point's steps spent their time across ranks: the critical path, then the message sizes.
std::string across_ranks_text(const ReportData& d, bool markdown) {
  std::string out = "\n";
  std::string sizes;
  for (std::size_t i = 0; i < d.scaling.points.size(); ++i) {
    const auto& p = d.scaling.points[i];
    const double scale = analysis::scale_of(d.scaling, p);
    const std::string heading = fmt::format("at {:g} {}", scale, scale_unit(d.scaling, scale));
    out += critical_path_text(d.critical_paths[i], heading, markdown);
    if (d.message_sizes[i]) sizes += message_sizes_text(*d.message_sizes[i], heading, markdown);
  }
  return out + sizes;
}

// Measured against predicted, per figure the model gives: the step, compute, each group's exposed
// communication and the bubble.
std::vector<std::pair<std::string, std::pair<double, double>>> compared(const ScalePoint& measured,
                                                                        const ScalePoint& predicted) {
  std::vector<std::pair<std::string, std::pair<double, double>>> rows = {
      {"step p50", {measured.step_p50, predicted.step_p50}}, {"compute", {measured.compute, predicted.compute}}};
  std::map<std::string, std::pair<double, double>> exposed;
  for (const auto& [group, seconds] : measured.exposed) exposed[group].first = seconds;
  for (const auto& [group, seconds] : predicted.exposed) exposed[group].second = seconds;
  for (const auto& [group, pair] : exposed) rows.push_back({"exposed " + group, pair});
  if (measured.bubble > 0 || predicted.bubble > 0) rows.push_back({"bubble", {measured.bubble, predicted.bubble}});
  return rows;
}

std::string error_text(double measured, double predicted) {
  return measured > 0 ? fmt::format("{:+.1f}", 100 * (predicted - measured) / measured) : "-";
}

std::string prediction_text(const ReportData& d, bool markdown) {
  std::string out =
      fmt::format("\n{}predicted against measured (calibration {})\n\n", markdown ? "### " : "", d.calibration);
  out +=
      markdown
          ? "| nodes | ranks | figure | measured ms | predicted ms | error % |\n| --- | --- | --- | --- | --- | --- |\n"
          : fmt::format("{:>5}  {:>5}  {:<14}  {:>11}  {:>12}  {:>7}\n", "nodes", "ranks", "figure", "measured ms",
                        "predicted ms", "error %");
  for (std::size_t i = 0; i < d.scaling.points.size(); ++i) {
    const auto& p = d.scaling.points[i];
    for (const auto& [figure, pair] : compared(p, d.predicted[i])) {
      const auto [measured, predicted] = pair;
      out += markdown ? fmt::format("| {} | {} | {} | {:.2f} | {:.2f} | {} |\n", p.run.nodes, p.run.ranks, figure,
                                    measured * 1e3, predicted * 1e3, error_text(measured, predicted))
                      : fmt::format("{:>5}  {:>5}  {:<14}  {:>11.2f}  {:>12.2f}  {:>7}\n", p.run.nodes, p.run.ranks,
                                    figure, measured * 1e3, predicted * 1e3, error_text(measured, predicted));
    }
  }
  return out;
}

std::string text(const ReportData& d, Format format) {
  const bool markdown = format == Format::markdown;
  std::string out = fmt::format("{}scaling report: {} ({} scaling, {} scale{})\n\n", markdown ? "## " : "", d.source,
                                analysis::to_string(d.scaling.scaling), d.scaling.points.size(),
                                d.scaling.points.size() == 1 ? "" : "s");
  out += render_table(scale_columns(d.scaling.points, {.percentiles = true}), d.scaling.points, format);
  const std::string bullet = markdown ? "- " : "";
  out += fmt::format("\n{}crossover: {}\n", bullet, crossover_text(d.scaling));
  for (std::size_t i = 0; i < d.scaling.points.size(); ++i) {
    const auto& p = d.scaling.points[i];
    const double scale = analysis::scale_of(d.scaling, p);
    out += fmt::format("{}at {:g} {}: bound by {} ({:.0f} % of the step); stragglers: {}\n", bullet, scale,
                       scale_unit(d.scaling, scale), analysis::describe_binding(p.binding, p.binding_group),
                       100 * p.binding_share, straggler_text(d, i));
  }
  std::vector<std::vector<std::string>> notes;
  notes.reserve(d.scaling.points.size());
  for (const auto& p : d.scaling.points) notes.push_back(run_notes(p.run.path, p.run.log));
  out += across_ranks_text(d, markdown);
  out += notes_text(notes, bullet);
  if (!d.predicted.empty()) out += prediction_text(d, markdown);
  return out;
}

std::string csv(const ReportData& d) {
  auto cols = scale_columns(d.scaling.points, {.percentiles = true});
  cols.push_back({"log", "log", [](const ScalePoint& p) { return p.run.path; }});
  return render_csv(cols, d.scaling.points);
}

std::string json(const ReportData& d) {
  nlohmann::json points = nlohmann::json::array();
  for (std::size_t i = 0; i < d.scaling.points.size(); ++i) {
    const auto& p = d.scaling.points[i];
    nlohmann::json stragglers = nlohmann::json::array();
    for (const auto& s : d.stragglers[i]) {
      stragglers.push_back({{"rank", s.rank}, {"node", s.node}, {"late_share", s.late_share}, {"excess_s", s.excess}});
    }
    nlohmann::json point = breakdown_json(p);
    point.update({{"log", p.run.path},
                  {"status", p.run.log.status},
                  {"status_message", p.run.log.status_message},
                  {"checksummed", p.run.log.checksummed},
                  {"notes", run_notes(p.run.path, p.run.log)},
                  {"nodes", p.run.nodes},
                  {"ranks", p.run.ranks},
                  {"steps", p.steps},
                  {"step_p5_s", p.step_p5},
                  {"step_p50_s", p.step_p50},
                  {"step_p95_s", p.step_p95},
                  {"step_times_s", p.step_times},
                  {"stragglers", stragglers},
                  {"straggler_nodes", straggler_nodes_json(d.straggler_nodes[i])},
                  {"critical_path", critical_path_json(d.critical_paths[i])},
                  {"message_sizes", d.message_sizes[i] ? message_sizes_json(*d.message_sizes[i]) : nullptr}});
    points.push_back(point);
    if (d.predicted.empty()) continue;
    nlohmann::json predicted = nlohmann::json::object();
    for (const auto& [figure, pair] : compared(p, d.predicted[i])) {
      predicted[figure] = {
          {"measured_s", pair.first},
          {"predicted_s", pair.second},
          {"error", pair.first > 0 ? nlohmann::json((pair.second - pair.first) / pair.first) : nullptr}};
    }
    points.back()["predicted"] = predicted;
  }
  const auto& c = d.scaling.crossover;
  return nlohmann::json{{"source", d.source},
                        {"scaling", analysis::to_string(d.scaling.scaling)},
                        {"scale", d.scaling.by_nodes ? "nodes" : "ranks"},
                        {"crossover",
                         {{"reached", c.reached},
                          {"at", c.at},
                          {"below", c.below},
                          {"above", c.above},
                          {"at_smallest_scale", c.already},
                          {"text", crossover_text(d.scaling)}}},
                        {"calibration", d.calibration},
                        {"points", points}}
             .dump(2) +
         "\n";
}

}  // namespace

std::string format_report(const ReportData& data, Format format) {
  if (format == Format::json) return json(data);
  if (format == Format::csv) return csv(data);
  return text(data, format);
}

}  // namespace scaleout::runs
