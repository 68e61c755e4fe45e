#pragma once
// Order statistics of a sample, as every report of the tool quotes them.

#include <span>
#include <vector>

namespace scaleout::comm {

struct Percentiles {
  double min = 0.0;
  double p50 = 0.0;
  double p95 = 0.0;
  double p99 = 0.0;
  double max = 0.0;
};

// The q-quantile (0 <= q <= 1) by linear interpolation between the closest ranks of the sorted sample
// (numpy's default, "type 7"). `sorted` must be sorted ascending and not empty.
double quantile(std::span<const double> sorted, double q) noexcept;

// The median of the values that are numbers (NaN marks one not measured); NaN when none is.
double median_of_measured(std::vector<double> values);

// min, p50, p95, p99 and max of an unsorted sample; all zero for an empty one.
Percentiles percentiles(std::span<const double> sample);

}  // namespace scaleout::comm
