#pragma once
// Before/after comparison of one metric over the steps of two runs: the ratio of medians (after /
// before) with a percentile-bootstrap confidence interval, and a verdict that needs both the interval
// to exclude 1 and a minimum effect. docs/report.md gives the statistics.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace scaleout::analysis {

enum class Verdict { improved, regressed, unchanged };
const char* to_string(Verdict verdict);

struct CompareOptions {
  double confidence = 0.95;
  double min_effect = 0.02;  // a ratio within 2 % of 1 is no change, however certain
  int resamples = 2000;
  std::uint64_t seed = 1;  // the bootstrap is reproducible
};

struct MetricComparison {
  std::string metric;
  double before = 0, after = 0;  // medians over steps (of several runs: the median of their medians)
  double ratio = 1, low = 1, high = 1;
  Verdict verdict = Verdict::unchanged;
  int runs_before = 1, runs_after = 1;  // more than one on a side: the interval holds run-to-run variation
};

// Lower is better (times). Both samples must be non-empty with a positive median.
MetricComparison compare_metric(const std::string& metric, std::span<const double> before,
                                std::span<const double> after, const CompareOptions& options);

// Several runs per side (repeats on other days or nodes), each its steps: the ratio of the medians of
// the runs' medians, its interval from a two-level bootstrap (the runs drawn with replacement, then
// each drawn run's steps), so that it holds the variation from run to run and not only from step to
// step. With one run per side it is compare_metric, draw for draw.
MetricComparison compare_metric_runs(const std::string& metric, const std::vector<std::span<const double>>& before,
                                     const std::vector<std::span<const double>>& after, const CompareOptions& options);

}  // namespace scaleout::analysis
