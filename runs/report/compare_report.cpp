#include "runs/report/compare_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace scaleout::runs {

namespace {

// How many runs each side has (the same for every metric), and so what the intervals hold.
struct Repeats {
  int before = 1, after = 1;
  bool across_runs() const { return before > 1 || after > 1; }
};

Repeats repeats_of(const ComparisonReport& r) {
  for (const auto& scale : r.scales) {
    for (const auto& m : scale.metrics) return {m.runs_before, m.runs_after};
  }
  return {};
}

// Milliseconds for steps, microseconds for benchmark iterations.
std::string shown(double seconds, bool bench) { return fmt::format("{:.2f}", seconds * (bench ? 1e6 : 1e3)); }

std::string json(const ComparisonReport& r, const analysis::Overall& overall) {
  nlohmann::json out = {{"before", r.before},
                        {"after", r.after},
                        {"confidence", r.options.confidence},
                        {"min_effect", r.options.min_effect},
                        {"overall", overall.text()},
                        {"runs_before", repeats_of(r).before},
                        {"runs_after", repeats_of(r).after},
                        {"interval_from", repeats_of(r).across_runs() ? "runs"
                                          : r.bench                   ? "iterations"
                                                                      : "steps"},
                        {"scales", nlohmann::json::array()}};
  for (const auto& scale : r.scales) {
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
    nlohmann::json environment = nlohmann::json::array();
    for (const auto& d : scale.environment) {
      environment.push_back({{"name", d.name}, {"before", d.before}, {"after", d.after}});
    }
    out["scales"].push_back(
        {{"nodes", scale.nodes}, {"ranks", scale.ranks}, {"metrics", metrics}, {"environment", environment}});
  }
  return out.dump(2) + "\n";
}

// One scale: a line per metric, then a summary (the step's verdict, or how many sizes moved).
std::string scale_text(const analysis::ScaleComparison& scale, bool bench) {
  std::string out = fmt::format("\n{} node{}, {} ranks\n", scale.nodes, scale.nodes == 1 ? "" : "s", scale.ranks);
  std::size_t width = 12;
  for (const auto& m : scale.metrics) width = std::max(width, m.metric.size());
  const char* unit = bench ? "us" : "ms";
  out += fmt::format("  {:<{}} {:>11} {:>11} {:>7}  {:<17} {}\n", "metric", width, fmt::format("before {}", unit),
                     fmt::format("after {}", unit), "ratio", "interval", "verdict");
  for (const auto& m : scale.metrics) {
    out +=
        fmt::format("  {:<{}} {:>11} {:>11} {:>7.3f}  [{:.3f}, {:.3f}]   {}\n", m.metric, width, shown(m.before, bench),
                    shown(m.after, bench), m.ratio, m.low, m.high, analysis::to_string(m.verdict));
  }
  for (const auto& d : scale.environment) {
    const auto joined = [](const std::vector<std::string>& values) {
      std::string text;
      for (const auto& value : values) text += (text.empty() ? "" : " / ") + value;
      return text;
    };
    out += fmt::format("  environment: {} {} -> {}\n", d.name, joined(d.before), joined(d.after));
  }
  const auto& first = scale.metrics.front();
  if (first.metric == "step") {
    return out + fmt::format("  summary: step time x{:.3f} [{:.3f}, {:.3f}]: {}\n", first.ratio, first.low, first.high,
                             analysis::to_string(first.verdict));
  }
  const auto count = [&](analysis::Verdict verdict) {
    return std::count_if(scale.metrics.begin(), scale.metrics.end(),
                         [&](const analysis::MetricComparison& m) { return m.verdict == verdict; });
  };
  return out + fmt::format("  summary: {} of {} sizes improved, {} regressed\n", count(analysis::Verdict::improved),
                           scale.metrics.size(), count(analysis::Verdict::regressed));
}

std::string text(const ComparisonReport& r, const analysis::Overall& overall) {
  const Repeats repeats = repeats_of(r);
  std::string out =
      repeats.across_runs()
          ? fmt::format(
                "compare: before {}, after {} ({} run{} before, {} after: ratio after/before of the medians of "
                "the runs' medians over steps, {:.0f} % interval from run-to-run variation, a two-level "
                "bootstrap over the runs and then their steps)\n",
                r.before, r.after, repeats.before, repeats.before == 1 ? "" : "s", repeats.after,
                100 * r.options.confidence)
          : fmt::format(
                "compare: before {}, after {} (ratio after/before of medians over {}, {:.0f} % bootstrap interval "
                "from the {} of one run per side)\n",
                r.before, r.after, r.bench ? "iterations" : "steps", 100 * r.options.confidence,
                r.bench ? "iterations" : "steps");
  for (const auto& scale : r.scales) out += scale_text(scale, r.bench);
  return out + fmt::format("\noverall: {}\n", overall.text());
}

}  // namespace

std::string format_comparison(const ComparisonReport& report, Format format) {
  const analysis::Overall overall = analysis::overall(report.scales);
  return format == Format::json ? json(report, overall) : text(report, overall);
}

}  // namespace scaleout::runs
