#pragma once
// Run logs as `report` and `compare` read them: a sweep folder (its manifest names the logs and the
// scaling mode) or log files, each turned into the analysis' view of a run.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/scaling.hpp"
#include "runs/report/serving_report.hpp"

namespace scaleout::runs {

struct LoadedRun {
  analysis::RunFacts facts;
  std::vector<analysis::StepSample> samples;  // measured steps only
  std::vector<int> node_of_rank;
  std::map<std::string, double> figures;  // the log's workload attributes
  std::string config_yaml;                // the run's effective config
  std::optional<ServingRun> serving;      // a serving run's figures (its rows are passes, not steps)
};

struct LoadedRuns {
  std::vector<LoadedRun> runs;
  std::optional<analysis::Scaling> scaling;  // when a sweep's manifest says
  bool serving() const;                      // every run is a serving run; UsageError when only some are
};

// UsageError naming the file when one is missing, not a run log, of another schema version, or holds
// no measured step; or naming the folder when it is not a sweep.
LoadedRuns load_runs(const std::vector<std::string>& inputs);

}  // namespace scaleout::runs
