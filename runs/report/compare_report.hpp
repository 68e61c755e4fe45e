#pragma once
// `scaleout compare`'s printer: per scale each metric's medians before and after, their ratio, its
// interval and verdict, then the overall verdict. The figures come from analysis/compare_runs.hpp.

#include <string>
#include <vector>

#include "analysis/compare_runs.hpp"
#include "runs/report/format.hpp"

namespace scaleout::runs {

struct ComparisonReport {
  std::string before, after;  // as the user named them
  bool bench = false;         // benchmark outputs: metrics per size of iterations, in microseconds
  analysis::CompareOptions options{};
  std::vector<analysis::ScaleComparison> scales{};
};

// text or json.
std::string format_comparison(const ComparisonReport& report, Format format);

}  // namespace scaleout::runs
