#include "runs/cli/compare_command.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "runs/log/sweep_reader.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

// What makes two runs the same workload: the model's size and FLOPs, the batch, the layout.
constexpr const char* workload_figures[] = {
    "parameters", "flops_per_step", "global_batch",  "micro_batch", "microbatches", "tp", "pp", "cp", "ep",
    "dp",         "zero_stage",     "virtual_stages"};

void check_same_workload(const LoadedRun& before, const LoadedRun& after) {
  for (const char* name : workload_figures) {
    const auto b = before.figures.find(name), a = after.figures.find(name);
    if (b == before.figures.end() || a == after.figures.end()) continue;
    if (std::abs(b->second - a->second) > 1e-9 * std::max(1.0, std::abs(b->second))) {
      throw UsageError(
          fmt::format("BEFORE and AFTER are different workloads at {} node{} ({} ranks): {} is {:g} in {} "
                      "and {:g} in {}",
                      before.facts.nodes, before.facts.nodes == 1 ? "" : "s", before.facts.ranks, name, b->second,
                      before.facts.path, a->second, after.facts.path));
    }
  }
}

// Milliseconds for steps, microseconds for benchmark iterations.
std::string shown(double seconds, bool bench) { return fmt::format("{:.2f}", seconds * (bench ? 1e6 : 1e3)); }

bool is_bench_output(const std::string& path) { return path.size() > 5 && path.substr(path.size() - 5) == ".json"; }

nlohmann::json read_bench(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(fmt::format("{}: cannot be read", path));
  try {
    auto json = nlohmann::json::parse(in);
    for (const auto& r : json.at("results")) {
      if (!r.contains("iterations_us")) {
        throw UsageError(
            fmt::format("{}: has no iterations_us (written by an older scaleout bench); run it again", path));
      }
    }
    json.at("ranks");
    return json;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: not a scaleout bench output: {}", path, e.what()));
  }
}

}  // namespace

std::vector<ScaleComparison> compare_bench(const std::string& before_path, const std::string& after_path,
                                           const analysis::CompareOptions& options) {
  const auto before = read_bench(before_path), after = read_bench(after_path);
  // The same benchmark: rank count, element type, blocking or not.
  for (const char* setting : {"ranks", "dtype", "nonblocking"}) {
    if (before.value(setting, nlohmann::json()) != after.value(setting, nlohmann::json())) {
      throw UsageError(fmt::format("BEFORE and AFTER are different benchmarks: {} is {} in {} and {} in {}", setting,
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
      scale.metrics.push_back(analysis::compare_metric(metric, tb, ta, options));
    }
  }
  if (scale.metrics.empty()) {
    throw UsageError("BEFORE and AFTER have no collective and size in common; benchmark the same ones");
  }
  return {scale};
}

CLI::App* add_compare_command(CLI::App& app, CompareArguments& a) {
  CLI::App* compare = app.add_subcommand("compare", "Compare two runs or sweeps, before and after a change (no MPI)");
  compare->add_option("before", a.before, "A run log, a sweep folder, or a bench output (.json)")->required();
  compare->add_option("after", a.after, "The same kind of input, of the same workload or benchmark")->required();
  compare->add_option("--confidence", a.confidence, "Confidence of the intervals (default 0.95)")
      ->check(CLI::Range(0.5, 0.999));
  compare->add_flag("--fail-on-regression", a.fail_on_regression, "Exit with status 5 when anything regressed");
  compare->add_option("--format", a.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return compare;
}

std::vector<ScaleComparison> compare_runs(const std::vector<std::string>& before_inputs,
                                          const std::vector<std::string>& after_inputs,
                                          const analysis::CompareOptions& options) {
  const LoadedRuns before = load_runs(before_inputs), after = load_runs(after_inputs);
  if (before.serving() || after.serving()) {
    // Their rows are passes of two kinds; compare's statistics are over training steps.
    throw UsageError("serving runs are not compared; report them together (scaleout report BEFORE AFTER)");
  }
  std::map<std::pair<int, int>, const LoadedRun*> after_by_scale;
  for (const auto& run : after.runs) after_by_scale[{run.facts.nodes, run.facts.ranks}] = &run;
  std::vector<ScaleComparison> scales;
  for (const auto& b : before.runs) {
    const auto found = after_by_scale.find({b.facts.nodes, b.facts.ranks});
    if (found == after_by_scale.end()) continue;
    const LoadedRun& a = *found->second;
    check_same_workload(b, a);
    ScaleComparison scale{b.facts.nodes, b.facts.ranks, {}};
    const auto series_before = analysis::per_step_series(b.samples),
               series_after = analysis::per_step_series(a.samples);
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
      scale.metrics.push_back(analysis::compare_metric(metric, mb->second, ma->second, options));
    }
    scales.push_back(std::move(scale));
  }
  if (scales.empty()) {
    throw UsageError("BEFORE and AFTER have no scale in common (node and rank counts); compare runs of the same scale");
  }
  std::sort(scales.begin(), scales.end(), [](const ScaleComparison& x, const ScaleComparison& y) {
    return x.nodes != y.nodes ? x.nodes < y.nodes : x.ranks < y.ranks;
  });
  return scales;
}

int run_compare(const CompareArguments& a) {
  analysis::CompareOptions options;
  options.confidence = a.confidence;
  if (is_bench_output(a.before) != is_bench_output(a.after)) {
    throw UsageError("BEFORE and AFTER must both be runs (or sweeps) or both bench outputs (.json)");
  }
  const bool bench = is_bench_output(a.before);
  const auto scales = bench ? compare_bench(a.before, a.after, options) : compare_runs({a.before}, {a.after}, options);
  bool regressed = false, improved = false;
  for (const auto& scale : scales) {
    for (const auto& m : scale.metrics) {
      regressed = regressed || m.verdict == analysis::Verdict::regressed;
      improved = improved || m.verdict == analysis::Verdict::improved;
    }
  }
  const std::string overall = regressed ? "regressed" : improved ? "improved" : "no significant change";
  if (a.format == "json") {
    nlohmann::json out = {{"before", a.before},         {"after", a.after},
                          {"confidence", a.confidence}, {"min_effect", options.min_effect},
                          {"overall", overall},         {"scales", nlohmann::json::array()}};
    for (const auto& scale : scales) {
      nlohmann::json metrics = nlohmann::json::array();
      for (const auto& m : scale.metrics) {
        metrics.push_back({{"metric", m.metric},
                           {"before_s", m.before},
                           {"after_s", m.after},
                           {"ratio", m.ratio},
                           {"low", m.low},
                           {"high", m.high},
                           {"verdict", analysis::to_string(m.verdict)}});
      }
      out["scales"].push_back({{"nodes", scale.nodes}, {"ranks", scale.ranks}, {"metrics", metrics}});
    }
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print(
        "compare: before {}, after {} (ratio after/before of medians over {}, {:.0f} % bootstrap "
        "interval)\n",
        a.before, a.after, bench ? "iterations" : "steps", 100 * a.confidence);
    for (const auto& scale : scales) {
      fmt::print("\n{} node{}, {} ranks\n", scale.nodes, scale.nodes == 1 ? "" : "s", scale.ranks);
      std::size_t width = 12;
      for (const auto& m : scale.metrics) width = std::max(width, m.metric.size());
      const char* unit = bench ? "us" : "ms";
      fmt::print("  {:<{}} {:>11} {:>11} {:>7}  {:<17} {}\n", "metric", width, fmt::format("before {}", unit),
                 fmt::format("after {}", unit), "ratio", "interval", "verdict");
      for (const auto& m : scale.metrics) {
        fmt::print("  {:<{}} {:>11} {:>11} {:>7.3f}  [{:.3f}, {:.3f}]   {}\n", m.metric, width, shown(m.before, bench),
                   shown(m.after, bench), m.ratio, m.low, m.high, analysis::to_string(m.verdict));
      }
      const auto& first = scale.metrics.front();
      if (first.metric == "step") {
        fmt::print("  summary: step time x{:.3f} [{:.3f}, {:.3f}]: {}\n", first.ratio, first.low, first.high,
                   analysis::to_string(first.verdict));
      } else {
        int better = 0, worse = 0;
        for (const auto& m : scale.metrics) {
          better += m.verdict == analysis::Verdict::improved ? 1 : 0;
          worse += m.verdict == analysis::Verdict::regressed ? 1 : 0;
        }
        fmt::print("  summary: {} of {} sizes improved, {} regressed\n", better, scale.metrics.size(), worse);
      }
    }
    fmt::print("\noverall: {}\n", overall);
  }
  return a.fail_on_regression && regressed ? exit_regression : exit_ok;
}

}  // namespace scaleout::runs
