#pragma once
// A prediction at one scale: the step programs of a workload, run by the analytical executor
// (simulator.hpp), read as the report reads a measured run (scaling.hpp), and what a 2x upgrade of
// each resource would give. docs/predict.md defines every figure.

#include <string>
#include <vector>

#include "analysis/run_trace.hpp"
#include "analysis/scaling.hpp"
#include "analysis/simulator.hpp"
#include "parallelism/step_record.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::analysis {

// The step-time speedup (old step / new step) from doubling one resource.
struct Sensitivity {
  double compute = 1;            // the device's FLOP/s
  double memory_bandwidth = 1;   // the device's memory bandwidth
  double intra_bandwidth = 1;    // the intra-node fabric
  double network_bandwidth = 1;  // the network
};

// The resource whose doubling speeds the step most ("network bandwidth"), or "none pays" when none
// gains half a percent.
std::string best_upgrade(const Sensitivity& sensitivity);

struct Prediction {
  parallelism::Layout layout;                   // as fitted to the scale
  ScalePoint point;                             // path "predicted"; one step, one sample per stage
  std::vector<parallelism::Program> programs;   // every stage's, with the algorithms on the placement
  std::vector<StagePlacement> placement;        // the simulated rank of every stage
  std::vector<parallelism::StepRecord> stages;  // its step, ops timed
  Sensitivity sensitivity;                      // when asked for
};

// The predicted step as a trace (run_trace.hpp): the simulated rank of every stage, which stands for
// the stage's others, with the times of its ops; ranks on nodes in blocks of `ranks_per_node`.
RunTrace predicted_trace(const Prediction& prediction, int ranks_per_node);

// `workload` is already fitted to nodes x ranks_per_node ranks.
Prediction predict(const parallelism::Workload& workload, int nodes, int ranks_per_node, const SimulationModel& model,
                   bool with_sensitivity);

}  // namespace scaleout::analysis
