// A serving run's figures from hand-made /steps rows: passes in order, time to first token and per
// output token at the slowest rank, a request batch's time and tokens per second, and the config's
// serving checks.
#include <gtest/gtest.h>

#include "analysis/serving_summary.hpp"
#include "runs/job/run_passes.hpp"
#include "runs/report/summary_report.hpp"
#include "runs/usage_error.hpp"

namespace a = scaleout::analysis;
namespace r = scaleout::runs;

namespace {

r::RunConfig serving(int world, const std::string& extra = "") {
  auto config = r::resolve(r::Settings::from_yaml(
      "model: tiny\nparallel: {tp: 2}\ninference: {sequences: 4, prompt_tokens: 8, output_tokens: 3}\n"
      "emulation: {steps: 2, warmup: 1}\n" +
          extra,
      "test"));
  r::fit_to_world(config, world);
  return config;
}

// Every pass of the run on 4 ranks: rank 3 is the slowest by 1 ms; prefill 10 ms, decode 2 ms then 3.
std::vector<a::StepRow> rows_of(const r::RunConfig& config) {
  std::vector<a::StepRow> rows;
  for (int index = 0; index < config.total_passes(); ++index) {
    const r::Pass pass = r::pass_of(config, index);
    for (int rank = 0; rank < 4; ++rank) {
      a::StepRow row;
      row.step = index, row.rank = rank, row.warmup = pass.warmup ? 1 : 0;
      row.pass = static_cast<std::int8_t>(pass.kind), row.token = pass.token;
      const double base = pass.kind == a::PassKind::prefill ? 10e-3 : pass.token == 2 ? 2e-3 : 3e-3;
      row.step_s = base + (rank == 3 ? 1e-3 : 0.0);
      row.compute_s = base / 2, row.exposed(scaleout::parallelism::Group::tp) = base / 4,
      row.other_s = row.step_s - base * 0.75;
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace

TEST(ServingPasses, BatchesArePrefillThenDecodes) {
  const auto config = serving(4);
  EXPECT_EQ(config.passes_per_step(), 3);
  EXPECT_EQ(config.total_passes(), 9);
  const r::Pass fourth = r::pass_of(config, 4);
  EXPECT_EQ(fourth.step, 1);
  EXPECT_EQ(fourth.token, 2);
  EXPECT_EQ(fourth.kind, a::PassKind::decode);
  EXPECT_FALSE(fourth.warmup);
  EXPECT_TRUE(r::pass_of(config, 2).warmup);
  EXPECT_EQ(r::pass_of(config, 6).kind, a::PassKind::prefill);
  EXPECT_EQ(config.workload.layout.dp, 2);  // 2 replicas of tp 2
}

TEST(ServingSummary, FiguresFromTheSlowestRankOfEveryPass) {
  const auto config = serving(4);
  const auto s = a::summarize_serving(rows_of(config), config.workload);
  EXPECT_EQ(s.batches, 2);
  EXPECT_EQ(s.replicas, 2);
  EXPECT_EQ(s.replica_ranks, 2);
  EXPECT_DOUBLE_EQ(s.ttft_p50, 11e-3);
  EXPECT_EQ(s.decode.steps, 4);  // 2 decode passes x 2 measured batches
  EXPECT_NEAR(s.tpot_p50, 3.5e-3, 1e-12);
  EXPECT_DOUBLE_EQ(s.batch_s, 11e-3 + 3e-3 + 4e-3);
  EXPECT_NEAR(s.tokens_per_s_replica, 4 * 3 / 18e-3, 1e-6);
  EXPECT_NEAR(s.tokens_per_s_device, s.tokens_per_s_replica / 2, 1e-9);
  EXPECT_NEAR(s.tokens_per_s_job, s.tokens_per_s_replica * 2, 1e-9);
  EXPECT_NEAR(s.prefill.comm_share, 2.5e-3 / 10.25e-3, 1e-9);  // exposed over the ranks' mean pass
  EXPECT_EQ(a::decode_bound(s), "memory bandwidth");           // exposed below compute, spans memory-bound
}

TEST(ServingSummary, OtherTimeAndTheEmulationsAccuracyAreReported) {
  const auto config = serving(4);
  auto rows = rows_of(config);
  for (auto& row : rows) row.compute_requested_s = row.compute_s / 1.25;
  const auto s = a::summarize_serving(rows, config.workload);
  // other = a quarter of the pass, plus rank 3's extra 1 ms: a quarter of it in the ranks' mean.
  EXPECT_NEAR(s.prefill.other, 2.5e-3 + 0.25e-3, 1e-12);
  EXPECT_NEAR(s.decode.other, (0.75e-3 + 1e-3) / 2, 1e-12);  // the median of 0.75 ms and 1 ms passes
  EXPECT_EQ(s.emulation.rows, 4 * (3 + 3));                  // 2 measured batches of 3 passes on 4 ranks
  EXPECT_NEAR(s.emulation.error, 0.25, 1e-12);
  const auto figures = s.figures();
  EXPECT_NEAR(figures.at("decode_other_s"), s.decode.other, 1e-15);
  EXPECT_NEAR(figures.at("emulation_error"), 0.25, 1e-12);
  const auto text = r::format_serving_summary(s, config.workload);
  EXPECT_NE(text.find("other 0.875 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("(+25.00 %)"), std::string::npos) << text;
  // A prediction emulates nothing, and says nothing of the emulation's accuracy.
  EXPECT_EQ(a::ServingSummary{}.figures().count("emulation_error"), 0U);
}

TEST(ServingSummary, OnlyWholeBatchesCountForThroughput) {
  const auto config = serving(4);
  auto rows = rows_of(config);
  rows.resize(rows.size() - 4);  // the last decode pass of the last batch was not logged (a stop)
  const auto s = a::summarize_serving(rows, config.workload);
  EXPECT_EQ(s.batches, 1);
  EXPECT_DOUBLE_EQ(s.batch_s, 18e-3);
}

TEST(ServingConfig, RefusesWhatServingHasNoUseFor) {
  EXPECT_THROW(serving(4, "batch: {micro: 2}\n"), r::UsageError);
  EXPECT_THROW(serving(3), r::UsageError);                                // replicas of 2 ranks
  EXPECT_THROW(serving(4, "parallel: {tp: 2, dp: 1}\n"), r::UsageError);  // dp is the replicas
  EXPECT_NO_THROW(serving(4, "batch: {micro: 1, global: 0}\n"));          // an effective config's defaults
}
