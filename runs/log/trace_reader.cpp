#include "runs/log/trace_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "runs/config/run_config.hpp"
#include "runs/log/hdf5.hpp"
#include "runs/log/op_tables.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

using analysis::RunTrace;
using analysis::TracedRank;
using analysis::TracedStep;

// No step of a run lasts this long (11.6 days); a time past it is a damaged row, and would overflow the
// timeline's nanoseconds.
constexpr double longest_step_s = 1e6;

struct RankRow {
  std::int32_t rank, node;
  char* hostname;
};

// Every rank of /ranks, with its host, in rank order.
std::vector<TracedRank> read_ranks(hid_t file, const parallelism::Layout& layout) {
  const h5::Object ranks = h5::open_dataset(file, "ranks");
  const h5::Object text = h5::string_type();
  h5::CompoundType type(sizeof(RankRow));
  type.SCALEOUT_FIELD(RankRow, rank, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, node, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, hostname, text.id());
  std::vector<RankRow> rows(h5::row_count(ranks.id()), RankRow{0, 0, nullptr});
  if (!rows.empty()) h5::read_rows(ranks.id(), type.id(), rows.data(), "/ranks");
  std::vector<TracedRank> traced;
  for (auto& row : rows) {
    traced.push_back({row.rank, row.node, row.hostname != nullptr ? row.hostname : "", {}});
    H5free_memory(row.hostname);
  }
  for (std::size_t i = 0; i < traced.size(); ++i) {
    if (traced[i].rank != static_cast<int>(i)) {
      throw h5::Error(
          fmt::format("/ranks row {}: rank {}; rows are ranks 0 to {} in order", i, traced[i].rank, traced.size() - 1));
    }
    traced[i].position = parallelism::position_of(layout, traced[i].rank);
  }
  return traced;
}

// The chosen ranks of `all`: UsageError when one is not a rank of the run.
std::vector<TracedRank> chosen_ranks(const std::vector<TracedRank>& all, const std::vector<int>& wanted,
                                     const std::string& path) {
  if (wanted.empty()) return all;
  std::vector<TracedRank> chosen;
  for (const int rank : wanted) {
    if (rank < 0 || static_cast<std::size_t>(rank) >= all.size()) {
      throw UsageError(
          fmt::format("--ranks: {} is not a rank of {}; its ranks are 0 to {}", rank, path, all.size() - 1));
    }
    chosen.push_back(all[static_cast<std::size_t>(rank)]);
  }
  return chosen;
}

// The chosen steps of the log's /steps rows, each with its pass and the traced ranks' step times (no ops).
std::vector<TracedStep> chosen_steps(const RunTrace& trace, const RunLog& log, const TraceChoice& choice,
                                     const std::string& path) {
  std::map<int, TracedStep> steps;
  for (const auto& row : log.steps) {
    if (!choice.steps.empty() && !std::binary_search(choice.steps.begin(), choice.steps.end(), row.step)) continue;
    if (choice.measured_only && !row.measured()) continue;
    const int traced = trace.traced_index(row.rank);
    if (traced < 0) continue;
    const bool serving_pass = row.kind() != analysis::PassKind::training;
    if (serving_pass != (trace.programs.size() == 2 * static_cast<std::size_t>(trace.layout.pp)) ||
        row.step_s > longest_step_s) {
      throw UsageError(
          fmt::format("{}: /steps: step {} of rank {} ({} pass, {} s) is not a step of /program's {} "
                      "programs lasting at most {:g} s",
                      path, row.step, row.rank, analysis::to_string(row.kind()), row.step_s, trace.programs.size(),
                      longest_step_s));
    }
    TracedStep& step = steps[row.step];
    if (step.step_s.empty()) {
      step.step = row.step;
      step.pass = row.kind();
      step.warmup = !row.measured();
      step.step_s.assign(trace.ranks.size(), 0.0);
    }
    step.step_s[static_cast<std::size_t>(traced)] = row.step_s;
  }
  for (const int wanted : choice.steps) {
    if (steps.count(wanted) == 0 && log.steps.empty()) {
      throw UsageError(fmt::format("--steps: {} holds no step", path));
    }
    if (steps.count(wanted) == 0) {
      const auto [low, high] = std::minmax_element(log.steps.begin(), log.steps.end(),
                                                   [](const auto& a, const auto& b) { return a.step < b.step; });
      throw UsageError(fmt::format("--steps: step {} is not in {}; it holds steps {} to {}{}", wanted, path, low->step,
                                   high->step, choice.measured_only ? " (warm-up steps left out)" : ""));
    }
  }
  std::vector<TracedStep> ordered;
  ordered.reserve(steps.size());
  for (auto& [number, step] : steps) ordered.push_back(std::move(step));
  return ordered;
}

// /ops, a slice of rows at a time. The writer appends each step's rows at once, so a step's rows come
// together: a chosen step is filled as they come and handed on when another step's begin, so that one
// step's ops at a time are held. A step that lacks some of its ops is left out.
class OpsStream {
 public:
  OpsStream(const RunTrace& outline, const TracedStepHandler& on_step) : outline_(outline), on_step_(on_step) {
    for (std::size_t s = 0; s < outline.steps.size(); ++s) index_[outline.steps[s].step] = s;
  }

  void read(hid_t file) {
    const h5::Object ops = h5::open_dataset(file, "ops");
    h5::check_declared_rows(ops.id(), "/ops");
    const std::size_t rows = h5::row_count(ops.id());
    constexpr std::size_t slice = 1 << 16;
    for (std::size_t first = 0; first < rows; first += slice) {
      const auto chunk = read_op_rows(ops.id(), first, std::min(slice, rows - first));
      for (std::size_t i = 0; i < chunk.size(); ++i) take(chunk[i], first + i);
    }
    hand_on();
  }

 private:
  void take(const OpRow& row, std::size_t number) {
    if (!at_step_ || row.step != *at_step_) {
      hand_on();
      if (!done_.insert(row.step).second) {
        throw h5::Error(fmt::format("/ops row {}: step {} again after another step; a step's rows come together",
                                    number, row.step));
      }
      at_step_ = row.step;
      if (const auto chosen = index_.find(row.step); chosen != index_.end()) start(chosen->second);
    }
    if (!current_) return;
    const int traced = outline_.traced_index(row.rank);
    if (traced < 0) return;
    auto& ops = filling_.ops[static_cast<std::size_t>(traced)];
    const auto time = [](double t) { return std::isfinite(t) && t >= 0 && t <= longest_step_s; };
    if (row.op < 0 || static_cast<std::size_t>(row.op) >= ops.size() || !time(row.begin_s) || !time(row.end_s) ||
        !time(row.waited_s)) {
      throw h5::Error(
          fmt::format("/ops row {}: op {} of rank {} in step {} with times {}, {}, {} is not an op of "
                      "its program with times from 0 to {:g} s",
                      number, row.op, row.rank, row.step, row.begin_s, row.end_s, row.waited_s, longest_step_s));
    }
    ops[static_cast<std::size_t>(row.op)] = {row.op, row.begin_s, row.end_s, row.waited_s};
    ++filled_[static_cast<std::size_t>(traced)];
  }

  void start(std::size_t s) {
    current_ = true;
    filling_ = outline_.steps[s];
    filling_.ops.resize(outline_.ranks.size());
    for (std::size_t r = 0; r < outline_.ranks.size(); ++r) {
      filling_.ops[r].assign(outline_.program_of(outline_.ranks[r], filling_.pass).ops.size(), {});
    }
    filled_.assign(outline_.ranks.size(), 0);
  }

  void hand_on() {
    if (!current_) return;
    current_ = false;
    for (std::size_t r = 0; r < filled_.size(); ++r) {
      if (filled_[r] != filling_.ops[r].size()) return;
    }
    on_step_(std::move(filling_));
  }

  const RunTrace& outline_;
  const TracedStepHandler& on_step_;
  std::map<int, std::size_t> index_;  // chosen step -> its place in the outline
  std::set<int> done_;                // steps whose rows have come
  std::optional<int> at_step_;        // the step of the rows being read
  bool current_ = false;              // it is chosen: filling_ holds it
  TracedStep filling_;
  std::vector<std::size_t> filled_;  // per traced rank: its op rows read
};

}  // namespace

RunTrace read_trace_outline(const std::string& path, const RunLog& log, const TraceChoice& choice) {
  RunTrace trace;
  trace.source = "measured";
  try {
    RunConfig config = resolve(Settings::from_yaml(log.config_yaml, path));
    fit_to_world(config, static_cast<int>(log.rank_rows));
    trace.layout = config.workload.layout;
  } catch (const UsageError& error) {
    throw UsageError(fmt::format("{}: its config does not resolve: {}", path, error.what()));
  }
  try {
    const h5::Object file = h5::open_file(path, h5::Access::read_only);
    trace.programs = read_program(file.id(), trace.layout.pp, log.schema_version);
    const auto all = read_ranks(file.id(), trace.layout);
    for (const auto& rank : all) trace.node_of_rank.push_back(rank.node);
    trace.ranks = chosen_ranks(all, choice.ranks, path);
  } catch (const h5::Error& error) {
    throw UsageError(fmt::format("{}: {}", path, error.what()));
  }
  if (log.op_rows > 0) trace.steps = chosen_steps(trace, log, choice, path);
  return trace;
}

void read_trace_steps(const std::string& path, const RunTrace& outline, const TracedStepHandler& on_step) {
  if (outline.steps.empty()) return;
  try {
    const h5::Object file = h5::open_file(path, h5::Access::read_only);
    OpsStream(outline, on_step).read(file.id());
  } catch (const h5::Error& error) {
    throw UsageError(fmt::format("{}: {}", path, error.what()));
  }
}

RunTrace read_run_trace(const std::string& path, const RunLog& log, const TraceChoice& choice) {
  RunTrace trace = read_trace_outline(path, log, choice);
  std::vector<TracedStep> steps;
  read_trace_steps(path, trace, [&steps](TracedStep&& step) { steps.push_back(std::move(step)); });
  trace.steps = std::move(steps);
  return trace;
}

}  // namespace scaleout::runs
