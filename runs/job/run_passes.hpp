#pragma once
// What a run's passes are: the program each stage runs, which pass comes when (a training step, or
// serving's prefill and decode passes), and what the rows of the passes add up to. Used by the run
// driver (run_command.cpp); no MPI here.

#include <map>
#include <string>
#include <vector>

#include "parallelism/program.hpp"
#include "parallelism/workload.hpp"
#include "runs/config/run_config.hpp"
#include "runs/log/run_log.hpp"

namespace scaleout::runs {

// The programs rank 0 logs (every stage's) and this rank runs (its stage's): the step program, or in
// serving the prefill pass's, then (logged only, by rank 0) the first decode pass's of every stage.
std::vector<parallelism::Program> stage_programs(const parallelism::Workload& workload, int my_stage, bool root);

// Pass `index` of the run: in training every pass is a step; in serving a step (request batch) is a
// prefill pass making token 1, then a decode pass per further token.
struct Pass {
  int step = 0;
  bool warmup = false;
  PassKind kind = PassKind::training;
  int token = 0;
};
Pass pass_of(const RunConfig& config, int index);

// The run's summary from its rows: printed when `print`, and the figures of /summary (none without a
// measured row). `wrong` counts every row's wrong elements, warm-up included.
std::map<std::string, double> summarize(const std::vector<StepRow>& rows, const parallelism::Workload& workload,
                                        bool print, double& wrong);

}  // namespace scaleout::runs
