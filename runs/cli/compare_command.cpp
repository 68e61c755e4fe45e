// `scaleout compare BEFORE AFTER`: did a change (a network upgrade, a setting) help? Runs or sweeps
// matched by workload and scale, or bench outputs by collective and size, each metric compared with a
// bootstrap interval (analysis/compare_runs.hpp); docs/report.md.

#include <fmt/format.h>

#include <cstdint>

#include "analysis/compare_runs.hpp"
#include "runs/cli/command.hpp"
#include "runs/input_file.hpp"
#include "runs/log/sweep_reader.hpp"
#include "runs/report/compare_report.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

struct CompareArguments {
  std::string before, after;
  double confidence = 0.95;
  bool fail_on_regression = false;
  Format format = Format::text;
};

bool is_bench_output(const std::string& path) { return path.size() > 5 && path.ends_with(".json"); }

// A bench output keeps every iteration's time: a million iterations of 20 sizes is some 200 MB.
analysis::BenchOutput bench_output(const std::string& path) {
  return {path, read_input_file(path, std::uint64_t{256} << 20, "a bench output")};
}

// "a,b,c": the repeats of one side.
std::vector<std::string> repeats_of(const std::string& side) {
  std::vector<std::string> paths;
  std::size_t at = 0;
  for (std::size_t comma; (comma = side.find(',', at)) != std::string::npos; at = comma + 1) {
    paths.push_back(side.substr(at, comma - at));
  }
  paths.push_back(side.substr(at));
  for (const auto& path : paths) {
    if (path.empty())
      throw UsageError(fmt::format("'{}': an empty path among the runs; separate paths by commas", side));
  }
  return paths;
}

std::vector<analysis::ScaleComparison> compare_logs(const CompareArguments& a,
                                                    const analysis::CompareOptions& options) {
  std::vector<LoadedRuns> loaded;  // owns the runs the repeats point into
  const auto load = [&](const std::string& side) {
    analysis::Repeats repeats;
    for (const auto& path : repeats_of(side)) {
      loaded.push_back(load_runs({path}));
      if (loaded.back().serving()) {
        // Their rows are passes of two kinds; compare's statistics are over training steps.
        throw UsageError("serving runs are not compared; report them together (scaleout report BEFORE AFTER)");
      }
      repeats.push_back(loaded.back().measured());
    }
    return repeats;
  };
  loaded.reserve(repeats_of(a.before).size() + repeats_of(a.after).size());
  const analysis::Repeats before = load(a.before), after = load(a.after);
  return analysis::compare_repeats(before, after, options);
}

int compare(const CompareArguments& a) {
  if (!(a.confidence >= 0.5 && a.confidence <= 0.999)) {  // CLI11's range lets NaN through
    throw UsageError(fmt::format("--confidence: {} is not allowed; it must be from 0.5 to 0.999", a.confidence));
  }
  if (is_bench_output(a.before) != is_bench_output(a.after)) {
    throw UsageError("BEFORE and AFTER must both be runs (or sweeps) or both bench outputs (.json)");
  }
  if (is_bench_output(a.before) &&
      (a.before.find(',') != std::string::npos || a.after.find(',') != std::string::npos)) {
    throw UsageError("bench outputs are compared one per side; repeats (A,B,C) are for runs and sweeps");
  }
  ComparisonReport report{.before = a.before, .after = a.after, .bench = is_bench_output(a.before)};
  report.options.confidence = a.confidence;
  try {
    report.scales = report.bench
                        ? analysis::compare_bench(bench_output(a.before), bench_output(a.after), report.options)
                        : compare_logs(a, report.options);
  } catch (const analysis::CompareError& error) {
    throw UsageError(error.what());
  }
  fmt::print("{}", format_comparison(report, a.format));
  return a.fail_on_regression && analysis::overall(report.scales).regressed ? exit_regression : exit_ok;
}

Body declare(CLI::App& app) {
  auto a = std::make_shared<CompareArguments>();
  app.add_option("before", a->before,
                 "A run log, a sweep folder, or a bench output (.json); repeats of a run or sweep separated by commas "
                 "(A,B,C) base the intervals on run-to-run variation")
      ->required();
  app.add_option("after", a->after, "The same kind of input, of the same workload or benchmark")->required();
  app.add_option("--confidence", a->confidence, "Confidence of the intervals (default 0.95)")
      ->check(CLI::Range(0.5, 0.999));
  app.add_flag("--fail-on-regression", a->fail_on_regression, "Exit with status 5 when anything regressed");
  add_format_option(app, a->format, {Format::text, Format::json});
  return [a](Invocation&) { return compare(*a); };
}

}  // namespace

Command compare_command() {
  return {"compare", "Compare two runs or sweeps, before and after a change (no MPI)", declare};
}

}  // namespace scaleout::runs
