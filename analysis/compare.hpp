#pragma once
// Before/after comparison of one metric over the steps of two runs: the ratio of medians (after /
// before) with a percentile-bootstrap confidence interval, and a verdict that needs both the interval
// to exclude 1 and a minimum effect. docs/report.md gives the statistics.

#include <cstdint>
#include <span>
#include <string>

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
  double before = 0, after = 0;  // medians over steps
  double ratio = 1, low = 1, high = 1;
  Verdict verdict = Verdict::unchanged;
};

// Lower is better (times). Both samples must be non-empty with a positive median.
MetricComparison compare_metric(const std::string& metric, std::span<const double> before,
                                std::span<const double> after, const CompareOptions& options);

}  // namespace scaleout::analysis
