#include "runs/job/serving_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "comm/stats.hpp"
#include "parallelism/inference.hpp"

namespace scaleout::runs {

namespace {

analysis::ScalePoint measure_passes(const std::vector<StepRow>& rows, PassKind kind, int ranks) {
  std::vector<analysis::StepSample> samples;
  for (const auto& row : rows) {
    if (row.warmup != 0 || row.pass != static_cast<std::int8_t>(kind)) continue;
    samples.push_back({row.step, row.rank, row.step_s, row.compute_s, row.bubble_s, row.overlapped_s, row.other_s,
                       row.exposed_by_group()});
  }
  analysis::RunFacts facts;
  facts.ranks = ranks;
  return analysis::measure_scale(facts, samples);
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
    if (row.warmup != 0) continue;
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
  if (s.decode.exposed_total > s.decode.compute) return "communication";
  if (s.decode.bubble > s.decode.compute) return "pipeline bubble";
  return s.decode_span_bound == "memory" ? "memory bandwidth" : "compute";
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
      {"decode_communication_bound", decode.steps > 0 && decode.exposed_total > decode.compute ? 1.0 : 0.0},
  };
  if (emulation.rows > 0) emulation.add_figures(f);  // a prediction emulates nothing
  return f;
}

std::string format_serving_summary(const ServingSummary& s, const parallelism::Workload& w) {
  const auto& serve = *w.inference;
  const auto ms = [](double seconds) { return seconds * 1e3; };
  std::string text = fmt::format(
      "serving summary over {} measured request batch{} on {} rank{} ({} on {}; {} replica{} of {}; {} sequences x "
      "{} prompt + {} output tokens)\n",
      s.batches, s.batches == 1 ? "" : "es", s.ranks, s.ranks == 1 ? "" : "s", w.model.name, w.device.name, s.replicas,
      s.replicas == 1 ? "" : "s", parallelism::describe_replica(w.layout), serve.sequences, serve.prompt_tokens,
      serve.output_tokens);
  text += fmt::format("  time to first token   p50 {:10.3f} ms   p95 {:10.3f} ms   (prefill pass)\n", ms(s.ttft_p50),
                      ms(s.ttft_p95));
  if (s.decode.steps > 0) {
    text += fmt::format("  time per output token p50 {:10.3f} ms   p95 {:10.3f} ms   (decode pass)\n", ms(s.tpot_p50),
                        ms(s.tpot_p95));
  }
  text += fmt::format("  tokens per second     {:.1f} per replica, {:.1f} per device, {:.1f} for the job\n",
                      s.tokens_per_s_replica, s.tokens_per_s_device, s.tokens_per_s_job);
  const auto pass_line = [&](const char* name, const analysis::ScalePoint& p) {
    std::string groups;
    for (const auto& [group, value] : p.exposed) groups += fmt::format(" {} {:.3f}", group, ms(value));
    return fmt::format(
        "  {:<8} compute {:9.3f} ms  exposed comm {:9.3f} ms ({}){}  other {:.3f} ms  comm share {:5.1f} %\n", name,
        ms(p.compute), ms(p.exposed_total), groups.empty() ? "none" : groups.substr(1),
        p.bubble > 0 ? fmt::format("  bubble {:.3f} ms", ms(p.bubble)) : "", ms(p.other), 100 * p.comm_share);
  };
  text += pass_line("prefill", s.prefill);
  if (s.decode.steps > 0) text += pass_line("decode", s.decode);
  text += fmt::format("  decode is bound by    {}\n", decode_bound(s));
  if (s.emulation.rows > 0) {
    text +=
        fmt::format("  compute emulation     requested {:.3f} ms, measured {:.3f} ms per rank and pass ({:+.2f} %)\n",
                    ms(s.emulation.requested / s.emulation.rows), ms(s.emulation.measured / s.emulation.rows),
                    100 * s.emulation.error);
  }
  return text;
}

}  // namespace scaleout::runs
