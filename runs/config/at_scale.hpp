#pragma once
// A config at another scale: the run's config fitted to nodes x ranks per node (or, in serving, to
// one replica of another tp and thinking budget) and handed to the analytical executor. `predict`
// sweeps scales with it; `report --calibration` predicts each measured run on its own nodes.
// docs/predict.md.

#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "analysis/calibration.hpp"
#include "analysis/prediction.hpp"
#include "analysis/serving_summary.hpp"
#include "analysis/simulator.hpp"
#include "runs/config/run_config.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

// UsageError naming --calibration when the file cannot be read or is not a calibration.
analysis::Calibration load_calibration(const std::string& path);

// What-if factors of the network against the calibration's.
struct NetworkScale {
  double bandwidth = 1;
  double latency = 1;
};

// The model of a calibration, with its network's bandwidth and latency scaled (what-if). With
// `device_fabric`, hops between ranks of one node cost what that fabric takes (a hop's latency, the
// bytes over a pair's bandwidth) instead of what the calibration measured on the host.
analysis::SimulationModel simulation_model(const analysis::Calibration& calibration, int in_flight,
                                           NetworkScale network = {},
                                           const std::optional<parallelism::NodeFabric>& device_fabric = {});

// Where a prediction is made, and what it is asked for.
struct Scale {
  int nodes = 1;
  int ranks_per_node = 1;
  bool dp_follows = false;   // dp is whatever the ranks leave (parallel.dp 0), else the config's
  bool sensitivity = false;  // also what doubling each resource would give
};

// The prediction for `config` at `scale`. UsageError, naming the scale, when the layout does not fit
// or the calibration lacks a tier the layout needs.
analysis::Prediction predict_config(RunConfig config, const Scale& scale, const analysis::SimulationModel& model);

// One replica of the serving `config` with tp and output tokens set, on nodes of `ranks_per_node`
// ranks (analysis/serving_prediction.hpp). UsageError as predict_config's.
analysis::ServingRun predict_serving(const RunConfig& config, int tp, std::int64_t output_tokens, int ranks_per_node,
                                     const analysis::SimulationModel& model);

// The prediction of a measured run from its effective config on its own nodes and ranks.
analysis::ScalePoint predict_measured(const std::string& config_yaml, const analysis::RunFacts& run,
                                      const analysis::Calibration& calibration);

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

}  // namespace scaleout::runs
