#include "runs/config/serving_predict.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/prediction.hpp"
#include "parallelism/inference.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

using parallelism::Program;

// The job's time of a simulated pass and its samples (one simulated rank per stage).
double simulate_pass(const std::vector<Program>& programs, const std::vector<analysis::StagePlacement>& placement,
                     const analysis::SimulationModel& model, int index, std::vector<analysis::StepSample>& samples) {
  const auto records = analysis::simulate_step(programs, placement, model);
  double slowest = 0;
  for (std::size_t s = 0; s < records.size(); ++s) {
    samples.push_back(analysis::sample_of(index, placement[s].rank, records[s]));
    slowest = std::max(slowest, records[s].step);
  }
  return slowest;
}

}  // namespace

std::vector<long long> parse_list(const std::string& text, const std::string& argument, long long most) {
  std::vector<long long> values;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const auto comma = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, comma - begin);
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value < 1 || value > most) {
      throw UsageError(fmt::format("{}: '{}' holds '{}'; give a list of whole numbers from 1 to {} (1,2,4)", argument,
                                   text, item, most));
    }
    values.push_back(value);
    begin = comma + 1;
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

ServingRun predict_serving(const RunConfig& base, int tp, std::int64_t output_tokens, int ranks_per_node,
                           const analysis::SimulationModel& model, int samples) {
  Settings settings = base.settings;
  settings.set("parallel.tp", std::to_string(tp));
  settings.set("inference.output_tokens", std::to_string(output_tokens));
  RunConfig config = resolve(settings);
  const auto& l = config.workload.layout;
  const int replica = l.tp * l.pp * l.ep;
  fit_to_world(config, replica);
  const auto& w = config.workload;
  const auto& serve = *w.inference;
  const auto placement = analysis::place_stages(l, ranks_per_node);

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
  std::vector<analysis::StepSample> prefill, decode;
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
  analysis::RunFacts facts;
  facts.path = run.path;
  facts.ranks = replica;
  facts.nodes = run.nodes;
  auto& s = run.summary;
  s.ranks = s.replica_ranks = replica;
  s.replicas = 1;
  s.batches = 1;
  s.prefill = analysis::measure_scale(facts, prefill);
  s.decode = analysis::measure_scale(facts, decode);
  s.ttft_p50 = s.prefill.step_p50, s.ttft_p95 = s.prefill.step_p95;
  s.tpot_p50 = s.decode.step_p50, s.tpot_p95 = s.decode.step_p95;
  s.set_batch_time(batch, serve);
  s.decode_span_bound = decode_span_bound(w);
  return run;
}

}  // namespace scaleout::runs
