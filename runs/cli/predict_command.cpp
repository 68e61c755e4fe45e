// `scaleout predict CONFIG --calibration FILE`: the step of CONFIG at other node counts, bandwidths
// and latencies (or, for a serving config, a replica at other tp and thinking budgets), by the
// analytical executor (analysis/simulator.hpp) against a calibration made by `scaleout calibrate`.
// No MPI needed. docs/predict.md.

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "runs/cli/command.hpp"
#include "runs/cli/lists.hpp"
#include "runs/config/at_scale.hpp"
#include "runs/output_file.hpp"
#include "runs/report/prediction_report.hpp"
#include "runs/report/serving_report.hpp"
#include "runs/report/trace_format.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

struct PredictArguments {
  std::string config;
  std::string calibration;
  std::string nodes;          // "" : 1:64 (training only)
  std::string tp;             // serving: tp values to sweep ("" : the config's)
  std::string output_tokens;  // serving: thinking budgets to sweep ("" : the config's)
  std::vector<std::string> sets;
  int ranks_per_node = 0;  // 0: the calibration's
  NetworkScale network;
  std::string intra_node;  // "host" or "device" (the emulated device's node fabric); "": the config's
  Format format = Format::text;
  std::string trace;  // also write the predicted step as a timeline (one node count)
};

void check_scale(double value, const char* argument) {
  if (!std::isfinite(value) || value < 1e-6 || value > 1e6) {
    throw UsageError(fmt::format("{}: {} is not allowed; it must be a factor from 1e-6 to 1e6", argument, value));
  }
}

// Every (tp, output tokens) of the sweep, one replica each, as the serving report prints measured runs.
int predict_serving_sweep(const PredictArguments& a, const RunConfig& config, const analysis::SimulationModel& model,
                          int ranks_per_node) {
  const auto& l = config.workload.layout;
  const auto tps = a.tp.empty() ? std::vector<long long>{l.tp} : parse_counts(a.tp, "--tp", {.most = 4096});
  const auto budgets = a.output_tokens.empty() ? std::vector<long long>{config.workload.inference->output_tokens}
                                               : parse_counts(a.output_tokens, "--output-tokens", {.most = 10'000'000});
  std::vector<analysis::ServingRun> runs;
  for (const long long budget : budgets) {
    for (const long long tp : tps) {
      runs.push_back(at_point(fmt::format("tp {}, {} output tokens", tp, budget), [&] {
        return predict_serving(config, static_cast<int>(tp), budget, ranks_per_node, model);
      }));
    }
  }
  analysis::order_serving_runs(runs);
  const auto& n = a.network;
  const std::string source = fmt::format(
      "prediction of {} from {} ({} ranks per node{}{})", a.config, a.calibration, ranks_per_node,
      a.intra_node == "device" ? fmt::format("; inside a node the device's {}", config.workload.device.fabric.name)
                               : "",
      n.bandwidth != 1 || n.latency != 1
          ? fmt::format("; network bandwidth x {:g}, latency x {:g}", n.bandwidth, n.latency)
          : "");
  fmt::print("{}", format_serving_report(runs, a.format, source));
  return exit_ok;
}

// --trace: the predicted step as a timeline in the format of `scaleout trace`, so that a measured and a
// predicted step open side by side.
void write_predicted_trace(const std::string& path, const analysis::Prediction& prediction, int ranks_per_node) {
  const analysis::RunTrace trace = analysis::predicted_trace(prediction, ranks_per_node);
  const TraceCounts counts = count_trace(trace);
  try {
    write_file_atomically(path, format_chrome_trace(trace, counts));
  } catch (const std::runtime_error& error) {
    throw UsageError(fmt::format("--trace: {}", error.what()));
  }
  std::fflush(stdout);
  fmt::print(stderr, "{}", describe_trace(path, trace, counts));
}

// The training config at every node count, analysed as the report analyses measured runs.
int predict_training_sweep(const PredictArguments& a, const RunConfig& config, const std::vector<long long>& nodes,
                           const analysis::Calibration& calibration, const analysis::SimulationModel& model,
                           int ranks_per_node) {
  if (a.format != Format::text && a.format != Format::json) {
    throw UsageError(fmt::format("--format: {} is for serving configs; a training prediction prints text or json",
                                 to_string(a.format)));
  }
  PredictionReport out{
      .config = a.config,
      .calibration_path = a.calibration,
      .calibration = calibration,
      .network = a.network,
      .device_fabric = a.intra_node == "device" ? std::optional{config.workload.device.fabric} : std::nullopt,
      .ranks_per_node = ranks_per_node,
      .workload = config.workload};
  std::vector<analysis::ScalePoint> points;
  for (const long long n : nodes) {
    const Scale scale{
        .nodes = static_cast<int>(n), .ranks_per_node = ranks_per_node, .dp_follows = true, .sensitivity = true};
    out.scales.push_back(predict_config(config, scale, model));
    points.push_back(out.scales.back().point);
  }
  out.report = analysis::analyse(points, analysis::infer_scaling(points));
  // analyse orders by scale and sets the efficiency: carry them back to the scales (already ordered).
  for (std::size_t i = 0; i < out.scales.size(); ++i) out.scales[i].point = out.report.points[i];
  fmt::print("{}", format_prediction(out, a.format));
  if (!a.trace.empty()) write_predicted_trace(a.trace, out.scales.front(), ranks_per_node);
  return exit_ok;
}

int predict(PredictArguments a) {
  check_scale(a.network.bandwidth, "--bandwidth-scale");
  check_scale(a.network.latency, "--latency-scale");
  if (a.ranks_per_node < 0)
    throw UsageError(fmt::format("--ranks-per-node: {} is not allowed; it must be at least 1", a.ranks_per_node));
  const RunConfig config = resolve(Settings::from_file(a.config, a.sets));
  // As the run emulates the config's hops inside a node, unless asked otherwise.
  if (a.intra_node.empty()) a.intra_node = parallelism::to_string(config.workload.intra_node);
  if (a.intra_node == "device" && config.workload.device.fabric.bandwidth <= 0) {
    throw UsageError(fmt::format("--intra-node: device needs the device's node fabric, and {} has none",
                                 config.workload.device.name));
  }
  const bool serving = config.workload.inference.has_value();
  if (!a.trace.empty()) {
    if (serving) throw UsageError("--trace: draws a training step; serving configs are predicted as tables");
    if (const std::string problem = output_problem(a.trace, {.overwrite = true, .inputs = {a.config, a.calibration}});
        !problem.empty()) {
      throw UsageError(fmt::format("--trace: {}", problem));
    }
  }
  if (serving && !a.nodes.empty()) {
    throw UsageError("--nodes: a serving config is predicted for one replica; sweep --tp and --output-tokens");
  }
  if (!serving && !(a.tp.empty() && a.output_tokens.empty())) {
    throw UsageError(fmt::format("{}: sweeps serving configs (an inference section); {} trains",
                                 a.tp.empty() ? "--output-tokens" : "--tp", a.config));
  }
  const auto nodes = serving ? std::vector<long long>{}
                             : parse_counts(a.nodes.empty() ? "1:64" : a.nodes, "--nodes",
                                            {.doubling_range = true, .of = "node counts"});
  if (!a.trace.empty() && nodes.size() != 1) {
    throw UsageError(fmt::format("--trace: draws the step at one node count; --nodes gives {}", nodes.size()));
  }
  const analysis::Calibration calibration = load_calibration(a.calibration);
  const int ranks_per_node = a.ranks_per_node > 0 ? a.ranks_per_node : calibration.ranks_per_node;
  std::optional<parallelism::NodeFabric> device_fabric;
  if (a.intra_node == "device") device_fabric = config.workload.device.fabric;
  const auto model = simulation_model(calibration, config.in_flight, a.network, device_fabric);
  if (serving) return predict_serving_sweep(a, config, model, ranks_per_node);
  return predict_training_sweep(a, config, nodes, calibration, model, ranks_per_node);
}

Body declare(CLI::App& app) {
  auto a = std::make_shared<PredictArguments>();
  app.add_option("config", a->config, "The run's YAML config")->required();
  app.add_option("--calibration", a->calibration, "A calibration file written by scaleout calibrate")->required();
  app.add_option("--nodes", a->nodes, "Node counts: a list (1,2,8) or a doubling range (1:4096); default 1:64")
      ->check(non_empty);
  app.add_option("--tp", a->tp, "Serving configs: the tp values to sweep, a list (1,2,4,8)")->check(non_empty);
  app.add_option("--output-tokens", a->output_tokens,
                 "Serving configs: the thinking budgets (output tokens) to sweep, a list (256,1024,4096)")
      ->check(non_empty);
  app.add_option("--set", a->sets, "Override one option of the config: key=value (repeatable)");
  app.add_option("--ranks-per-node", a->ranks_per_node, "Ranks on each node (default: the calibration's)")
      ->check(at_least_one);
  app.add_option("--bandwidth-scale", a->network.bandwidth, "What-if: the network's bandwidth times X")
      ->capture_default_str();
  app.add_option("--latency-scale", a->network.latency, "What-if: the network's latency times X")
      ->capture_default_str();
  app.add_option("--intra-node", a->intra_node,
                 "What costs a hop inside a node: host (the calibration's measurement) or device (the device's "
                 "node fabric: NVLink, Infinity Fabric); default: the config's emulation.intra_node")
      ->check(CLI::IsMember({"host", "device"}));
  add_format_option(app, a->format, {Format::text, Format::markdown, Format::csv, Format::json});
  app.add_option("--trace", a->trace,
                 "Also write the predicted step at the one --nodes count as a timeline (as scaleout trace writes)")
      ->check(non_empty);
  return [a](Invocation&) { return predict(*a); };
}

}  // namespace

Command predict_command() {
  return {"predict", "Predict CONFIG's step at other scales from a calibration (no MPI needed)", declare};
}

}  // namespace scaleout::runs
