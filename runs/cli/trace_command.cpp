// `scaleout trace RUN.h5 [--steps 3:5] [--ranks 0-7] --output trace.json`: the steps of a run logged
// with output.trace as a timeline that Perfetto and chrome://tracing open (docs/usage.md, "Timeline").
// Reads the log (runs/log/trace_reader), counts what the file will hold and refuses one above
// --max-mb before writing it, then writes it whole (runs/report/trace_format).

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "runs/cli/command.hpp"
#include "runs/cli/lists.hpp"
#include "runs/log/trace_reader.hpp"
#include "runs/output_file.hpp"
#include "runs/report/trace_format.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

struct TraceArguments {
  std::string log;
  std::string steps, ranks;  // as typed; empty: all
  std::string output = "trace.json";
  double max_mb = 512;
};

RunLog read_log(const std::string& path) {
  try {
    return read_run_log(path);
  } catch (const std::exception& error) {
    throw UsageError(error.what());
  }
}

int trace(const TraceArguments& a) {
  if (const std::string problem = output_problem(a.output, {.overwrite = true, .inputs = {a.log}}); !problem.empty()) {
    throw UsageError(fmt::format("--output: {}", problem));
  }
  TraceChoice choice;
  if (!a.steps.empty()) choice.steps = parse_indices(a.steps, "--steps");
  if (!a.ranks.empty()) choice.ranks = parse_indices(a.ranks, "--ranks");
  const RunLog log = read_log(a.log);
  if (log.op_rows == 0) {
    throw UsageError(
        fmt::format("{}: holds no op trace; run with output.trace: true (--set output.trace=true)", a.log));
  }
  // Counted from the outline, before a row of /ops is read or a byte written.
  analysis::RunTrace run = read_trace_outline(a.log, log, choice);
  const std::uint64_t bound = trace_bytes_bound(run);
  if (static_cast<double>(bound) > a.max_mb * 1e6) {
    throw UsageError(fmt::format(
        "the trace of {} steps of {} ranks would take up to {:.0f} MB, above --max-mb {:g}: choose fewer with --steps "
        "and --ranks, or raise --max-mb",
        run.steps.size(), run.ranks.size(), static_cast<double>(bound) / 1e6, a.max_mb));
  }
  std::vector<analysis::TracedStep> steps;
  read_trace_steps(a.log, run, [&steps](analysis::TracedStep&& step) { steps.push_back(std::move(step)); });
  run.steps = std::move(steps);
  const TraceCounts counts = count_trace(run);
  try {
    write_file_atomically(a.output, format_chrome_trace(run, counts));
  } catch (const std::runtime_error& error) {
    throw UsageError(fmt::format("--output: {}", error.what()));
  }
  fmt::print("{}", describe_trace(a.output, run, counts));
  return exit_ok;
}

Body declare(CLI::App& app) {
  auto a = std::make_shared<TraceArguments>();
  app.add_option("log", a->log, "A run log (.h5) of a run with output.trace: true")->required();
  app.add_option("--steps", a->steps, "The steps to draw: 3, 3:5 or 0,4-6 (default: every step)")->check(non_empty);
  app.add_option("--ranks", a->ranks, "The ranks to draw: 0-7 or 0,4,8 (default: every rank)")->check(non_empty);
  app.add_option("--output,-o", a->output, "The trace file (Chrome trace event JSON)")
      ->capture_default_str()
      ->check(non_empty);
  app.add_option("--max-mb", a->max_mb, "Refuse to write a trace that could be larger than this (MB)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return [a](Invocation&) { return trace(*a); };
}

}  // namespace

Command trace_command() {
  return {"trace", "A run log's steps as a timeline for Perfetto or chrome://tracing (no MPI needed)", declare};
}

}  // namespace scaleout::runs
