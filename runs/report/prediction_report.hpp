#pragma once
// `scaleout predict`'s printer for training configs: the simulated step per scale (the report's
// table), the crossover, and what doubling each resource would give. docs/predict.md.

#include <optional>
#include <string>
#include <vector>

#include "analysis/calibration.hpp"
#include "analysis/prediction.hpp"
#include "analysis/scaling.hpp"
#include "parallelism/workload.hpp"
#include "runs/config/at_scale.hpp"
#include "runs/report/format.hpp"

namespace scaleout::runs {

struct PredictionReport {
  std::string config;            // the config's path
  std::string calibration_path;  // and the calibration's
  analysis::Calibration calibration;
  NetworkScale network;  // the what-if factors of the network
  // Set: hops inside a node cost what this fabric takes, not what the calibration measured.
  std::optional<parallelism::NodeFabric> device_fabric;
  int ranks_per_node = 1;
  parallelism::Workload workload;              // as the config resolves it
  analysis::ScalingReport report{};            // the scales, analysed as measured ones
  std::vector<analysis::Prediction> scales{};  // in the report's order
};

// text or json.
std::string format_prediction(const PredictionReport& report, Format format);

}  // namespace scaleout::runs
