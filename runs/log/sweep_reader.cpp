#include "runs/log/sweep_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>

#include "analysis/figures.hpp"
#include "runs/config/run_config.hpp"
#include "runs/input_file.hpp"
#include "runs/log/run_log.hpp"
#include "runs/log/trace_reader.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

namespace fs = std::filesystem;
namespace figure = analysis::figure;

// A manifest names a few hundred runs in a few hundred KiB at most.
constexpr std::uint64_t manifest_bound = std::uint64_t{16} << 20;

// A root figure the report divides by or scales with: finite and not negative (NaN made every figure
// of the report NaN).
double figure_of(const RunLog& log, const char* name, const std::string& path) {
  const auto found = log.figures.find(name);
  if (found == log.figures.end()) throw UsageError(fmt::format("{}: the run log has no {}", path, name));
  if (!std::isfinite(found->second) || found->second < 0) {
    throw UsageError(
        fmt::format("{}: the run log's {} is {}; it must be a finite number, not negative", path, name, found->second));
  }
  return found->second;
}

struct Inputs {
  std::vector<std::string> logs;
  std::optional<analysis::Scaling> scaling;  // from a sweep's manifest
};

Inputs resolve_inputs(const std::vector<std::string>& given) {
  Inputs inputs;
  for (const auto& path : given) {
    std::error_code error;
    if (!fs::is_directory(path, error)) {
      inputs.logs.push_back(path);
      continue;
    }
    const fs::path manifest = fs::path(path) / "manifest.json";
    if (!fs::exists(manifest, error)) {
      throw UsageError(fmt::format("{}: a folder without manifest.json is not a sweep (slurm/sweep writes one)", path));
    }
    try {
      const auto json = nlohmann::json::parse(read_input_file(manifest.string(), manifest_bound, "a sweep manifest"));
      const auto scaling = json.at("scaling").get<std::string>();
      if (scaling != "strong" && scaling != "weak") {
        throw UsageError(fmt::format("{}: scaling is '{}'; allowed: strong, weak", manifest.string(), scaling));
      }
      inputs.scaling = scaling == "weak" ? analysis::Scaling::weak : analysis::Scaling::strong;
      // A log named relative to the sweep is in its folder, wherever the report runs from.
      for (const auto& run : json.at("runs")) {
        const fs::path log = run.at("log").get<std::string>();
        inputs.logs.push_back(log.is_relative() ? (fs::path(path) / log).string() : log.string());
      }
    } catch (const nlohmann::json::exception& e) {
      throw UsageError(fmt::format("{}: not a sweep manifest: {}", manifest.string(), e.what()));
    }
    if (inputs.logs.empty()) throw UsageError(fmt::format("{}: lists no runs", manifest.string()));
  }
  return inputs;
}

// A serving run's figures, from its effective config (the workload) and its rows.
analysis::ServingRun serving_run(const RunLog& log, const LoadedRun& loaded) {
  RunConfig config = resolve(Settings::from_yaml(log.config_yaml, loaded.facts.path));
  fit_to_world(config, loaded.facts.ranks);
  const auto& w = config.workload;
  analysis::ServingRun run;
  run.path = loaded.facts.path;
  run.nodes = loaded.facts.nodes;
  run.ranks = loaded.facts.ranks;
  run.tp = w.layout.tp, run.pp = w.layout.pp, run.ep = w.layout.ep;
  run.sequences = w.inference->sequences;
  run.prompt_tokens = static_cast<double>(w.inference->prompt_tokens);
  run.output_tokens = static_cast<double>(w.inference->output_tokens);
  run.memory_fits = figure_of(log, figure::memory_fits, loaded.facts.path) != 0;
  run.summary = analysis::summarize_serving(log.steps, w);
  run.log = loaded.facts.log;
  return run;
}

// /environment's `nodes` (1 when absent): a whole number from 1 to the log's ranks.
int node_count(const RunLog& log, const std::string& path) {
  const auto found = log.environment.find("nodes");
  if (found == log.environment.end()) return 1;
  const std::string& text = found->second;
  int nodes = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), nodes);
  if (error != std::errc() || end != text.data() + text.size() || nodes < 1 ||
      static_cast<std::size_t>(nodes) > std::max<std::size_t>(log.rank_rows, 1)) {
    throw UsageError(fmt::format("{}: /environment nodes is '{}'; it must be a whole number from 1 to the {} ranks",
                                 path, text, log.rank_rows));
  }
  return nodes;
}

// A serving log's rows are prefill and decode passes; a training log's are steps.
bool serving_rows(const RunLog& log) {
  return std::any_of(log.steps.begin(), log.steps.end(),
                     [](const analysis::StepRow& row) { return row.kind() != analysis::PassKind::training; });
}

// The programs of a training run, and with the op trace the critical path of its measured steps, read
// one step at a time: every rank's ops of one step are what is held.
void read_critical_path(const std::string& path, const RunLog& log, LoadedRun& run) {
  TraceChoice measured;
  measured.measured_only = true;
  auto outline = std::make_shared<analysis::RunTrace>(read_trace_outline(path, log, measured));
  if (!outline->steps.empty()) {
    analysis::PathShares shares;
    const analysis::OperationIndex index(outline->programs);
    read_trace_steps(path, *outline, [&](analysis::TracedStep&& step) { shares.add(*outline, index, step); });
    run.critical_path = shares;
  }
  outline->steps.clear();
  run.programs = std::move(outline);
}

}  // namespace

std::vector<const analysis::MeasuredRun*> LoadedRuns::measured() const {
  std::vector<const analysis::MeasuredRun*> measured;
  measured.reserve(runs.size());
  for (const auto& run : runs) measured.push_back(&run);
  return measured;
}

bool LoadedRuns::serving() const {
  const auto count = std::count_if(runs.begin(), runs.end(), [](const LoadedRun& r) { return r.serving.has_value(); });
  if (count > 0 && static_cast<std::size_t>(count) != runs.size()) {
    throw UsageError(fmt::format("{} of the {} runs are serving runs and the others training runs; report them apart",
                                 count, runs.size()));
  }
  return count > 0;
}

LoadedRuns load_runs(const std::vector<std::string>& given) {
  const Inputs inputs = resolve_inputs(given);
  LoadedRuns loaded;
  loaded.scaling = inputs.scaling;
  for (const auto& path : inputs.logs) {
    RunLog log;
    try {
      log = read_run_log(path);
    } catch (const std::exception& error) {
      throw UsageError(error.what());
    }
    LoadedRun run;
    run.facts.path = path;
    run.facts.ranks = static_cast<int>(log.rank_rows);
    run.facts.nodes = node_count(log, path);
    run.facts.flops_per_step = figure_of(log, figure::flops_per_step, path);
    run.facts.global_batch = figure_of(log, figure::global_batch, path);
    run.facts.tokens_per_step = figure_of(log, figure::tokens_per_step, path);
    // Logs before it have none: their compute is all calculation.
    if (log.figures.count(figure::memory_bound_share) != 0)
      run.facts.memory_bound_share = std::min(figure_of(log, figure::memory_bound_share, path), 1.0);
    run.facts.log = {log.status, log.status_message, log.checksummed, log.background, {}};
    run.facts.environment = log.environment;
    run.rows = analysis::measured_rows(log.steps);
    if (run.rows.empty()) throw UsageError(fmt::format("{}: holds no measured step (status {})", path, log.status));
    run.node_of_rank = log.node_of_rank;
    run.figures = log.figures;
    run.config_yaml = log.config_yaml;
    if (!serving_rows(log)) {
      // The critical path and the message sizes are extras: a log they cannot be read from is still
      // reported, with a note saying why they are missing.
      try {
        read_critical_path(path, log, run);
      } catch (const UsageError& error) {
        run.facts.log.programs_problem = error.what();
      }
    }
    if (serving_rows(log)) {
      try {
        run.serving = serving_run(log, run);
      } catch (const UsageError& error) {
        throw UsageError(fmt::format("{}: its config: {}", path, error.what()));
      }
    }
    loaded.runs.push_back(std::move(run));
  }
  return loaded;
}

}  // namespace scaleout::runs
