#include "analysis/compare_runs.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

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
  std::map<std::pair<int, int>, const MeasuredRun*> after_by_scale;
  for (const MeasuredRun* run : after) after_by_scale[{run->facts.nodes, run->facts.ranks}] = run;
  std::vector<ScaleComparison> scales;
  for (const MeasuredRun* run : before) {
    const MeasuredRun& b = *run;
    const auto found = after_by_scale.find({b.facts.nodes, b.facts.ranks});
    if (found == after_by_scale.end()) continue;
    const MeasuredRun& a = *found->second;
    check_same_workload(b, a);
    ScaleComparison scale{b.facts.nodes, b.facts.ranks, {}};
    const auto series_before = per_step_series(b.rows), series_after = per_step_series(a.rows);
    std::vector<std::string> metrics = {"step", "compute", "bubble"};
    for (const auto& [name, values] : series_before) {
      if (name.rfind("exposed_", 0) == 0) metrics.push_back(name);
    }
    for (const auto& metric : metrics) {
      const auto mb = series_before.find(metric), ma = series_after.find(metric);
      if (mb == series_before.end() || ma == series_after.end()) continue;
      // A part of the step that is zero before (no pipeline: no bubble) has no ratio to speak of.
      std::vector<double> sorted = mb->second;
      std::sort(sorted.begin(), sorted.end());
      if (sorted[sorted.size() / 2] <= 0) continue;
      scale.metrics.push_back(compare_metric(metric, mb->second, ma->second, options));
    }
    scales.push_back(std::move(scale));
  }
  if (scales.empty()) {
    throw CompareError(
        "BEFORE and AFTER have no scale in common (node and rank counts); compare runs of the same scale");
  }
  std::sort(scales.begin(), scales.end(), [](const ScaleComparison& x, const ScaleComparison& y) {
    return x.nodes != y.nodes ? x.nodes < y.nodes : x.ranks < y.ranks;
  });
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
