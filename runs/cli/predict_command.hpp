#pragma once
// `scaleout predict CONFIG --calibration FILE`: the step of CONFIG at other node counts, bandwidths
// and latencies, by the analytical executor (analysis/simulator.hpp) against a calibration made by
// `scaleout calibrate`. No MPI needed. docs/predict.md.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "analysis/calibration.hpp"
#include "analysis/prediction.hpp"
#include "runs/config/run_config.hpp"

namespace scaleout::runs {

struct PredictArguments {
  std::string config;
  std::string calibration;
  std::string nodes;          // "" : 1:64 (training only)
  std::string tp;             // serving: tp values to sweep ("" : the config's)
  std::string output_tokens;  // serving: thinking budgets to sweep ("" : the config's)
  std::vector<std::string> sets;
  int ranks_per_node = 0;  // 0: the calibration's
  double bandwidth_scale = 1;
  double latency_scale = 1;
  std::string format = "text";
};

CLI::App* add_predict_command(CLI::App& app, PredictArguments& arguments);
int run_predict(const PredictArguments& arguments);

// "1,2,8" or "1:4096" (doubling from the first): UsageError naming `argument`.
std::vector<int> parse_node_counts(const std::string& text, const std::string& argument);

// UsageError naming --calibration when the file cannot be read or is not a calibration.
analysis::Calibration load_calibration(const std::string& path);

// The model of a calibration, with its network's bandwidth and latency scaled (what-if).
analysis::SimulationModel simulation_model(const analysis::Calibration& calibration, int in_flight,
                                           double network_bandwidth_scale = 1, double network_latency_scale = 1);

// The prediction for `config` on nodes x ranks_per_node ranks; with `dp_follows`, dp is whatever the
// ranks leave (parallel.dp 0), else the config's. UsageError when the layout does not fit or the
// calibration lacks a tier the layout needs.
analysis::Prediction predict_config(RunConfig config, int nodes, int ranks_per_node,
                                    const analysis::SimulationModel& model, bool dp_follows, bool sensitivity);

}  // namespace scaleout::runs
