#pragma once
// What a run's passes are: the program each stage runs, and which pass comes when (a training step,
// or serving's prefill and decode passes). Used by the run job (run_job.cpp); no MPI here.

#include <vector>

#include "analysis/step_row.hpp"
#include "parallelism/program.hpp"
#include "parallelism/workload.hpp"
#include "runs/config/run_config.hpp"

namespace scaleout::runs {

// The programs rank 0 logs (every stage's) and this rank runs (its stage's): the step program, or in
// serving the prefill pass's, then (logged only, by rank 0) the first decode pass's of every stage.
std::vector<parallelism::Program> stage_programs(const parallelism::Workload& workload, int my_stage, bool root);

// Pass `index` of the run: in training every pass is a step; in serving a step (request batch) is a
// prefill pass making token 1, then a decode pass per further token.
struct Pass {
  int step = 0;
  bool warmup = false;
  analysis::PassKind kind = analysis::PassKind::training;
  int token = 0;
};
Pass pass_of(const RunConfig& config, int index);

}  // namespace scaleout::runs
