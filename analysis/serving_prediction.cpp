#include "analysis/serving_prediction.hpp"

#include <algorithm>
#include <cmath>

#include "parallelism/inference.hpp"

namespace scaleout::analysis {

namespace {

using parallelism::Program;

// The job's time of a simulated pass and its rows (one simulated rank per stage).
double simulate_pass(const std::vector<Program>& programs, const std::vector<StagePlacement>& placement,
                     const SimulationModel& model, int index, std::vector<StepRow>& rows) {
  const auto records = simulate_step(programs, placement, model);
  double slowest = 0;
  for (std::size_t s = 0; s < records.size(); ++s) {
    rows.push_back(make_step_row({.step = index, .rank = placement[s].rank}, records[s]));
    slowest = std::max(slowest, records[s].step);
  }
  return slowest;
}

}  // namespace

ServingRun predict_serving(const parallelism::Workload& w, int ranks_per_node, const SimulationModel& model,
                           int samples) {
  const auto& l = w.layout;
  const int replica = l.tp * l.pp * l.ep;
  const auto& serve = *w.inference;
  const auto placement = place_stages(l, ranks_per_node);

  ServingRun run;
  run.path = "predicted";
  run.ranks = replica;
  run.nodes = (replica + ranks_per_node - 1) / ranks_per_node;
  run.tp = l.tp, run.pp = l.pp, run.ep = l.ep;
  run.sequences = serve.sequences;
  run.prompt_tokens = static_cast<double>(serve.prompt_tokens);
  run.output_tokens = static_cast<double>(serve.output_tokens);
  run.memory_fits = parallelism::serving_memory(w).fits();

  std::vector<Program> programs;
  programs.reserve(static_cast<std::size_t>(l.pp));
  for (int stage = 0; stage < l.pp; ++stage) programs.push_back(parallelism::prefill_program(w, stage));
  choose_algorithms(programs, w.algorithm, placement);
  std::vector<StepRow> prefill, decode;
  double batch = simulate_pass(programs, placement, model, 0, prefill);
  // Decode tokens 2 .. output: simulated at evenly spread tokens, the rest interpolated.
  const std::int64_t first = 2, last = serve.output_tokens;
  if (last >= first) {
    const std::int64_t span = last - first;
    const std::int64_t count = std::min<std::int64_t>(span + 1, std::max(samples, 2));
    std::vector<std::pair<std::int64_t, double>> simulated;
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t token = count == 1 ? first : first + (span * k + (count - 1) / 2) / (count - 1);
      if (!simulated.empty() && simulated.back().first == token) continue;
      for (int stage = 0; stage < l.pp; ++stage) {
        programs[static_cast<std::size_t>(stage)] =
            parallelism::decode_program(w, stage, parallelism::decode_context(serve, token));
      }
      choose_algorithms(programs, w.algorithm, placement);
      simulated.emplace_back(token, simulate_pass(programs, placement, model, static_cast<int>(k), decode));
    }
    for (std::size_t i = 0; i + 1 < simulated.size(); ++i) {
      const auto [t0, s0] = simulated[i];
      const auto [t1, s1] = simulated[i + 1];
      for (std::int64_t t = t0; t < t1; ++t) {
        batch += s0 + (s1 - s0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
      }
    }
    batch += simulated.back().second;
  }
  RunFacts facts;
  facts.path = run.path;
  facts.ranks = replica;
  facts.nodes = run.nodes;
  auto& s = run.summary;
  s.ranks = s.replica_ranks = replica;
  s.replicas = 1;
  s.batches = 1;
  s.prefill = measure_scale(facts, prefill);
  s.decode = measure_scale(facts, decode);
  s.ttft_p50 = s.prefill.step_p50, s.ttft_p95 = s.prefill.step_p95;
  s.tpot_p50 = s.decode.step_p50, s.tpot_p95 = s.decode.step_p95;
  s.set_batch_time(batch, serve);
  s.decode_span_bound = decode_span_bound(w);
  return run;
}

}  // namespace scaleout::analysis
