#include "runs/compare_command.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "runs/run_inputs.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

// What makes two runs the same workload: the model's size and FLOPs, the batch, the layout.
constexpr const char* workload_figures[] = {"parameters", "flops_per_step", "global_batch", "micro_batch",
                                            "microbatches", "tp",          "pp",           "cp",
                                            "ep",           "dp",           "zero_stage",   "virtual_stages"};

void check_same_workload(const LoadedRun& before, const LoadedRun& after) {
  for (const char* name : workload_figures) {
    const auto b = before.figures.find(name), a = after.figures.find(name);
    if (b == before.figures.end() || a == after.figures.end()) continue;
    if (std::abs(b->second - a->second) > 1e-9 * std::max(1.0, std::abs(b->second))) {
      throw UsageError(fmt::format("BEFORE and AFTER are different workloads at {} node{} ({} ranks): {} is {:g} in {} "
                                   "and {:g} in {}",
                                   before.facts.nodes, before.facts.nodes == 1 ? "" : "s", before.facts.ranks, name,
                                   b->second, before.facts.path, a->second, after.facts.path));
    }
  }
}

std::string ms(double seconds) { return fmt::format("{:.2f}", seconds * 1e3); }

}  // namespace

CLI::App* add_compare_command(CLI::App& app, CompareArguments& a) {
  CLI::App* compare = app.add_subcommand("compare", "Compare two runs or sweeps, before and after a change (no MPI)");
  compare->add_option("before", a.before, "A run log or a sweep folder")->required();
  compare->add_option("after", a.after, "A run log or a sweep folder of the same workload")->required();
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
  std::map<std::pair<int, int>, const LoadedRun*> after_by_scale;
  for (const auto& run : after.runs) after_by_scale[{run.facts.nodes, run.facts.ranks}] = &run;
  std::vector<ScaleComparison> scales;
  for (const auto& b : before.runs) {
    const auto found = after_by_scale.find({b.facts.nodes, b.facts.ranks});
    if (found == after_by_scale.end()) continue;
    const LoadedRun& a = *found->second;
    check_same_workload(b, a);
    ScaleComparison scale{b.facts.nodes, b.facts.ranks, {}};
    const auto series_before = analysis::per_step_series(b.samples), series_after = analysis::per_step_series(a.samples);
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
  std::sort(scales.begin(), scales.end(),
            [](const ScaleComparison& x, const ScaleComparison& y) {
              return x.nodes != y.nodes ? x.nodes < y.nodes : x.ranks < y.ranks;
            });
  return scales;
}

int run_compare(const CompareArguments& a) {
  analysis::CompareOptions options;
  options.confidence = a.confidence;
  const auto scales = compare_runs({a.before}, {a.after}, options);
  bool regressed = false, improved = false;
  for (const auto& scale : scales) {
    for (const auto& m : scale.metrics) {
      regressed = regressed || m.verdict == analysis::Verdict::regressed;
      improved = improved || m.verdict == analysis::Verdict::improved;
    }
  }
  const std::string overall = regressed ? "regressed" : improved ? "improved" : "no significant change";
  if (a.format == "json") {
    nlohmann::json out = {{"before", a.before}, {"after", a.after}, {"confidence", a.confidence},
                          {"min_effect", options.min_effect}, {"overall", overall}, {"scales", nlohmann::json::array()}};
    for (const auto& scale : scales) {
      nlohmann::json metrics = nlohmann::json::array();
      for (const auto& m : scale.metrics) {
        metrics.push_back({{"metric", m.metric}, {"before_s", m.before}, {"after_s", m.after}, {"ratio", m.ratio},
                           {"low", m.low}, {"high", m.high}, {"verdict", analysis::to_string(m.verdict)}});
      }
      out["scales"].push_back({{"nodes", scale.nodes}, {"ranks", scale.ranks}, {"metrics", metrics}});
    }
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("compare: before {}, after {} (ratio after/before of medians over steps, {:.0f} % bootstrap "
               "interval)\n",
               a.before, a.after, 100 * a.confidence);
    for (const auto& scale : scales) {
      fmt::print("\n{} node{}, {} ranks\n", scale.nodes, scale.nodes == 1 ? "" : "s", scale.ranks);
      fmt::print("  {:<12} {:>11} {:>11} {:>7}  {:<17} {}\n", "metric", "before ms", "after ms", "ratio", "interval",
                 "verdict");
      for (const auto& m : scale.metrics) {
        fmt::print("  {:<12} {:>11} {:>11} {:>7.3f}  [{:.3f}, {:.3f}]   {}\n", m.metric, ms(m.before), ms(m.after),
                   m.ratio, m.low, m.high, analysis::to_string(m.verdict));
      }
      const auto& step = scale.metrics.front();
      fmt::print("  summary: step time x{:.3f} [{:.3f}, {:.3f}]: {}\n", step.ratio, step.low, step.high,
                 analysis::to_string(step.verdict));
    }
    fmt::print("\noverall: {}\n", overall);
  }
  return a.fail_on_regression && regressed ? exit_regression : exit_ok;
}

}  // namespace scaleout::runs
