#pragma once
// `scaleout report SWEEP_DIR | RUN.h5 ...`: the scaling report of a sweep (docs/report.md). Reads run
// logs, has analysis/ measure them, and prints with one of runs/report_format's reporters.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "analysis/scaling.hpp"
#include "analysis/stragglers.hpp"
#include "runs/log/sweep_reader.hpp"

namespace scaleout::runs {

struct ReportArguments {
  std::vector<std::string> inputs;
  std::string format = "text";
  std::string plots;        // a folder for the plots (analysis/plots.py)
  std::string calibration;  // a calibration file: also predict every run and show the error
};

CLI::App* add_report_command(CLI::App& app, ReportArguments& arguments);
int run_report(const ReportArguments& arguments);

// What the reporters print: the analysis, and the stragglers of each run (same order as points).
struct ReportData {
  analysis::ScalingReport scaling;
  std::vector<std::vector<analysis::Straggler>> stragglers;
  std::string source;  // the sweep folder or the list of logs
  // With a calibration: the analytical executor's prediction of each run (same order as points).
  std::string calibration;
  std::vector<analysis::ScalePoint> predicted;
};

// The scaling analysis of training runs read by load_runs (`inputs` name them in the report), with
// each run's prediction when a calibration is given.
ReportData load_report(const LoadedRuns& loaded, const std::vector<std::string>& inputs,
                       const std::string& calibration = {});

}  // namespace scaleout::runs
