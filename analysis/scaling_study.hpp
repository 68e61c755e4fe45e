#pragma once
// The scaling report's analysis of a set of measured runs: each run's scale point (scaling.hpp), the
// crossover, the stragglers of each run (stragglers.hpp), and beside each the analytical executor's
// prediction when one is given. runs/report/report_format.hpp prints it.

#include <optional>
#include <vector>

#include "analysis/critical_path.hpp"
#include "analysis/message_sizes.hpp"
#include "analysis/scaling.hpp"
#include "analysis/stragglers.hpp"

namespace scaleout::analysis {

struct ScalingStudy {
  ScalingReport scaling;
  std::vector<std::vector<Straggler>> stragglers;  // the stragglers of each point, in the points' order
  std::vector<ScalePoint> predicted;               // each point's prediction, same order; empty without
  // Per point, same order: the stragglers' nodes; the critical path's shares over the measured steps
  // (none without the op trace); the sizes of the operations a step issues (none without programs).
  std::vector<std::vector<StragglerNode>> straggler_nodes;
  std::vector<std::optional<PathShares>> critical_paths;
  std::vector<std::optional<MessageSizes>> message_sizes;
};

// `scaling`: what a sweep's manifest says, else inferred from the global batches. `predicted`: empty,
// or one prediction per run in `runs`' order.
ScalingStudy study_scaling(const std::vector<const MeasuredRun*>& runs, std::optional<Scaling> scaling,
                           const std::vector<ScalePoint>& predicted);

}  // namespace scaleout::analysis
