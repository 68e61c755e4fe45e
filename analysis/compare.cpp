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
  if (before.empty() || after.empty()) throw std::invalid_argument(metric + ": no steps to compare");
  MetricComparison c;
  c.metric = metric;
  std::vector<double> b(before.begin(), before.end()), a(after.begin(), after.end());
  c.before = median_of(b);
  c.after = median_of(a);
  if (c.before <= 0) throw std::invalid_argument(metric + ": the before median is not positive");
  c.ratio = c.after / c.before;
  // Percentile bootstrap: resample each run's steps independently, take the ratio of medians.
  std::mt19937_64 random(options.seed);
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(options.resamples));
  for (int i = 0; i < options.resamples; ++i) {
    resample(before, b, random);
    resample(after, a, random);
    const double denominator = median_of(b);
    if (denominator > 0) ratios.push_back(median_of(a) / denominator);
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
