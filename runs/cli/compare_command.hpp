#pragma once
// `scaleout compare BEFORE AFTER`: did a change (a network upgrade, a setting) help? Runs or sweeps
// matched by workload and scale, each metric compared over steps with a bootstrap interval
// (analysis/compare.hpp); docs/report.md.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "analysis/compare.hpp"

namespace scaleout::runs {

struct CompareArguments {
  std::string before, after;
  double confidence = 0.95;
  bool fail_on_regression = false;
  std::string format = "text";
};

CLI::App* add_compare_command(CLI::App& app, CompareArguments& arguments);
int run_compare(const CompareArguments& arguments);

struct ScaleComparison {
  int nodes = 1, ranks = 1;
  std::vector<analysis::MetricComparison> metrics;  // "step" first
};

// Bench outputs (`scaleout bench --output X.json`), matched by collective and size: per size the
// iteration time. UsageError when the rank counts differ or nothing matches.
std::vector<ScaleComparison> compare_bench(const std::string& before, const std::string& after,
                                           const analysis::CompareOptions& options);

// UsageError when the inputs do not match: no scale in common, or a workload that differs (naming
// the figure, its value before and after).
std::vector<ScaleComparison> compare_runs(const std::vector<std::string>& before, const std::vector<std::string>& after,
                                          const analysis::CompareOptions& options);

}  // namespace scaleout::runs
