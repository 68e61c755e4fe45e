#include "analysis/compare.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <vector>

#include "comm/stats.hpp"

namespace scaleout::analysis {

namespace {
double median_of(std::vector<double>& values) {
  std::sort(values.begin(), values.end());
  return comm::quantile(values, 0.5);
}

// A sample of the same size drawn with replacement.
void resample(std::span<const double> from, std::vector<double>& into, std::mt19937_64& random) {
  std::uniform_int_distribution<std::size_t> pick(0, from.size() - 1);
  into.resize(from.size());
  for (auto& value : into) value = from[pick(random)];
}

// One run: the median of its steps; several: the median of the runs' medians.
double median_of_runs(const std::vector<std::span<const double>>& runs) {
  std::vector<double> medians;
  for (const auto run : runs) {
    std::vector<double> steps(run.begin(), run.end());
    medians.push_back(median_of(steps));
  }
  return median_of(medians);
}

// One bootstrap draw of median_of_runs: the runs drawn with replacement (one run: itself), then each
// drawn run's steps.
double resampled_median(const std::vector<std::span<const double>>& runs, std::mt19937_64& random,
                        std::vector<double>& scratch, std::vector<double>& medians) {
  if (runs.size() == 1) {
    resample(runs.front(), scratch, random);
    return median_of(scratch);
  }
  std::uniform_int_distribution<std::size_t> pick(0, runs.size() - 1);
  medians.clear();
  for (std::size_t k = 0; k < runs.size(); ++k) {
    resample(runs[pick(random)], scratch, random);
    medians.push_back(median_of(scratch));
  }
  return median_of(medians);
}
}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::improved: return "improved";
    case Verdict::regressed: return "regressed";
    case Verdict::unchanged: return "no significant change";
  }
  return "?";
}

MetricComparison compare_metric(const std::string& metric, std::span<const double> before,
                                std::span<const double> after, const CompareOptions& options) {
  return compare_metric_runs(metric, {before}, {after}, options);
}

MetricComparison compare_metric_runs(const std::string& metric, const std::vector<std::span<const double>>& before,
                                     const std::vector<std::span<const double>>& after, const CompareOptions& options) {
  const auto empty = [](std::span<const double> run) { return run.empty(); };
  if (before.empty() || after.empty() || std::any_of(before.begin(), before.end(), empty) ||
      std::any_of(after.begin(), after.end(), empty)) {
    throw std::invalid_argument(metric + ": no steps to compare");
  }
  MetricComparison c;
  c.metric = metric;
  c.runs_before = static_cast<int>(before.size());
  c.runs_after = static_cast<int>(after.size());
  c.before = median_of_runs(before);
  c.after = median_of_runs(after);
  if (c.before <= 0) throw std::invalid_argument(metric + ": the before median is not positive");
  c.ratio = c.after / c.before;
  // Percentile bootstrap: resample each side independently, take the ratio of medians.
  std::mt19937_64 random(options.seed);
  std::vector<double> ratios, scratch, medians;
  ratios.reserve(static_cast<std::size_t>(options.resamples));
  for (int i = 0; i < options.resamples; ++i) {
    const double denominator = resampled_median(before, random, scratch, medians);
    const double numerator = resampled_median(after, random, scratch, medians);
    if (denominator > 0) ratios.push_back(numerator / denominator);
  }
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - options.confidence) / 2;
  c.low = comm::quantile(ratios, tail);
  c.high = comm::quantile(ratios, 1 - tail);
  if (c.high < 1 && c.ratio <= 1 - options.min_effect) c.verdict = Verdict::improved;
  if (c.low > 1 && c.ratio >= 1 + options.min_effect) c.verdict = Verdict::regressed;
  return c;
}

}  // namespace scaleout::analysis
