#include "runs/report/prediction_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runs/report/scale_table.hpp"

namespace scaleout::runs {

namespace {

nlohmann::json stage_json(const parallelism::StepRecord& r, int stage) {
  nlohmann::json exposed;
  for (int g = 0; g < parallelism::group_count; ++g) {
    if (r.exposed[static_cast<std::size_t>(g)] > 0)
      exposed[to_string(static_cast<parallelism::Group>(g))] = r.exposed[static_cast<std::size_t>(g)];
  }
  return {{"stage", stage},       {"step_s", r.step},     {"compute_s", r.compute},
          {"exposed_s", exposed}, {"bubble_s", r.bubble}, {"overlapped_s", r.overlapped}};
}

std::string text(const PredictionReport& r) {
  const auto& w = r.workload;
  const auto& c = r.calibration;
  const auto& report = r.report;
  const auto& scales = r.scales;
  std::string out =
      fmt::format("prediction: {} ({} on {}; {}, dp follows the ranks; {} ranks per node)\n", r.config, w.model.name,
                  w.device.name, parallelism::describe(scales.front().layout), r.ranks_per_node);
  out += fmt::format("calibration: {} ({} node{} x {} rank{}: {}; {}; {}; {})\n", r.calibration_path, c.nodes,
                     c.nodes == 1 ? "" : "s", c.ranks_per_node, c.ranks_per_node == 1 ? "" : "s", c.hostnames,
                     c.mpi_library, c.transport, c.created);
  if (r.network.bandwidth != 1 || r.network.latency != 1) {
    out += fmt::format("what-if: network bandwidth x {:g}, network latency x {:g}\n", r.network.bandwidth,
                       r.network.latency);
  }
  out += r.device_fabric
             ? fmt::format("inside a node: the device's fabric, not the host's ({})\n",
                           parallelism::describe(*r.device_fabric))
             : "inside a node: the calibration's measurement of the host (--intra-node device: the device's fabric)\n";
  out += fmt::format("{} scaling, one simulated step per scale\n\n", analysis::to_string(report.scaling));
  out += render_table(scale_columns(report.points, {}), report.points, Format::text);
  out += fmt::format("\ncrossover: {}\n", crossover_text(report));
  out += "\nstep-time speedup from doubling one resource:\n";
  out += fmt::format("{:>7}  {:>8}  {:>10}  {:>14}  {:>11}  {}\n", "nodes", "compute", "memory bw", "intra-node bw",
                     "network bw", "best upgrade");
  for (const auto& s : scales) {
    const auto& x = s.sensitivity;
    out += fmt::format("{:>7}  {:>7.2f}x  {:>9.2f}x  {:>13.2f}x  {:>10.2f}x  {}\n", s.point.run.nodes, x.compute,
                       x.memory_bandwidth, x.intra_bandwidth, x.network_bandwidth, analysis::best_upgrade(x));
  }
  return out;
}

std::string json(const PredictionReport& r) {
  const auto& c = r.calibration;
  const auto& report = r.report;
  const auto& scales = r.scales;
  nlohmann::json points = nlohmann::json::array();
  for (const auto& s : scales) {
    const auto& p = s.point;
    const auto& x = s.sensitivity;
    nlohmann::json stages = nlohmann::json::array();
    for (std::size_t i = 0; i < s.stages.size(); ++i) stages.push_back(stage_json(s.stages[i], static_cast<int>(i)));
    const auto& l = s.layout;
    nlohmann::json point = breakdown_json(p);
    point.update({{"nodes", p.run.nodes},
                  {"ranks", p.run.ranks},
                  {"layout", {{"dp", l.dp}, {"tp", l.tp}, {"pp", l.pp}, {"cp", l.cp}, {"ep", l.ep}}},
                  {"global_batch", p.run.global_batch},
                  {"step_s", p.step_p50},
                  {"sensitivity",
                   {{"compute", x.compute},
                    {"memory_bandwidth", x.memory_bandwidth},
                    {"intra_bandwidth", x.intra_bandwidth},
                    {"network_bandwidth", x.network_bandwidth},
                    {"best_upgrade", analysis::best_upgrade(x)}}},
                  {"stages", stages}});
    points.push_back(point);
  }
  const auto& x = report.crossover;
  return nlohmann::json{
             {"config", r.config},
             {"calibration",
              {{"path", r.calibration_path},
               {"nodes", c.nodes},
               {"ranks_per_node", c.ranks_per_node},
               {"hostnames", c.hostnames},
               {"transport", c.transport},
               {"created", c.created}}},
             {"what_if",
              {{"network_bandwidth_scale", r.network.bandwidth}, {"network_latency_scale", r.network.latency}}},
             {"intra_node", r.device_fabric ? "device" : "host"},
             {"ranks_per_node", r.ranks_per_node},
             {"scaling", analysis::to_string(report.scaling)},
             {"crossover",
              {{"reached", x.reached},
               {"at", x.at},
               {"below", x.below},
               {"above", x.above},
               {"at_smallest_scale", x.already},
               {"text", crossover_text(report)}}},
             {"points", points}}
             .dump(2) +
         "\n";
}

}  // namespace

std::string format_prediction(const PredictionReport& report, Format format) {
  return format == Format::json ? json(report) : text(report);
}

}  // namespace scaleout::runs
