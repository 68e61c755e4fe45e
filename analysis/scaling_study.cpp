#include "analysis/scaling_study.hpp"

#include <map>
#include <utility>

namespace scaleout::analysis {

ScalingStudy study_scaling(const std::vector<const MeasuredRun*>& runs, std::optional<Scaling> scaling,
                           const std::vector<ScalePoint>& predicted) {
  using Scale = std::pair<int, int>;  // nodes, ranks: a point's identity once analyse reorders them
  std::vector<ScalePoint> points;
  std::map<Scale, std::vector<Straggler>> stragglers;
  std::map<Scale, ScalePoint> prediction;
  std::map<Scale, const MeasuredRun*> run_at;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const MeasuredRun& run = *runs[i];
    const Scale scale{run.facts.nodes, run.facts.ranks};
    points.push_back(measure_scale(run.facts, run.rows));
    stragglers[scale] = find_stragglers(run.rows, run.node_of_rank);
    run_at[scale] = &run;
    if (i < predicted.size()) prediction[scale] = predicted[i];
  }
  ScalingStudy study;
  const Scaling mode = scaling.value_or(infer_scaling(points));
  study.scaling = analyse(std::move(points), mode);
  for (const auto& p : study.scaling.points) {
    const Scale scale{p.run.nodes, p.run.ranks};
    study.stragglers.push_back(stragglers[scale]);
    const MeasuredRun& run = *run_at.at(scale);
    study.straggler_nodes.push_back(straggler_nodes(stragglers[scale], run.node_of_rank));
    std::optional<MessageSizes> sizes;
    if (run.programs) sizes = message_sizes(run.programs->programs, run.programs->layout);
    study.critical_paths.push_back(run.critical_path);
    study.message_sizes.push_back(sizes);
    if (!prediction.empty()) study.predicted.push_back(prediction.at(scale));
  }
  return study;
}

}  // namespace scaleout::analysis
