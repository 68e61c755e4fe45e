#include "runs/job/run_summary.hpp"

#include <fmt/format.h>

#include <set>

#include "parallelism/schedule.hpp"

namespace scaleout::runs {

std::vector<analysis::StepSample> measured_samples(const std::vector<StepRow>& rows) {
  std::vector<analysis::StepSample> samples;
  for (const auto& row : rows) {
    if (row.warmup != 0) continue;
    samples.push_back({row.step, row.rank, row.step_s, row.compute_s, row.bubble_s, row.overlapped_s, row.other_s,
                       row.exposed_by_group()});
  }
  return samples;
}

EmulationAccuracy emulation_accuracy(const std::vector<StepRow>& rows) {
  EmulationAccuracy a;
  for (const auto& row : rows) {
    if (row.warmup != 0) continue;
    a.rows += 1;
    a.requested += row.compute_requested_s;
    a.measured += row.compute_s;
  }
  a.error = a.requested > 0 ? a.measured / a.requested - 1 : 0;
  return a;
}

void EmulationAccuracy::add_figures(std::map<std::string, double>& figures) const {
  figures["compute_requested_s"] = requested;
  figures["compute_measured_s"] = measured;
  figures["emulation_error"] = error;
}

RunSummary summarize_run(const std::vector<StepRow>& rows, const parallelism::Workload& workload) {
  RunSummary s;
  std::set<int> ranks;
  for (const auto& row : rows) {
    if (row.warmup == 0) ranks.insert(row.rank);
  }
  s.emulation = emulation_accuracy(rows);
  const auto samples = measured_samples(rows);
  if (samples.empty()) return s;
  // The same figures as scaleout report's, from the same code.
  analysis::RunFacts facts;
  facts.ranks = static_cast<int>(ranks.size());
  const analysis::ScalePoint p = analysis::measure_scale(facts, samples);
  s.steps = p.steps;
  s.ranks = facts.ranks;
  s.step_p50 = p.step_p50;
  s.step_p95 = p.step_p95;
  s.compute = p.compute;
  s.bubble = p.bubble;
  s.overlapped = p.overlapped;
  s.other = p.other;
  s.exposed = p.exposed;
  s.exposed_total = p.exposed_total;
  s.comm_share = p.comm_share;
  s.bubble_share = p.mean_step > 0 ? p.bubble / p.mean_step : 0;
  s.mfu = workload.flops_per_step() / (s.step_p50 * s.ranks * workload.device.peak_flops);
  return s;
}

std::map<std::string, double> RunSummary::figures() const {
  std::map<std::string, double> f = {
      {"steps", steps},
      {"ranks", ranks},
      {"step_p50_s", step_p50},
      {"step_p95_s", step_p95},
      {"compute_s", compute},
      {"exposed_s", exposed_total},
      {"bubble_s", bubble},
      {"bubble_share", bubble_share},
      {"overlapped_s", overlapped},
      {"other_s", other},
      {"comm_share", comm_share},
      {"mfu", mfu},
  };
  for (const auto& [group, value] : exposed) f["exposed_" + group + "_s"] = value;
  emulation.add_figures(f);
  return f;
}

std::string format_summary(const RunSummary& s, const parallelism::Workload& workload) {
  const auto ms = [](double seconds) { return seconds * 1e3; };
  std::string text =
      fmt::format("summary over {} measured step{} on {} rank{} ({} on {}, {}, {} microbatch{} of {})\n", s.steps,
                  s.steps == 1 ? "" : "s", s.ranks, s.ranks == 1 ? "" : "s", workload.model.name, workload.device.name,
                  parallelism::describe(workload.layout), workload.microbatches(),
                  workload.microbatches() == 1 ? "" : "es", workload.micro_batch);
  text += fmt::format("  step time        p50 {:10.2f} ms   p95 {:10.2f} ms   (slowest rank per step)\n",
                      ms(s.step_p50), ms(s.step_p95));
  text += fmt::format("  compute              {:10.2f} ms\n", ms(s.compute));
  for (const auto& [group, value] : s.exposed) {
    text += fmt::format("  exposed comm {:<4}    {:10.2f} ms\n", group, ms(value));
  }
  if (workload.layout.pp > 1) {
    text += fmt::format("  pipeline bubble      {:10.2f} ms   {:.1f} % of the step (ideal {:.1f} %)\n", ms(s.bubble),
                        100 * s.bubble_share,
                        100 * parallelism::ideal_bubble_share(workload.layout.schedule, workload.layout.pp,
                                                              workload.microbatches(), workload.layout.virtual_stages));
  }
  text += fmt::format("  overlapped comm      {:10.2f} ms   (in flight during compute)\n", ms(s.overlapped));
  text += fmt::format("  other                {:10.2f} ms\n", ms(s.other));
  text += fmt::format("  communication share  {:10.1f} %    (exposed comm / step time)\n", 100 * s.comm_share);
  text += fmt::format("  emulated MFU         {:10.1f} %    of {:.4g} TFLOP/s peak per device\n", 100 * s.mfu,
                      workload.device.peak_flops / 1e12);
  text += fmt::format("  compute emulation    requested {:.2f} ms, measured {:.2f} ms per rank and step ({:+.2f} %)\n",
                      ms(s.emulation.requested / s.emulation.rows), ms(s.emulation.measured / s.emulation.rows),
                      100 * s.emulation.error);
  return text;
}

}  // namespace scaleout::runs
