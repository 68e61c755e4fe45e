// The op tables and the trace reader on logs written here: /program read back op for op (the tied
// embedding's flag among them), /ops placed by step and rank and chosen by --steps and --ranks, a step
// whose ops are not all there left out, bad choices refused; and the Chrome trace made of it: one slice
// per op, within its size bound.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>

#include "run_log_helpers.hpp"
#include "runs/log/run_log.hpp"
#include "runs/log/trace_reader.hpp"
#include "runs/report/trace_format.hpp"
#include "runs/usage_error.hpp"

namespace r = scaleout::runs;

namespace {

// A log of `steps` steps (the first warm-up) of the two stages, each op at [op, op + 0.5] plus the step.
// `missing`: the op row of rank 1 left out of the last step, as a killed run leaves it.
std::string traced_log(const char* name, int steps, bool missing = false,
                       const std::vector<p::Program>& programs = small_programs()) {
  std::string path = temporary(name);
  r::RunLogWriter writer(path, {"0.1.0", "abc", "scaleout run x.yaml", small_config, {}, {}}, two_ranks(),
                         small_workload().layout, programs, 0);
  for (int step = 0; step < steps; ++step) {
    std::vector<scaleout::analysis::StepRow> rows(2);
    std::vector<r::OpRow> ops;
    for (int rank = 0; rank < 2; ++rank) {
      const auto count = static_cast<int>(programs[static_cast<std::size_t>(rank)].ops.size());
      rows[static_cast<std::size_t>(rank)].step = step;
      rows[static_cast<std::size_t>(rank)].rank = rank;
      rows[static_cast<std::size_t>(rank)].warmup = static_cast<std::int8_t>(step == 0 ? 1 : 0);
      rows[static_cast<std::size_t>(rank)].step_s = count + step;
      for (int op = 0; op < count; ++op) {
        if (missing && step == steps - 1 && rank == 1 && op == 0) continue;
        ops.push_back({step, rank, op, op + 0.01 * step, op + 0.5, 0.25});
      }
    }
    writer.append_steps(rows);
    writer.append_ops(ops);
  }
  writer.close(r::RunStatus::complete);
  return path;
}

// The small workload with its word embedding tied to the logits, which the first and last stages then
// reduce between them (an op of the embedding channel).
std::vector<p::Program> tied_programs() {
  auto w = small_workload();
  w.model.tied_embeddings = true;
  return {p::step_program(w, 0), p::step_program(w, 1)};
}

TEST(TraceReader, ReadsTheProgramsBackOpForOp) {
  const auto written = tied_programs();
  const auto path = traced_log("trace-programs.h5", 2, false, written);
  const auto trace = r::read_run_trace(path, r::read_run_log(path), {});
  ASSERT_EQ(trace.programs.size(), written.size());
  bool embedding = false;
  for (std::size_t s = 0; s < written.size(); ++s) {
    ASSERT_EQ(trace.programs[s].ops.size(), written[s].ops.size());
    for (std::size_t i = 0; i < written[s].ops.size(); ++i) {
      const auto& a = trace.programs[s].ops[i];
      const auto& b = written[s].ops[i];
      EXPECT_EQ(a.kind, b.kind);
      EXPECT_EQ(a.phase, b.phase);
      EXPECT_EQ(a.microbatch, b.microbatch);
      EXPECT_EQ(a.layer, b.layer);
      EXPECT_DOUBLE_EQ(a.seconds, b.seconds);
      if (b.kind == p::OpKind::compute) continue;
      EXPECT_EQ(a.group, b.group);
      EXPECT_EQ(a.transfer, b.transfer);
      EXPECT_EQ(a.algorithm, b.algorithm);
      EXPECT_EQ(a.bytes, b.bytes);
      EXPECT_EQ(a.slot, b.slot);
      EXPECT_EQ(a.peer, b.peer);
      EXPECT_EQ(a.tag, b.tag);
      EXPECT_EQ(a.embedding, b.embedding);
      embedding = embedding || a.embedding;
    }
  }
  EXPECT_TRUE(embedding) << "a tied embedding: the first and last stages reduce it";
  EXPECT_EQ(trace.layout.pp, 2);
  EXPECT_EQ(trace.node_of_rank, (std::vector<int>{0, 0}));
  ASSERT_EQ(trace.ranks.size(), 2u);
  EXPECT_EQ(trace.ranks[1].host, "node0");
  EXPECT_EQ(trace.ranks[1].position.pp, 1);
  std::filesystem::remove(path);
}

TEST(TraceReader, PlacesEveryOpByStepAndRankAndTakesOnlyWhatIsChosen) {
  const auto path = traced_log("trace-choice.h5", 3);
  const auto log = r::read_run_log(path);
  const auto all = r::read_run_trace(path, log, {});
  ASSERT_EQ(all.steps.size(), 3u);
  EXPECT_TRUE(all.steps[0].warmup);
  EXPECT_DOUBLE_EQ(all.steps[2].ops[1][4].begin, 4.02);
  EXPECT_DOUBLE_EQ(all.steps[2].ops[1][4].end, 4.5);
  EXPECT_DOUBLE_EQ(all.steps[2].ops[1][4].waited, 0.25);
  r::TraceChoice choice;
  choice.steps = {1};
  choice.ranks = {1};
  const auto one = r::read_run_trace(path, log, choice);
  ASSERT_EQ(one.steps.size(), 1u);
  ASSERT_EQ(one.ranks.size(), 1u);
  EXPECT_EQ(one.ranks[0].rank, 1);
  EXPECT_EQ(one.steps[0].step, 1);
  EXPECT_EQ(one.steps[0].ops[0].size(), small_programs()[1].ops.size());
  r::TraceChoice measured;
  measured.measured_only = true;
  EXPECT_EQ(r::read_run_trace(path, log, measured).steps.size(), 2u);
  std::filesystem::remove(path);
}

TEST(TraceReader, LeavesOutAStepWhoseOpsAreNotAllThere) {
  const auto path = traced_log("trace-missing.h5", 3, true);
  const auto trace = r::read_run_trace(path, r::read_run_log(path), {});
  ASSERT_EQ(trace.steps.size(), 2u);
  EXPECT_EQ(trace.steps[1].step, 1);
  std::filesystem::remove(path);
}

TEST(TraceReader, RefusesARankOrAStepTheRunDoesNotHave) {
  const auto path = traced_log("trace-refused.h5", 2);
  const auto log = r::read_run_log(path);
  r::TraceChoice rank;
  rank.ranks = {0, 5};
  try {
    r::read_run_trace(path, log, rank);
    FAIL() << "rank 5 of 2";
  } catch (const r::UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--ranks: 5 is not a rank of"), std::string::npos) << error.what();
  }
  r::TraceChoice step;
  step.steps = {7};
  try {
    r::read_run_trace(path, log, step);
    FAIL() << "step 7 of 2";
  } catch (const r::UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--steps: step 7 is not in"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("steps 0 to 1"), std::string::npos) << error.what();
  }
  std::filesystem::remove(path);
}

TEST(TraceReader, HandsOnOneStepAtATimeAndRefusesAStepWhoseRowsAreApart) {
  const auto path = traced_log("trace-stream.h5", 3);
  const auto log = r::read_run_log(path);
  const auto outline = r::read_trace_outline(path, log, {});
  EXPECT_EQ(outline.steps.size(), 3u);
  EXPECT_TRUE(outline.steps[1].ops.empty()) << "the outline holds no ops";
  std::vector<int> handed;
  r::read_trace_steps(path, outline, [&](scaleout::analysis::TracedStep&& step) { handed.push_back(step.step); });
  EXPECT_EQ(handed, (std::vector<int>{0, 1, 2}));
  std::filesystem::remove(path);

  // Step 0's rows, then step 1's, then step 0's again: not what the writer writes.
  const auto apart = temporary("trace-apart.h5");
  {
    const auto programs = small_programs();
    r::RunLogWriter writer(apart, {"0.1.0", "abc", "scaleout run x.yaml", small_config, {}, {}}, two_ranks(),
                           small_workload().layout, programs, 0);
    std::vector<scaleout::analysis::StepRow> rows(4);
    for (int i = 0; i < 4; ++i) rows[static_cast<std::size_t>(i)] = {.step = i / 2, .rank = i % 2, .step_s = 1};
    writer.append_steps(rows);
    writer.append_ops({{0, 0, 0, 0, 0.1, 0}, {1, 0, 0, 0, 0.1, 0}, {0, 0, 1, 0.1, 0.2, 0}});
    writer.close(r::RunStatus::complete);
  }
  const auto apart_log = r::read_run_log(apart);
  try {
    r::read_run_trace(apart, apart_log, {});
    FAIL() << "rows of step 0 apart";
  } catch (const r::UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("/ops row 2: step 0 again after another step"), std::string::npos)
        << error.what();
  }
  std::filesystem::remove(apart);
}

TEST(TraceFormat, OneSlicePerOpAndOneStepSliceEachWithinTheSizeBound) {
  const auto path = traced_log("trace-format.h5", 2);
  const auto trace = r::read_run_trace(path, r::read_run_log(path), {});
  const auto counts = r::count_trace(trace);
  const std::string text = r::format_chrome_trace(trace, counts);
  EXPECT_LE(text.size(), r::trace_bytes_bound(counts));
  EXPECT_EQ(r::trace_bytes_bound(r::read_trace_outline(path, r::read_run_log(path), {})), r::trace_bytes_bound(counts))
      << "the outline's bound is the trace's";
  const auto json = nlohmann::json::parse(text);
  std::size_t ops = 0, steps = 0, starts = 0, ends = 0;
  for (const auto& event : json.at("traceEvents")) {
    const auto ph = event.at("ph").get<std::string>();
    if (ph == "X") (event.at("cat") == "step" ? steps : ops) += 1;
    if (ph == "i") ++ops;
    if (ph == "s") ++starts;
    if (ph == "f") ++ends;
  }
  const auto programs = small_programs();
  EXPECT_EQ(ops, 2 * (programs[0].ops.size() + programs[1].ops.size()));
  EXPECT_EQ(steps, 4u);
  EXPECT_EQ(ops + steps, counts.slices);
  EXPECT_EQ(starts, counts.flows);
  EXPECT_EQ(ends, counts.flows);
  EXPECT_GT(counts.flows, 0u) << "the stages send activations and gradients";
  EXPECT_EQ(json.at("otherData").at("source"), "measured");
  std::filesystem::remove(path);
}

}  // namespace
