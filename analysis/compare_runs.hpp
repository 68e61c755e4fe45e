#pragma once
// `compare`'s analysis: runs (or sweeps) matched by scale and checked to be the same workload, or
// benchmark outputs matched by collective and size, each metric compared over steps (or iterations)
// with compare.hpp's statistics. runs/report/compare_report.hpp prints it. docs/report.md.

#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "analysis/scaling.hpp"

namespace scaleout::analysis {

// Inputs that cannot be compared, with a message naming the file or figure at fault: no scale or
// size in common, different workloads or benchmarks, a bench output that cannot be read.
class CompareError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An /environment attribute whose values differ between the sides at one scale: each side's values
// over its repeats, each once, in order.
struct EnvironmentDifference {
  std::string name;
  std::vector<std::string> before, after;
};

struct ScaleComparison {
  int nodes = 1, ranks = 1;
  std::vector<MetricComparison> metrics;  // "step" first
  std::vector<EnvironmentDifference> environment;
};

// Per scale in both, ordered by nodes and ranks: step, compute, bubble and each group's exposed time.
std::vector<ScaleComparison> compare_runs(const std::vector<const MeasuredRun*>& before,
                                          const std::vector<const MeasuredRun*>& after, const CompareOptions& options);
// The same over repeats: each side several runs or sweeps of the same workload (made on other days or
// nodes); a scale is compared when every repeat of both sides has it, with compare_metric_runs.
using Repeats = std::vector<std::vector<const MeasuredRun*>>;
std::vector<ScaleComparison> compare_repeats(const Repeats& before, const Repeats& after,
                                             const CompareOptions& options);

// A bench output (`scaleout bench --output X.json`) as its file held it.
struct BenchOutput {
  std::string path, text;
};

// Bench outputs matched by collective and size: per size the iteration time of the slowest rank.
std::vector<ScaleComparison> compare_bench(const BenchOutput& before, const BenchOutput& after,
                                           const CompareOptions& options);

// What the comparisons say overall: "regressed" when any metric did, else "improved" when any did.
struct Overall {
  bool regressed = false, improved = false;
  const char* text() const;
};
Overall overall(const std::vector<ScaleComparison>& scales);

}  // namespace scaleout::analysis
