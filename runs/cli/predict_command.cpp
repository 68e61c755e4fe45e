#include "runs/cli/predict_command.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "runs/report/scale_table.hpp"
#include "runs/config/serving_predict.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

CLI::App* add_predict_command(CLI::App& app, PredictArguments& a) {
  CLI::App* predict =
      app.add_subcommand("predict", "Predict CONFIG's step at other scales from a calibration (no MPI needed)");
  predict->add_option("config", a.config, "The run's YAML config")->required();
  predict->add_option("--calibration", a.calibration, "A calibration file written by scaleout calibrate")->required();
  predict->add_option("--nodes", a.nodes, "Node counts: a list (1,2,8) or a doubling range (1:4096); default 1:64");
  predict->add_option("--tp", a.tp, "Serving configs: the tp values to sweep, a list (1,2,4,8)");
  predict->add_option("--output-tokens", a.output_tokens,
                      "Serving configs: the thinking budgets (output tokens) to sweep, a list (256,1024,4096)");
  predict->add_option("--set", a.sets, "Override one option of the config: key=value (repeatable)");
  predict->add_option("--ranks-per-node", a.ranks_per_node, "Ranks on each node (default: the calibration's)");
  predict->add_option("--bandwidth-scale", a.bandwidth_scale, "What-if: the network's bandwidth times X")
      ->capture_default_str();
  predict->add_option("--latency-scale", a.latency_scale, "What-if: the network's latency times X")
      ->capture_default_str();
  predict->add_option("--format", a.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return predict;
}

std::vector<int> parse_node_counts(const std::string& text, const std::string& argument) {
  const auto bad = [&](const std::string& why) {
    return UsageError(
        fmt::format("{}: '{}' {}; give a list (1,2,8) or a doubling range (1:4096) of node counts from 1 "
                    "to 1048576",
                    argument, text, why));
  };
  const auto count = [&](const std::string& item) {
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      throw bad(fmt::format("holds '{}', not a whole number", item));
    }
    if (used != item.size()) throw bad(fmt::format("holds '{}', not a whole number", item));
    if (value < 1 || value > (1 << 20)) throw bad(fmt::format("holds {}, out of range", value));
    return static_cast<int>(value);
  };
  std::set<int> counts;
  if (const auto colon = text.find(':'); colon != std::string::npos) {
    const int first = count(text.substr(0, colon)), last = count(text.substr(colon + 1));
    if (last < first) throw bad("ends below its start");
    for (long long n = first; n <= last; n *= 2) counts.insert(static_cast<int>(n));
  } else {
    std::size_t begin = 0;
    while (begin <= text.size()) {
      const auto comma = std::min(text.find(',', begin), text.size());
      counts.insert(count(text.substr(begin, comma - begin)));
      begin = comma + 1;
    }
  }
  return {counts.begin(), counts.end()};
}

analysis::Calibration load_calibration(const std::string& path) {
  try {
    return analysis::read_calibration(path);
  } catch (const analysis::CalibrationError& error) {
    throw UsageError(fmt::format("--calibration: {}", error.what()));
  }
}

analysis::SimulationModel simulation_model(const analysis::Calibration& calibration, int in_flight,
                                           double network_bandwidth_scale, double network_latency_scale) {
  analysis::SimulationModel model;
  model.cost = calibration.cost_model();
  model.cost.scale_bandwidth(analysis::Tier::inter, network_bandwidth_scale);
  model.cost.scale_latency(analysis::Tier::inter, network_latency_scale);
  model.span_overhead = calibration.compute.per_span;
  model.span_relative = calibration.compute.relative;
  model.in_flight = in_flight;
  return model;
}

namespace {

// Runs `predict` for one point of a sweep; its UsageError or a missing fit becomes one UsageError
// that names the point ("at 4 nodes x 8 ranks: ...").
template <class Predict>
auto at_point(const std::string& where, Predict predict) {
  try {
    return predict();
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("at {}: {}", where, error.what()));
  } catch (const analysis::MissingFit& error) {
    throw UsageError(fmt::format("at {}: {}", where, error.what()));
  }
}

}  // namespace

analysis::Prediction predict_config(RunConfig config, int nodes, int ranks_per_node,
                                    const analysis::SimulationModel& model, bool dp_follows, bool sensitivity) {
  const long long ranks = static_cast<long long>(nodes) * ranks_per_node;
  const std::string where = fmt::format("{} node{} x {} rank{}", nodes, nodes == 1 ? "" : "s", ranks_per_node,
                                        ranks_per_node == 1 ? "" : "s");
  if (ranks > (1 << 24)) throw UsageError(fmt::format("{}: more than 16777216 ranks", where));
  return at_point(where, [&] {
    if (dp_follows) config.settings.set("parallel.dp", "0");
    fit_to_world(config, static_cast<int>(ranks));
    return analysis::predict(config.workload, nodes, ranks_per_node, model, sensitivity);
  });
}

namespace {

void check_scale(double value, const char* argument) {
  if (!std::isfinite(value) || value <= 0 || value > 1e6) {
    throw UsageError(fmt::format("{}: {} is not allowed; it must be a positive factor up to 1e6", argument, value));
  }
}

std::string best_upgrade(const analysis::Sensitivity& s) {
  const std::vector<std::pair<const char*, double>> gains = {{"compute", s.compute},
                                                             {"memory bandwidth", s.memory_bandwidth},
                                                             {"intra-node bandwidth", s.intra_bandwidth},
                                                             {"network bandwidth", s.network_bandwidth}};
  const auto best =
      std::max_element(gains.begin(), gains.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
  return best->second < 1.005 ? "none pays" : best->first;
}

nlohmann::json stage_json(const parallelism::StepRecord& r, int stage) {
  nlohmann::json exposed;
  for (int g = 0; g < parallelism::group_count; ++g) {
    if (r.exposed[static_cast<std::size_t>(g)] > 0)
      exposed[to_string(static_cast<parallelism::Group>(g))] = r.exposed[static_cast<std::size_t>(g)];
  }
  return {{"stage", stage},       {"step_s", r.step},     {"compute_s", r.compute},
          {"exposed_s", exposed}, {"bubble_s", r.bubble}, {"overlapped_s", r.overlapped}};
}

std::string text(const PredictArguments& a, const analysis::Calibration& c, const RunConfig& config, int ranks_per_node,
                 const analysis::ScalingReport& report, const std::vector<analysis::Prediction>& scales) {
  const auto& w = config.workload;
  std::string out =
      fmt::format("prediction: {} ({} on {}; {}, dp follows the ranks; {} ranks per node)\n", a.config, w.model.name,
                  w.device.name, parallelism::describe(scales.front().layout), ranks_per_node);
  out += fmt::format("calibration: {} ({} node{} x {} rank{}: {}; {}; {}; {})\n", a.calibration, c.nodes,
                     c.nodes == 1 ? "" : "s", c.ranks_per_node, c.ranks_per_node == 1 ? "" : "s", c.hostnames,
                     c.mpi_library, c.transport, c.created);
  if (a.bandwidth_scale != 1 || a.latency_scale != 1) {
    out +=
        fmt::format("what-if: network bandwidth x {:g}, network latency x {:g}\n", a.bandwidth_scale, a.latency_scale);
  }
  out += fmt::format("{} scaling, one simulated step per scale\n\n", analysis::to_string(report.scaling));
  out += render_table(scale_columns(report.points, false), report.points, false);
  out += fmt::format("\ncrossover: {}\n", crossover_text(report));
  out += "\nstep-time speedup from doubling one resource:\n";
  out += fmt::format("{:>7}  {:>8}  {:>10}  {:>14}  {:>11}  {}\n", "nodes", "compute", "memory bw", "intra-node bw",
                     "network bw", "best upgrade");
  for (const auto& s : scales) {
    const auto& x = s.sensitivity;
    out += fmt::format("{:>7}  {:>7.2f}x  {:>9.2f}x  {:>13.2f}x  {:>10.2f}x  {}\n", s.point.run.nodes, x.compute,
                       x.memory_bandwidth, x.intra_bandwidth, x.network_bandwidth, best_upgrade(x));
  }
  return out;
}

std::string json(const PredictArguments& a, const analysis::Calibration& c, int ranks_per_node,
                 const analysis::ScalingReport& report, const std::vector<analysis::Prediction>& scales) {
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
                    {"best_upgrade", best_upgrade(x)}}},
                  {"stages", stages}});
    points.push_back(point);
  }
  const auto& x = report.crossover;
  return nlohmann::json{
             {"config", a.config},
             {"calibration",
              {{"path", a.calibration},
               {"nodes", c.nodes},
               {"ranks_per_node", c.ranks_per_node},
               {"hostnames", c.hostnames},
               {"transport", c.transport},
               {"created", c.created}}},
             {"what_if", {{"network_bandwidth_scale", a.bandwidth_scale}, {"network_latency_scale", a.latency_scale}}},
             {"ranks_per_node", ranks_per_node},
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

// Every (tp, output tokens) of the sweep, one replica each, as the serving report prints measured runs.
int predict_serving_sweep(const PredictArguments& a, const RunConfig& config, const analysis::SimulationModel& model,
                          int ranks_per_node) {
  const auto& l = config.workload.layout;
  const auto tps = a.tp.empty() ? std::vector<long long>{l.tp} : parse_list(a.tp, "--tp", 4096);
  const auto budgets = a.output_tokens.empty() ? std::vector<long long>{config.workload.inference->output_tokens}
                                               : parse_list(a.output_tokens, "--output-tokens", 10'000'000);
  std::vector<ServingRun> runs;
  for (const long long budget : budgets) {
    for (const long long tp : tps) {
      runs.push_back(at_point(fmt::format("tp {}, {} output tokens", tp, budget), [&] {
        return predict_serving(config, static_cast<int>(tp), budget, ranks_per_node, model);
      }));
    }
  }
  order_serving_runs(runs);
  const std::string source =
      fmt::format("prediction of {} from {} ({} ranks per node{})", a.config, a.calibration, ranks_per_node,
                  a.bandwidth_scale != 1 || a.latency_scale != 1
                      ? fmt::format("; network bandwidth x {:g}, latency x {:g}", a.bandwidth_scale, a.latency_scale)
                      : "");
  fmt::print("{}", format_serving_report(runs, a.format, source));
  return exit_ok;
}

}  // namespace

int run_predict(const PredictArguments& a) {
  check_scale(a.bandwidth_scale, "--bandwidth-scale");
  check_scale(a.latency_scale, "--latency-scale");
  if (a.ranks_per_node < 0)
    throw UsageError(fmt::format("--ranks-per-node: {} is not allowed; it must be at least 1", a.ranks_per_node));
  const RunConfig config = resolve(Settings::from_file(a.config, a.sets));
  if (config.workload.inference && !a.nodes.empty()) {
    throw UsageError("--nodes: a serving config is predicted for one replica; sweep --tp and --output-tokens");
  }
  if (!config.workload.inference && !(a.tp.empty() && a.output_tokens.empty())) {
    throw UsageError(fmt::format("{}: sweeps serving configs (an inference section); {} trains",
                                 a.tp.empty() ? "--output-tokens" : "--tp", a.config));
  }
  const auto nodes = parse_node_counts(a.nodes.empty() ? "1:64" : a.nodes, "--nodes");
  const analysis::Calibration calibration = load_calibration(a.calibration);
  const int ranks_per_node = a.ranks_per_node > 0 ? a.ranks_per_node : calibration.ranks_per_node;
  const auto model = simulation_model(calibration, config.in_flight, a.bandwidth_scale, a.latency_scale);
  if (config.workload.inference) return predict_serving_sweep(a, config, model, ranks_per_node);

  std::vector<analysis::Prediction> scales;
  std::vector<analysis::ScalePoint> points;
  for (const int n : nodes) {
    scales.push_back(predict_config(config, n, ranks_per_node, model, true, true));
    points.push_back(scales.back().point);
  }
  const auto report = analysis::analyse(points, analysis::infer_scaling(points));
  // analyse orders by scale and sets the efficiency: carry them back to the scales (already ordered).
  for (std::size_t i = 0; i < scales.size(); ++i) scales[i].point = report.points[i];
  fmt::print("{}", a.format == "json" ? json(a, calibration, ranks_per_node, report, scales)
                                      : text(a, calibration, config, ranks_per_node, report, scales));
  return exit_ok;
}

}  // namespace scaleout::runs
