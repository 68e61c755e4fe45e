#include "runs/run_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "comm/stats.hpp"
#include "parallelism/schedule.hpp"

namespace scaleout::runs {

namespace {

constexpr std::size_t groups = parallelism::group_count;

struct StepTotals {
  double slowest = 0, step = 0, compute = 0, bubble = 0, overlapped = 0, other = 0;
  std::array<double, groups> exposed{};
  int ranks = 0;
};

double median(const std::vector<double>& values) { return comm::percentiles(values).p50; }

}  // namespace

RunSummary summarize_run(const std::vector<StepRow>& rows, const parallelism::Workload& workload) {
  RunSummary s;
  std::map<int, StepTotals> per_step;
  for (const auto& row : rows) {
    if (row.warmup != 0) continue;
    auto& t = per_step[row.step];
    t.slowest = std::max(t.slowest, row.step_s);
    t.step += row.step_s;
    t.compute += row.compute_s;
    t.bubble += row.bubble_s;
    t.overlapped += row.overlapped_s;
    t.other += row.other_s;
    const auto exposed = row.exposed_by_group();
    for (std::size_t g = 0; g < groups; ++g) t.exposed[g] += exposed[g];
    ++t.ranks;
    s.compute_requested += row.compute_requested_s;
    s.compute_measured += row.compute_s;
    s.wrong += static_cast<double>(row.wrong);
  }
  s.steps = static_cast<int>(per_step.size());
  if (s.steps == 0) return s;
  s.ranks = per_step.begin()->second.ranks;
  std::vector<double> slowest, step, compute, bubble, overlapped, other;
  std::array<std::vector<double>, groups> exposed;
  for (const auto& [index, t] : per_step) {
    const double n = t.ranks;
    slowest.push_back(t.slowest);
    step.push_back(t.step / n);
    compute.push_back(t.compute / n);
    bubble.push_back(t.bubble / n);
    overlapped.push_back(t.overlapped / n);
    other.push_back(t.other / n);
    for (std::size_t g = 0; g < groups; ++g) exposed[g].push_back(t.exposed[g] / n);
  }
  const comm::Percentiles job_step = comm::percentiles(slowest);
  s.step_p50 = job_step.p50;
  s.step_p95 = job_step.p95;
  s.compute = median(compute);
  s.bubble = median(bubble);
  s.overlapped = median(overlapped);
  s.other = median(other);
  for (std::size_t g = 0; g < groups; ++g) {
    const double value = median(exposed[g]);
    const bool used = std::any_of(exposed[g].begin(), exposed[g].end(), [](double v) { return v > 0; });
    if (used || g == 0) s.exposed[parallelism::to_string(static_cast<parallelism::Group>(g))] = value;
    s.exposed_total += value;
  }
  const double mean_step = median(step);
  s.comm_share = mean_step > 0 ? s.exposed_total / mean_step : 0;
  s.bubble_share = mean_step > 0 ? s.bubble / mean_step : 0;
  s.mfu = workload.flops_per_step() / (s.step_p50 * s.ranks * workload.device.peak_flops);
  s.emulation_error = s.compute_requested > 0 ? s.compute_measured / s.compute_requested - 1 : 0;
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
      {"compute_requested_s", compute_requested},
      {"compute_measured_s", compute_measured},
      {"emulation_error", emulation_error},
      {"wrong", wrong},
  };
  for (const auto& [group, value] : exposed) f["exposed_" + group + "_s"] = value;
  return f;
}

std::string format_summary(const RunSummary& s, const parallelism::Workload& workload) {
  const auto ms = [](double seconds) { return seconds * 1e3; };
  std::string text = fmt::format("summary over {} measured step{} on {} rank{} ({} on {}, {}, {} microbatch{} of {})\n",
                                 s.steps, s.steps == 1 ? "" : "s", s.ranks, s.ranks == 1 ? "" : "s",
                                 workload.model.name, workload.device.name, parallelism::describe(workload.layout),
                                 workload.microbatches(), workload.microbatches() == 1 ? "" : "es", workload.micro_batch);
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
                      ms(s.compute_requested / (s.steps * s.ranks)), ms(s.compute_measured / (s.steps * s.ranks)),
                      100 * s.emulation_error);
  return text;
}

}  // namespace scaleout::runs
