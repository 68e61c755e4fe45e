#include "runs/job/run_passes.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "parallelism/inference.hpp"
#include "parallelism/step_program.hpp"
#include "runs/job/run_summary.hpp"
#include "runs/job/serving_summary.hpp"

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
  Pass pass{index / per_step, index / per_step < config.warmup, PassKind::training, 0};
  if (config.workload.inference) {
    pass.token = index % per_step + 1;
    pass.kind = pass.token == 1 ? PassKind::prefill : PassKind::decode;
  }
  return pass;
}

std::map<std::string, double> summarize(const std::vector<StepRow>& rows, const parallelism::Workload& w, bool print,
                                        double& wrong) {
  wrong = 0;
  for (const auto& row : rows) wrong += static_cast<double>(row.wrong);  // warm-up's too: wrong is wrong
  const bool measured = std::any_of(rows.begin(), rows.end(), [](const StepRow& r) { return r.warmup == 0; });
  if (!measured) {
    if (print) fmt::print("no measured step completed\n");
    return {};
  }
  std::map<std::string, double> figures;
  if (w.inference) {
    const ServingSummary summary = summarize_serving(rows, w);
    if (print) fmt::print("{}", format_serving_summary(summary, w));
    figures = summary.figures();
  } else {
    const RunSummary summary = summarize_run(rows, w);
    if (print) fmt::print("{}", format_summary(summary, w));
    figures = summary.figures();
  }
  figures["wrong"] = wrong;
  return figures;
}

}  // namespace scaleout::runs
