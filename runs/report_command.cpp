#include "runs/report_command.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <fstream>
#include <set>

#include "runs/report_format.hpp"
#include "runs/run_log.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

namespace fs = std::filesystem;

double figure(const RunLog& log, const char* name, const std::string& path) {
  const auto found = log.figures.find(name);
  if (found == log.figures.end()) throw UsageError(fmt::format("{}: the run log has no {}", path, name));
  return found->second;
}

std::vector<analysis::StepSample> samples_of(const RunLog& log) {
  std::vector<analysis::StepSample> samples;
  for (const auto& row : log.steps) {
    if (row.warmup != 0) continue;
    samples.push_back({row.step, row.rank, row.step_s, row.compute_s, row.bubble_s, row.overlapped_s, row.other_s,
                       row.exposed_by_group()});
  }
  return samples;
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
      inputs.scaling = json.at("scaling").get<std::string>() == "weak" ? analysis::Scaling::weak : analysis::Scaling::strong;
      for (const auto& run : json.at("runs")) inputs.logs.push_back(run.at("log").get<std::string>());
    } catch (const nlohmann::json::exception& e) {
      throw UsageError(fmt::format("{}: not a sweep manifest: {}", manifest.string(), e.what()));
    }
  }
  return inputs;
}

}  // namespace

CLI::App* add_report_command(CLI::App& app, ReportArguments& a) {
  CLI::App* report = app.add_subcommand("report", "The scaling report of a sweep folder or of run logs (no MPI needed)");
  report->add_option("inputs", a.inputs, "A sweep folder (slurm/sweep) or run logs (.h5), one per scale")->required();
  report->add_option("--format", a.format, "text, markdown, csv or json")
      ->check(CLI::IsMember({"text", "markdown", "csv", "json"}));
  return report;
}

ReportData load_report(const std::vector<std::string>& given) {
  const Inputs inputs = resolve_inputs(given);
  ReportData data;
  std::vector<analysis::ScalePoint> points;
  std::set<double> batches;
  std::map<std::pair<int, int>, std::vector<analysis::Straggler>> stragglers;
  for (const auto& path : inputs.logs) {
    RunLog log;
    try {
      log = read_run_log(path);
    } catch (const std::exception& error) {
      throw UsageError(error.what());
    }
    analysis::RunFacts facts;
    facts.path = path;
    facts.ranks = static_cast<int>(log.rank_rows);
    const auto nodes = log.environment.find("nodes");
    facts.nodes = nodes == log.environment.end() ? 1 : std::stoi(nodes->second);
    facts.flops_per_step = figure(log, "flops_per_step", path);
    facts.global_batch = figure(log, "global_batch", path);
    facts.tokens_per_step = figure(log, "tokens_per_step", path);
    const auto samples = samples_of(log);
    if (samples.empty()) throw UsageError(fmt::format("{}: holds no measured step (status {})", path, log.status));
    points.push_back(analysis::measure_scale(facts, samples));
    stragglers[{facts.nodes, facts.ranks}] = analysis::find_stragglers(samples, log.node_of_rank);
    batches.insert(facts.global_batch);
  }
  // Without a manifest: a fixed global batch is strong scaling, a growing one weak.
  const auto scaling = inputs.scaling.value_or(batches.size() <= 1 ? analysis::Scaling::strong : analysis::Scaling::weak);
  data.scaling = analysis::analyse(std::move(points), scaling);
  for (const auto& p : data.scaling.points) data.stragglers.push_back(stragglers[{p.run.nodes, p.run.ranks}]);
  for (const auto& input : given) data.source += (data.source.empty() ? "" : " ") + input;
  return data;
}

int run_report(const ReportArguments& a) {
  const ReportData data = load_report(a.inputs);
  fmt::print("{}", format_report(data, a.format));
  return exit_ok;
}

}  // namespace scaleout::runs
