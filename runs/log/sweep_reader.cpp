#include "runs/log/sweep_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "runs/config/run_config.hpp"
#include "runs/log/run_log.hpp"
#include "runs/job/run_summary.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

namespace fs = std::filesystem;

double figure(const RunLog& log, const char* name, const std::string& path) {
  const auto found = log.figures.find(name);
  if (found == log.figures.end()) throw UsageError(fmt::format("{}: the run log has no {}", path, name));
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
      std::ifstream in(manifest);
      const auto json = nlohmann::json::parse(in);
      const bool weak = json.at("scaling").get<std::string>() == "weak";
      inputs.scaling = weak ? analysis::Scaling::weak : analysis::Scaling::strong;
      for (const auto& run : json.at("runs")) inputs.logs.push_back(run.at("log").get<std::string>());
    } catch (const nlohmann::json::exception& e) {
      throw UsageError(fmt::format("{}: not a sweep manifest: {}", manifest.string(), e.what()));
    }
  }
  return inputs;
}

// A serving run's figures, from its effective config (the workload) and its rows.
ServingRun serving_run(const RunLog& log, const LoadedRun& loaded) {
  RunConfig config = resolve(Settings::from_yaml(log.config_yaml, loaded.facts.path));
  fit_to_world(config, loaded.facts.ranks);
  const auto& w = config.workload;
  ServingRun run;
  run.path = loaded.facts.path;
  run.nodes = loaded.facts.nodes;
  run.ranks = loaded.facts.ranks;
  run.tp = w.layout.tp, run.pp = w.layout.pp, run.ep = w.layout.ep;
  run.sequences = w.inference->sequences;
  run.prompt_tokens = static_cast<double>(w.inference->prompt_tokens);
  run.output_tokens = static_cast<double>(w.inference->output_tokens);
  run.memory_fits = figure(log, "memory_fits", loaded.facts.path) != 0;
  run.summary = summarize_serving(log.steps, w);
  return run;
}

}  // namespace

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
    const auto nodes = log.environment.find("nodes");
    run.facts.nodes = nodes == log.environment.end() ? 1 : std::stoi(nodes->second);
    run.facts.flops_per_step = figure(log, "flops_per_step", path);
    run.facts.global_batch = figure(log, "global_batch", path);
    run.facts.tokens_per_step = figure(log, "tokens_per_step", path);
    run.samples = measured_samples(log.steps);
    if (run.samples.empty()) throw UsageError(fmt::format("{}: holds no measured step (status {})", path, log.status));
    run.node_of_rank = log.node_of_rank;
    run.figures = log.figures;
    run.config_yaml = log.config_yaml;
    if (log.figures.count("output_tokens") != 0) {
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
