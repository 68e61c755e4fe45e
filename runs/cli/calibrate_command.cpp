// `scaleout calibrate` (under mpirun or srun): fit predict's cost model to this cluster
// (docs/predict.md).

#include "runs/cli/command.hpp"
#include "runs/job/calibrate_job.hpp"

namespace scaleout::runs {

namespace {

Body declare(CLI::App& calibrate) {
  auto a = std::make_shared<CalibrateRequest>();
  calibrate.add_option("--output", a->output, "The calibration file to write (.json)")->capture_default_str();
  calibrate.add_flag("--overwrite", a->overwrite, "Replace the output file if it exists");
  calibrate.add_option("--sizes", a->sizes, "Message sizes fitted over: MIN:MAX[:FACTOR] or a list; units K M G")
      ->capture_default_str();
  calibrate.add_option("--iters", a->iterations, "Measured iterations per size")->capture_default_str();
  calibrate.add_option("--warmup", a->warmup, "Warm-up iterations per size")->capture_default_str();
  calibrate.add_option("--dtype", a->dtype, "Element type: bf16 (as runs reduce gradients) or fp32")
      ->capture_default_str();
  calibrate.add_option("--compute", a->compute, "Compute emulation mode to measure: sleep or spin")
      ->capture_default_str();
  return [a](Invocation& in) { return run_calibrate(*a, in.argc, in.argv); };
}

}  // namespace

Command calibrate_command() {
  return {"calibrate",
          "Fit the cost model of predict to this cluster: collectives inside and across nodes (under mpirun or srun)",
          declare};
}

}  // namespace scaleout::runs
