#pragma once
// Run logs as `report` and `compare` read them: a sweep folder (its manifest names the logs and the
// scaling mode) or log files, each turned into the analysis' view of a run.

#include <optional>
#include <string>
#include <vector>

#include "analysis/scaling.hpp"
#include "analysis/serving_summary.hpp"

namespace scaleout::runs {

struct LoadedRun : analysis::MeasuredRun {
  std::string config_yaml;                      // the run's effective config
  std::optional<analysis::ServingRun> serving;  // a serving run's figures (its rows are passes, not steps)
};

struct LoadedRuns {
  std::vector<LoadedRun> runs;
  std::optional<analysis::Scaling> scaling;  // when a sweep's manifest says
  bool serving() const;                      // every run is a serving run; UsageError when only some are
  std::vector<const analysis::MeasuredRun*> measured() const;  // the runs, in order
};

// UsageError naming the file when one is missing, not a run log, of another schema version, or holds
// no measured step; or naming the folder when it is not a sweep.
LoadedRuns load_runs(const std::vector<std::string>& inputs);

}  // namespace scaleout::runs
