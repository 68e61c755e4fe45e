// `scaleout report SWEEP_DIR | RUN.h5 ...`: the scaling report of a sweep (docs/report.md), or the
// serving report of serving runs (docs/inference.md). Reads the logs (runs/log), has analysis/ study
// them, and prints with runs/report's reporters.

#include <fmt/format.h>

#include <cstdio>

#include "analysis/scaling_study.hpp"
#include "runs/cli/command.hpp"
#include "runs/config/at_scale.hpp"
#include "runs/log/sweep_reader.hpp"
#include "runs/report/report_format.hpp"
#include "runs/report/report_plots.hpp"
#include "runs/report/serving_report.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

struct ReportArguments {
  std::vector<std::string> inputs;
  Format format = Format::text;
  std::string plots;        // a folder for the plots (analysis/plots.py)
  std::string calibration;  // a calibration file: also predict every run and show the error
};

std::string source_of(const ReportArguments& a) {
  std::string source;
  for (const auto& input : a.inputs) source += (source.empty() ? "" : " ") + input;
  return source;
}

int report_serving(const ReportArguments& a, LoadedRuns loaded) {
  if (!a.plots.empty()) throw UsageError("--plots: plots are drawn for training sweeps; serving runs have a table");
  if (!a.calibration.empty()) {
    throw UsageError("--calibration: serving runs are predicted by scaleout predict (docs/inference.md), not here");
  }
  std::vector<analysis::ServingRun> runs;
  for (auto& run : loaded.runs) runs.push_back(std::move(*run.serving));
  analysis::order_serving_runs(runs);
  fmt::print("{}", format_serving_report(runs, a.format, source_of(a)));
  return exit_ok;
}

int report(const ReportArguments& a) {
  if (!a.plots.empty()) {
    if (const std::string problem = plots_folder_problem(a.plots); !problem.empty()) {
      throw UsageError(fmt::format("--plots: {} cannot take the plots: {}", a.plots, problem));
    }
  }
  LoadedRuns loaded = load_runs(a.inputs);
  if (loaded.serving()) return report_serving(a, std::move(loaded));
  std::vector<analysis::ScalePoint> predicted;
  if (!a.calibration.empty()) {
    const auto calibration = load_calibration(a.calibration);
    for (const auto& run : loaded.runs) predicted.push_back(predict_measured(run.config_yaml, run.facts, calibration));
  }
  const ReportData data{analysis::study_scaling(loaded.measured(), loaded.scaling, predicted), source_of(a),
                        a.calibration};
  fmt::print("{}", format_report(data, a.format));
  if (!a.plots.empty()) {
    std::fflush(stdout);
    for (const auto& path : draw_plots(data, a.plots)) fmt::print("plot: {}\n", path);
  }
  return exit_ok;
}

Body declare(CLI::App& app) {
  auto a = std::make_shared<ReportArguments>();
  app.add_option("inputs", a->inputs, "A sweep folder (slurm/sweep) or run logs (.h5), one per scale")->required();
  add_format_option(app, a->format, {Format::text, Format::markdown, Format::csv, Format::json});
  app.add_option("--plots", a->plots, "Also draw the plots (PNG, SVG) and a Markdown report into this folder");
  app.add_option("--calibration", a->calibration,
                 "A calibration file (scaleout calibrate): also predict every run and show the error");
  return [a](Invocation&) { return report(*a); };
}

}  // namespace

Command report_command() {
  return {"report", "The scaling report of a sweep folder or of run logs (no MPI needed)", declare};
}

}  // namespace scaleout::runs
