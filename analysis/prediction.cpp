#include "analysis/prediction.hpp"

#include <algorithm>
#include <utility>

#include "parallelism/step_program.hpp"

namespace scaleout::analysis {

namespace {

std::vector<parallelism::Program> programs_of(const parallelism::Workload& workload,
                                              const std::vector<StagePlacement>& placement) {
  std::vector<parallelism::Program> programs;
  programs.reserve(static_cast<std::size_t>(workload.layout.pp));
  for (int stage = 0; stage < workload.layout.pp; ++stage)
    programs.push_back(parallelism::step_program(workload, stage));
  choose_algorithms(programs, workload.algorithm, placement);
  return programs;
}

std::vector<parallelism::StepRecord> simulate(const parallelism::Workload& workload,
                                              const std::vector<StagePlacement>& placement,
                                              const SimulationModel& model) {
  return simulate_step(programs_of(workload, placement), placement, model);
}

double job_step(const std::vector<parallelism::StepRecord>& stages) {
  double slowest = 0;
  for (const auto& stage : stages) slowest = std::max(slowest, stage.step);
  return slowest;
}

}  // namespace

Prediction predict(const parallelism::Workload& workload, int nodes, int ranks_per_node, const SimulationModel& model,
                   bool with_sensitivity) {
  const auto placement = place_stages(workload.layout, ranks_per_node);
  Prediction prediction;
  prediction.layout = workload.layout;
  prediction.programs = programs_of(workload, placement);
  prediction.placement = placement;
  prediction.stages = simulate_step(prediction.programs, placement, model);
  RunFacts facts;
  facts.path = "predicted";
  facts.nodes = nodes;
  facts.ranks = workload.layout.world();
  facts.global_batch = workload.global_batch;
  facts.tokens_per_step = static_cast<double>(workload.global_batch) * static_cast<double>(workload.model.seq_len);
  facts.flops_per_step = workload.flops_per_step();
  // Every stage has as many ranks, so one sample per stage weighs as its ranks do.
  std::vector<StepRow> rows;
  for (std::size_t s = 0; s < placement.size(); ++s)
    rows.push_back(make_step_row({.step = 0, .rank = placement[s].rank}, prediction.stages[s]));
  prediction.point = measure_scale(facts, rows);
  if (!with_sensitivity) return prediction;

  const double step = job_step(prediction.stages);
  const auto speedup = [&](const parallelism::Workload& w, const SimulationModel& m) {
    return step / job_step(simulate(w, placement, m));
  };
  auto faster = workload;
  faster.device.peak_flops *= 2;
  prediction.sensitivity.compute = speedup(faster, model);
  faster = workload;
  faster.device.memory_bandwidth *= 2;
  prediction.sensitivity.memory_bandwidth = speedup(faster, model);
  SimulationModel upgraded = model;
  upgraded.cost.scale_bandwidth(Tier::intra, 2);
  prediction.sensitivity.intra_bandwidth = speedup(workload, upgraded);
  upgraded = model;
  upgraded.cost.scale_bandwidth(Tier::inter, 2);
  prediction.sensitivity.network_bandwidth = speedup(workload, upgraded);
  return prediction;
}

RunTrace predicted_trace(const Prediction& prediction, int ranks_per_node) {
  RunTrace trace;
  trace.source = "predicted";
  trace.layout = prediction.layout;
  trace.programs = prediction.programs;
  const int world = prediction.layout.world();
  trace.node_of_rank.resize(static_cast<std::size_t>(world));
  for (int r = 0; r < world; ++r) trace.node_of_rank[static_cast<std::size_t>(r)] = r / std::max(ranks_per_node, 1);
  TracedStep step;
  for (std::size_t s = 0; s < prediction.placement.size(); ++s) {
    const auto& place = prediction.placement[s];
    trace.ranks.push_back(
        {place.rank, place.node, "predicted", parallelism::position_of(prediction.layout, place.rank)});
    step.step_s.push_back(prediction.stages[s].step);
    step.ops.push_back(prediction.stages[s].ops);
  }
  trace.steps.push_back(std::move(step));
  return trace;
}

std::string best_upgrade(const Sensitivity& s) {
  const std::vector<std::pair<const char*, double>> gains = {{"compute", s.compute},
                                                             {"memory bandwidth", s.memory_bandwidth},
                                                             {"intra-node bandwidth", s.intra_bandwidth},
                                                             {"network bandwidth", s.network_bandwidth}};
  const auto best =
      std::max_element(gains.begin(), gains.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
  return best->second < 1.005 ? "none pays" : best->first;
}

}  // namespace scaleout::analysis
