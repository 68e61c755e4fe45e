#include "analysis/serving_summary.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "comm/stats.hpp"
#include "parallelism/inference.hpp"

namespace scaleout::analysis {

namespace {

ScalePoint measure_passes(const std::vector<StepRow>& rows, PassKind kind, int ranks) {
  RunFacts facts;
  facts.ranks = ranks;
  return measure_scale(facts, measured_rows(rows, kind));
}

}  // namespace

std::string decode_span_bound(const parallelism::Workload& w) {
  const auto& serve = *w.inference;
  const auto program =
      parallelism::decode_program(w, w.layout.pp - 1, parallelism::decode_context(serve, serve.output_tokens));
  return parallelism::memory_bound(program, w.device) ? "memory" : "compute";
}

ServingSummary summarize_serving(const std::vector<StepRow>& rows, const parallelism::Workload& w) {
  ServingSummary s;
  const auto& serve = *w.inference;
  std::set<int> ranks;
  for (const auto& row : rows) ranks.insert(row.rank);
  s.ranks = static_cast<int>(ranks.size());
  s.replica_ranks = w.layout.tp * w.layout.pp * w.layout.ep;
  s.replicas = s.ranks / s.replica_ranks;
  s.prefill = measure_passes(rows, PassKind::prefill, s.ranks);
  s.decode = measure_passes(rows, PassKind::decode, s.ranks);
  s.ttft_p50 = s.prefill.step_p50, s.ttft_p95 = s.prefill.step_p95;
  s.tpot_p50 = s.decode.step_p50, s.tpot_p95 = s.decode.step_p95;
  s.decode_span_bound = decode_span_bound(w);
  s.emulation = emulation_accuracy(rows);

  // A batch's time: its passes' job times (slowest rank each), summed; only batches logged whole.
  const int passes = static_cast<int>(serve.output_tokens);
  std::map<int, std::map<int, double>> slowest;  // batch -> pass -> job time
  for (const auto& row : rows) {
    if (!row.measured()) continue;
    double& t = slowest[row.step / passes][row.step % passes];
    t = std::max(t, row.step_s);
  }
  std::vector<double> batches;
  for (const auto& [batch, times] : slowest) {
    if (static_cast<int>(times.size()) != passes) continue;
    double total = 0;
    for (const auto& [pass, t] : times) total += t;
    batches.push_back(total);
  }
  s.batches = static_cast<int>(batches.size());
  if (!batches.empty()) s.set_batch_time(comm::percentiles(batches).p50, serve);
  return s;
}

void ServingSummary::set_batch_time(double seconds, const parallelism::Inference& serve) {
  batch_s = seconds;
  tokens_per_s_replica = serve.sequences * static_cast<double>(serve.output_tokens) / batch_s;
  tokens_per_s_device = tokens_per_s_replica / replica_ranks;
  tokens_per_s_job = tokens_per_s_replica * replicas;
}

std::string decode_bound(const ServingSummary& s) {
  if (s.decode.steps == 0) return "none (one output token: no decode pass)";
  if (communication_bound(s)) return "communication";
  if (s.decode.bubble > s.decode.compute) return "pipeline bubble";
  return s.decode_span_bound == "memory" ? "memory bandwidth" : "compute";
}

bool communication_bound(const ServingSummary& s) {
  return s.decode.steps > 0 && s.decode.exposed_total > s.decode.compute;
}

std::map<std::string, double> ServingSummary::figures() const {
  std::map<std::string, double> f = {
      {"ranks", ranks},
      {"replicas", replicas},
      {"replica_ranks", replica_ranks},
      {"batches", batches},
      {"ttft_p50_s", ttft_p50},
      {"ttft_p95_s", ttft_p95},
      {"tpot_p50_s", tpot_p50},
      {"tpot_p95_s", tpot_p95},
      {"batch_s", batch_s},
      {"tokens_per_s_replica", tokens_per_s_replica},
      {"tokens_per_s_device", tokens_per_s_device},
      {"tokens_per_s_job", tokens_per_s_job},
      {"prefill_passes", prefill.steps},
      {"prefill_compute_s", prefill.compute},
      {"prefill_exposed_s", prefill.exposed_total},
      {"prefill_bubble_s", prefill.bubble},
      {"prefill_other_s", prefill.other},
      {"prefill_comm_share", prefill.comm_share},
      {"decode_passes", decode.steps},
      {"decode_compute_s", decode.compute},
      {"decode_exposed_s", decode.exposed_total},
      {"decode_bubble_s", decode.bubble},
      {"decode_other_s", decode.other},
      {"decode_comm_share", decode.comm_share},
      {"decode_communication_bound", communication_bound(*this) ? 1.0 : 0.0},
  };
  if (emulation.rows > 0) emulation.add_figures(f);  // a prediction emulates nothing
  return f;
}

void order_serving_runs(std::vector<ServingRun>& runs) {
  std::stable_sort(runs.begin(), runs.end(), [](const ServingRun& a, const ServingRun& b) {
    return std::tie(a.output_tokens, a.tp, a.pp, a.ep, a.nodes, a.ranks) <
           std::tie(b.output_tokens, b.tp, b.pp, b.ep, b.nodes, b.ranks);
  });
}

std::map<double, const ServingRun*> turning_points(const std::vector<ServingRun>& runs) {
  std::map<double, const ServingRun*> first;
  for (const auto& r : runs) {
    first.try_emplace(r.output_tokens, nullptr);
    if (first[r.output_tokens] == nullptr && communication_bound(r.summary)) first[r.output_tokens] = &r;
  }
  return first;
}

}  // namespace scaleout::analysis
