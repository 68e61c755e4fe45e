#include "runs/job/run_passes.hpp"

#include "parallelism/inference.hpp"
#include "parallelism/step_program.hpp"

namespace scaleout::runs {

std::vector<parallelism::Program> stage_programs(const parallelism::Workload& w, int my_stage, bool root) {
  std::vector<parallelism::Program> programs;
  for (int stage = 0; stage < w.layout.pp; ++stage) {
    if (!root && stage != my_stage)
      programs.emplace_back();
    else
      programs.push_back(w.inference ? parallelism::prefill_program(w, stage) : parallelism::step_program(w, stage));
  }
  if (root && w.inference && w.inference->output_tokens > 1) {
    for (int stage = 0; stage < w.layout.pp; ++stage) {
      programs.push_back(parallelism::decode_program(w, stage, parallelism::decode_context(*w.inference, 2)));
    }
  }
  return programs;
}

Pass pass_of(const RunConfig& config, int index) {
  const int per_step = config.passes_per_step();
  Pass pass{index / per_step, index / per_step < config.warmup, analysis::PassKind::training, 0};
  if (config.workload.inference) {
    pass.token = index % per_step + 1;
    pass.kind = pass.token == 1 ? analysis::PassKind::prefill : analysis::PassKind::decode;
  }
  return pass;
}

}  // namespace scaleout::runs
