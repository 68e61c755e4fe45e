#include "runs/cli/report_command.hpp"

#include <fmt/format.h>

#include <map>

#include "runs/cli/predict_command.hpp"
#include "runs/report/report_format.hpp"
#include "runs/report/report_plots.hpp"
#include "runs/log/sweep_reader.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

CLI::App* add_report_command(CLI::App& app, ReportArguments& a) {
  CLI::App* report =
      app.add_subcommand("report", "The scaling report of a sweep folder or of run logs (no MPI needed)");
  report->add_option("inputs", a.inputs, "A sweep folder (slurm/sweep) or run logs (.h5), one per scale")->required();
  report->add_option("--format", a.format, "text, markdown, csv or json")
      ->check(CLI::IsMember({"text", "markdown", "csv", "json"}));
  report->add_option("--plots", a.plots, "Also draw the plots (PNG, SVG) and a Markdown report into this folder");
  report->add_option("--calibration", a.calibration,
                     "A calibration file (scaleout calibrate): also predict every run and show the error");
  return report;
}

namespace {

// The prediction of a measured run: its effective config on its own nodes and ranks.
analysis::ScalePoint predict_run(const LoadedRun& run, const analysis::Calibration& calibration) {
  RunConfig config = resolve(Settings::from_yaml(run.config_yaml, run.facts.path));
  const int per_node = (run.facts.ranks + run.facts.nodes - 1) / run.facts.nodes;
  const auto model = simulation_model(calibration, config.in_flight);
  auto point = predict_config(config, run.facts.nodes, per_node, model, false, false).point;
  point.run.path = run.facts.path;
  return point;
}

}  // namespace

ReportData load_report(const LoadedRuns& loaded, const std::vector<std::string>& given,
                       const std::string& calibration_path) {
  std::map<std::pair<int, int>, analysis::ScalePoint> predicted;
  if (!calibration_path.empty()) {
    const auto calibration = load_calibration(calibration_path);
    for (const auto& run : loaded.runs) predicted[{run.facts.nodes, run.facts.ranks}] = predict_run(run, calibration);
  }
  std::vector<analysis::ScalePoint> points;
  std::map<std::pair<int, int>, std::vector<analysis::Straggler>> stragglers;
  for (const auto& run : loaded.runs) {
    points.push_back(analysis::measure_scale(run.facts, run.samples));
    stragglers[{run.facts.nodes, run.facts.ranks}] = analysis::find_stragglers(run.samples, run.node_of_rank);
  }
  // Without a manifest, the global batches say.
  const auto scaling = loaded.scaling.value_or(analysis::infer_scaling(points));
  ReportData data;
  data.scaling = analysis::analyse(std::move(points), scaling);
  for (const auto& p : data.scaling.points) data.stragglers.push_back(stragglers[{p.run.nodes, p.run.ranks}]);
  if (!predicted.empty()) {
    data.calibration = calibration_path;
    for (const auto& p : data.scaling.points) data.predicted.push_back(predicted.at({p.run.nodes, p.run.ranks}));
  }
  for (const auto& input : given) data.source += (data.source.empty() ? "" : " ") + input;
  return data;
}

namespace {

int report_serving(const ReportArguments& a, LoadedRuns loaded) {
  if (!a.plots.empty()) throw UsageError("--plots: plots are drawn for training sweeps; serving runs have a table");
  if (!a.calibration.empty()) {
    throw UsageError("--calibration: serving runs are predicted by scaleout predict (docs/inference.md), not here");
  }
  std::vector<ServingRun> runs;
  for (auto& run : loaded.runs) runs.push_back(std::move(*run.serving));
  order_serving_runs(runs);
  std::string source;
  for (const auto& input : a.inputs) source += (source.empty() ? "" : " ") + input;
  fmt::print("{}", format_serving_report(runs, a.format, source));
  return exit_ok;
}

}  // namespace

int run_report(const ReportArguments& a) {
  LoadedRuns loaded = load_runs(a.inputs);
  if (loaded.serving()) return report_serving(a, std::move(loaded));
  const ReportData data = load_report(loaded, a.inputs, a.calibration);
  fmt::print("{}", format_report(data, a.format));
  if (!a.plots.empty()) {
    std::fflush(stdout);
    for (const auto& path : draw_plots(data, a.plots)) fmt::print("plot: {}\n", path);
  }
  return exit_ok;
}

}  // namespace scaleout::runs
