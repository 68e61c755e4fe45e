#include "analysis/run_summary.hpp"

#include <set>

namespace scaleout::analysis {

EmulationAccuracy emulation_accuracy(const std::vector<StepRow>& rows) {
  EmulationAccuracy a;
  for (const auto& row : rows) {
    if (!row.measured()) continue;
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

RunSummary summarize_run(const std::vector<StepRow>& rows, const parallelism::Workload& workload,
                         const WorkloadFacts& workload_facts) {
  RunSummary s;
  std::set<int> ranks;
  for (const auto& row : rows) {
    if (row.measured()) ranks.insert(row.rank);
  }
  s.emulation = emulation_accuracy(rows);
  const auto measured = measured_rows(rows);
  if (measured.empty()) return s;
  // The same figures as scaleout report's, from the same code.
  RunFacts facts;
  facts.ranks = static_cast<int>(ranks.size());
  facts.memory_bound_share = workload_facts.memory_bound_share;
  const ScalePoint p = measure_scale(facts, measured);
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
  s.exposed_tier = p.exposed_tier;
  s.overlapped_tier = p.overlapped_tier;
  s.bytes_moved = p.bytes_moved;
  s.bytes_modelled = p.bytes_modelled;
  s.binding = p.binding;
  s.binding_group = p.binding_group;
  s.binding_share = p.binding_share;
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
  for (std::size_t t = 0; t < exposed_tier.size(); ++t) {
    const std::string tier = parallelism::to_string(static_cast<parallelism::Tier>(t));
    f["exposed_" + tier + "_s"] = exposed_tier[t];
    f["overlapped_" + tier + "_s"] = overlapped_tier[t];
  }
  f["bytes_moved"] = bytes_moved;
  f["bytes_modelled"] = bytes_modelled;
  f["binding_share"] = binding_share;
  emulation.add_figures(f);
  return f;
}

}  // namespace scaleout::analysis
