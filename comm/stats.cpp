#include "comm/stats.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace scaleout::comm {

double quantile(std::span<const double> sorted, double q) noexcept {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

Percentiles percentiles(std::span<const double> sample) {
  if (sample.empty()) return {};
  std::vector<double> sorted(sample.begin(), sample.end());
  std::sort(sorted.begin(), sorted.end());
  return {sorted.front(), quantile(sorted, 0.50), quantile(sorted, 0.95), quantile(sorted, 0.99), sorted.back()};
}

double median_of_measured(std::vector<double> values) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  return quantile(values, 0.5);
}

}  // namespace scaleout::comm
