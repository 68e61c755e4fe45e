#include "analysis/compare_runs.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/figures.hpp"

namespace scaleout::analysis {

namespace {

void check_same_workload(const MeasuredRun& before, const MeasuredRun& after) {
  for (const char* name : figure::same_workload) {
    const auto b = before.figures.find(name), a = after.figures.find(name);
    if (b == before.figures.end() || a == after.figures.end()) continue;
    if (std::abs(b->second - a->second) > 1e-9 * std::max(1.0, std::abs(b->second))) {
      throw CompareError(
          fmt::format("BEFORE and AFTER are different workloads at {} node{} ({} ranks): {} is {:g} in {} "
                      "and {:g} in {}",
                      before.facts.nodes, before.facts.nodes == 1 ? "" : "s", before.facts.ranks, name, b->second,
                      before.facts.path, a->second, after.facts.path));
    }
  }
}

nlohmann::json parse_bench(const BenchOutput& output) {
  const std::string& path = output.path;
  try {
    auto json = nlohmann::json::parse(output.text);
    for (const auto& r : json.at("results")) {
      if (!r.contains("iterations_us")) {
        throw CompareError(
            fmt::format("{}: has no iterations_us (written by an older scaleout bench); run it again", path));
      }
    }
    json.at("ranks");
    return json;
  } catch (const nlohmann::json::exception& e) {
    throw CompareError(fmt::format("{}: not a scaleout bench output: {}", path, e.what()));
  }
}

// The environment attributes whose values are not the same on both sides (world_size and nodes are
// the scale, matched already).
std::vector<EnvironmentDifference> environment_differences(const std::vector<const MeasuredRun*>& before,
                                                           const std::vector<const MeasuredRun*>& after) {
  const auto values_of = [](const std::vector<const MeasuredRun*>& side, const std::string& name) {
    std::vector<std::string> values;
    for (const MeasuredRun* run : side) {
      const auto found = run->facts.environment.find(name);
      const std::string value = found == run->facts.environment.end() ? "-" : found->second;
      if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
    }
    return values;
  };
  std::set<std::string> names;
  for (const auto* side : {&before, &after}) {
    for (const MeasuredRun* run : *side) {
      for (const auto& [name, value] : run->facts.environment) names.insert(name);
    }
  }
  std::vector<EnvironmentDifference> differences;
  for (const auto& name : names) {
    if (name == "world_size" || name == "nodes") continue;
    auto b = values_of(before, name), a = values_of(after, name);
    if (b != a) differences.push_back({name, std::move(b), std::move(a)});
  }
  return differences;
}

// Step, compute, bubble and each group's exposed time, over the runs of one scale on each side.
std::vector<MetricComparison> compare_metrics(const std::vector<const MeasuredRun*>& before,
                                              const std::vector<const MeasuredRun*>& after,
                                              const CompareOptions& options) {
  using Series = std::map<std::string, std::vector<double>>;
  std::vector<Series> series_before, series_after;
  for (const MeasuredRun* run : before) series_before.push_back(per_step_series(run->rows));
  for (const MeasuredRun* run : after) series_after.push_back(per_step_series(run->rows));
  std::vector<std::string> names = {"step", "compute", "bubble"};
  for (const auto& [name, values] : series_before.front()) {
    if (name.rfind("exposed_", 0) == 0) names.push_back(name);
  }
  // The metric's steps in every run of a side, or nothing when a run lacks it.
  const auto runs_of = [](const std::vector<Series>& side, const std::string& name) {
    std::vector<std::span<const double>> runs;
    for (const Series& series : side) {
      const auto found = series.find(name);
      if (found == series.end()) return std::vector<std::span<const double>>{};
      runs.emplace_back(found->second);
    }
    return runs;
  };
  std::vector<MetricComparison> metrics;
  for (const auto& name : names) {
    const auto b = runs_of(series_before, name), a = runs_of(series_after, name);
    if (b.empty() || a.empty()) continue;
    // A part of the step that is zero before (no pipeline: no bubble) has no ratio to speak of.
    std::vector<double> sorted(b.front().begin(), b.front().end());
    std::sort(sorted.begin(), sorted.end());
    if (sorted[sorted.size() / 2] <= 0) continue;
    metrics.push_back(compare_metric_runs(name, b, a, options));
  }
  return metrics;
}

}  // namespace

std::vector<ScaleComparison> compare_bench(const BenchOutput& before_output, const BenchOutput& after_output,
                                           const CompareOptions& options) {
  const auto before = parse_bench(before_output), after = parse_bench(after_output);
  const std::string &before_path = before_output.path, &after_path = after_output.path;
  // The same benchmark: rank count, element type, blocking or not.
  for (const char* setting : {"ranks", "dtype", "nonblocking"}) {
    if (before.value(setting, nlohmann::json()) != after.value(setting, nlohmann::json())) {
      throw CompareError(fmt::format("BEFORE and AFTER are different benchmarks: {} is {} in {} and {} in {}", setting,
                                     before.value(setting, nlohmann::json()).dump(), before_path,
                                     after.value(setting, nlohmann::json()).dump(), after_path));
    }
  }
  ScaleComparison scale;
  scale.nodes = before.value("nodes", 1);
  scale.ranks = before["ranks"].get<int>();
  for (const auto& b : before["results"]) {
    for (const auto& a : after["results"]) {
      if (a["collective"] != b["collective"] || a["bytes"] != b["bytes"]) continue;
      // Seconds, as for runs: the iteration times of the slowest rank.
      std::vector<double> tb, ta;
      for (const double us : b["iterations_us"]) tb.push_back(us * 1e-6);
      for (const double us : a["iterations_us"]) ta.push_back(us * 1e-6);
      const std::string metric =
          fmt::format("{} {}", b["collective"].get<std::string>(), b["bytes"].get<std::uint64_t>());
      scale.metrics.push_back(compare_metric(metric, tb, ta, options));
    }
  }
  if (scale.metrics.empty()) {
    throw CompareError("BEFORE and AFTER have no collective and size in common; benchmark the same ones");
  }
  return {scale};
}

std::vector<ScaleComparison> compare_runs(const std::vector<const MeasuredRun*>& before,
                                          const std::vector<const MeasuredRun*>& after, const CompareOptions& options) {
  return compare_repeats({before}, {after}, options);
}

std::vector<ScaleComparison> compare_repeats(const Repeats& before, const Repeats& after,
                                             const CompareOptions& options) {
  using Scale = std::pair<int, int>;
  // Every repeat's run at each scale, per side.
  const auto by_scale = [](const Repeats& repeats) {
    std::map<Scale, std::vector<const MeasuredRun*>> runs;
    for (const auto& repeat : repeats) {
      for (const MeasuredRun* run : repeat) runs[{run->facts.nodes, run->facts.ranks}].push_back(run);
    }
    return runs;
  };
  const auto runs_before = by_scale(before), runs_after = by_scale(after);
  std::vector<ScaleComparison> scales;
  for (const auto& [scale, b] : runs_before) {
    const auto found = runs_after.find(scale);
    if (found == runs_after.end() || b.size() != before.size() || found->second.size() != after.size()) continue;
    const auto& a = found->second;
    for (const MeasuredRun* run : b) check_same_workload(*b.front(), *run);
    for (const MeasuredRun* run : a) check_same_workload(*b.front(), *run);
    scales.push_back({scale.first, scale.second, compare_metrics(b, a, options), environment_differences(b, a)});
  }
  if (scales.empty()) {
    throw CompareError(
        "BEFORE and AFTER have no scale in common (node and rank counts, in every repeat); compare runs of the "
        "same scale");
  }
  return scales;
}

Overall overall(const std::vector<ScaleComparison>& scales) {
  Overall o;
  for (const auto& scale : scales) {
    for (const auto& m : scale.metrics) {
      o.regressed = o.regressed || m.verdict == Verdict::regressed;
      o.improved = o.improved || m.verdict == Verdict::improved;
    }
  }
  return o;
}

const char* Overall::text() const { return regressed ? "regressed" : improved ? "improved" : "no significant change"; }

}  // namespace scaleout::analysis
