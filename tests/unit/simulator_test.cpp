// The analytical executor on hand-made programs (overlap, waits, pool pressure, blocking ops) with
// hand-computed times, on pipelines against the analytic bubble, and the placement of stage groups.
#include <gtest/gtest.h>

#include "analysis/prediction.hpp"
#include "analysis/simulator.hpp"
#include "parallelism/schedule.hpp"
#include "parallelism/step_program.hpp"

namespace a = scaleout::analysis;
namespace p = scaleout::parallelism;

namespace {

constexpr double ms = 1e-3;

// Every collective costs alpha 1 ms and nothing per byte, inside a node and across.
a::SimulationModel flat(double alpha = 1 * ms, double beta = 0) {
  a::SimulationModel m;
  for (int c = 0; c < a::collective_count; ++c) {
    m.cost.set(a::Tier::intra, static_cast<a::Collective>(c), {alpha, beta});
    m.cost.set(a::Tier::inter, static_cast<a::Collective>(c), {alpha, beta});
  }
  return m;
}

p::Op compute(double seconds) {
  p::Op op;
  op.kind = p::OpKind::compute;
  op.seconds = seconds;
  return op;
}

p::Op comm(p::OpKind kind, int slot, p::Group group = p::Group::dp) {
  p::Op op;
  op.kind = kind;
  op.group = group;
  op.transfer = p::Transfer::allreduce;
  op.bytes = 1024;
  op.slot = slot;
  return op;
}

// One stage of 2 ranks (dp 2 on one node): a ring allreduce on 2 ranks costs 2 alpha.
std::vector<p::StepRecord> run(std::vector<p::Op> ops, int slots, const a::SimulationModel& model) {
  p::Program program;
  program.ops = std::move(ops);
  program.slots = slots;
  p::Layout layout;
  layout.dp = 2;
  return a::simulate_step({program}, a::place_stages(layout, 2), model);
}

}  // namespace

TEST(Simulator, AStartedOperationRunsAtItsPolledSpeedUntilTheRankWaitsThenAtItsBlockingSpeed) {
  // Polled: 10 ms per allreduce on 2 ranks (2 x 5 ms); blocking: 2 ms (2 x 1 ms).
  auto model = flat();
  for (int c = 0; c < a::collective_count; ++c) {
    model.cost.set(a::Tier::intra, static_cast<a::Collective>(c), a::AlphaBeta{5 * ms, 0}, a::Progress::polled);
  }
  // 4 ms of compute: 40 % done; the remaining 6 ms polled take 6 x 2 / 10 = 1.2 ms once waited.
  const auto overlapped = run({comm(p::OpKind::start, 0), compute(4 * ms), comm(p::OpKind::wait, 0)}, 1, model);
  EXPECT_NEAR(overlapped[0].exposed[0], 1.2 * ms, 1e-12);
  // The operation queued behind it on the channel moves up by what the wait saved (4.8 ms).
  const auto queued = run({comm(p::OpKind::start, 0), comm(p::OpKind::start, 1), compute(4 * ms),
                           comm(p::OpKind::wait, 0), compute(20 * ms), comm(p::OpKind::wait, 1)},
                          2, model);
  EXPECT_NEAR(queued[0].exposed[0], 1.2 * ms, 1e-12);  // the second was done during the 20 ms
  EXPECT_NEAR(queued[0].step, 4 * ms + 1.2 * ms + 20 * ms, 1e-12);
}

TEST(Simulator, ComputeSpansCarryTheCalibratedOverhead) {
  auto model = flat();
  model.span_overhead = 0.1 * ms;
  model.span_relative = 0.01;
  const auto records = run({compute(10 * ms), compute(20 * ms)}, 0, model);
  EXPECT_NEAR(records[0].step, 30 * ms * 1.01 + 0.2 * ms, 1e-12);
  EXPECT_NEAR(records[0].compute_requested, 30 * ms, 1e-12);
  EXPECT_EQ(records[0].exposed_total(), 0.0);
}

TEST(Simulator, StartedCommunicationHidesBehindCompute) {
  // The allreduce takes 2 ms behind a 10 ms span: nothing exposed, 2 ms overlapped.
  const auto hidden = run({comm(p::OpKind::start, 0), compute(10 * ms), comm(p::OpKind::wait, 0)}, 1, flat())[0];
  EXPECT_NEAR(hidden.step, 10 * ms, 1e-12);
  EXPECT_EQ(hidden.exposed_total(), 0.0);
  EXPECT_NEAR(hidden.overlapped, 2 * ms, 1e-12);
  // At 8 ms per allreduce (alpha 4 ms) behind 5 ms of compute, 3 ms are exposed as dp.
  const auto exposed = run({comm(p::OpKind::start, 0), compute(5 * ms), comm(p::OpKind::wait, 0)}, 1, flat(4 * ms))[0];
  EXPECT_NEAR(exposed.step, 8 * ms, 1e-12);
  EXPECT_NEAR(exposed.exposed[static_cast<std::size_t>(p::Group::dp)], 3 * ms, 1e-12);
  EXPECT_NEAR(exposed.overlapped, 5 * ms, 1e-12);
}

TEST(Simulator, OperationsOfAChannelRunInOrder) {
  // Two allreduces started together: the second ends 2 ms after the first, 4 ms in all.
  const auto r =
      run({comm(p::OpKind::start, 0), comm(p::OpKind::start, 1), comm(p::OpKind::wait, 0), comm(p::OpKind::wait, 1)}, 2,
          flat())[0];
  EXPECT_NEAR(r.step, 4 * ms, 1e-12);
  EXPECT_NEAR(r.exposed[static_cast<std::size_t>(p::Group::dp)], 4 * ms, 1e-12);
}

TEST(Simulator, AFullPoolWaitsForTheOldest) {
  // One buffer: the second start waits out the first (2 ms, exposed) before it can issue.
  auto model = flat();
  model.in_flight = 1;
  const auto r = run({comm(p::OpKind::start, 0), comm(p::OpKind::start, 1), compute(10 * ms), comm(p::OpKind::wait, 0),
                      comm(p::OpKind::wait, 1)},
                     2, model)[0];
  EXPECT_NEAR(r.exposed[static_cast<std::size_t>(p::Group::dp)], 2 * ms, 1e-12);
  EXPECT_NEAR(r.step, 12 * ms, 1e-12);
}

TEST(Simulator, BlockingOperationsAreExposedInTheirGroup) {
  const auto r = run({compute(1 * ms), comm(p::OpKind::blocking, -1, p::Group::tp)}, 0, flat())[0];
  // The tp group of a dp-only layout is one rank: it costs nothing.
  EXPECT_NEAR(r.step, 1 * ms, 1e-12);
  const auto dp = run({compute(1 * ms), comm(p::OpKind::blocking, -1, p::Group::dp)}, 0, flat())[0];
  EXPECT_NEAR(dp.exposed[static_cast<std::size_t>(p::Group::dp)], 2 * ms, 1e-12);
  EXPECT_NEAR(dp.step, 3 * ms, 1e-12);
}

namespace {

// A model whose stages are alike: tiny vocabulary (negligible head), uniform layers.
p::Workload pipeline(int pp, int microbatches, p::Schedule schedule, int chunks = 1) {
  p::Workload w;
  w.model.name = "uniform";
  w.model.architecture = p::Architecture::gpt;
  w.model.layers = 16;
  w.model.hidden = 1024;
  w.model.heads = 8;
  w.model.kv_heads = 8;
  w.model.ffn_hidden = 4096;
  w.model.vocab = 8;
  w.model.seq_len = 1024;
  w.device = *p::find_device_preset("h100-sxm");
  w.layout.pp = pp;
  w.layout.schedule = schedule;
  w.layout.virtual_stages = chunks;
  w.micro_batch = 1;
  w.global_batch = microbatches;
  return w;
}

// The bubble's share of the pipeline's part of the step (the theory leaves the optimizer out).
double mean_bubble_share(const p::Workload& w) {
  const auto prediction = a::predict(w, 1, w.layout.world(), flat(0), false);
  double optimizer = 0;
  for (const auto& op : p::step_program(w, 0).ops) {
    if (op.phase == p::Phase::optimizer) optimizer += op.seconds;
  }
  return prediction.point.bubble / (prediction.point.mean_step - optimizer);
}

}  // namespace

TEST(Simulator, OneFOneBBubbleMatchesTheory) {
  for (const auto& [pp, m] : std::vector<std::pair<int, int>>{{4, 8}, {4, 4}, {2, 8}, {8, 16}}) {
    const auto w = pipeline(pp, m, p::Schedule::one_f_one_b);
    EXPECT_NEAR(mean_bubble_share(w), p::ideal_bubble_share(w.layout.schedule, pp, m, 1), 0.005)
        << "pp " << pp << " m " << m;
  }
}

TEST(Simulator, GPipeAndInterleavedBubblesMatchTheory) {
  const auto gpipe = pipeline(4, 8, p::Schedule::gpipe);
  EXPECT_NEAR(mean_bubble_share(gpipe), 3.0 / 11, 0.005);
  const auto interleaved = pipeline(4, 8, p::Schedule::interleaved, 2);
  EXPECT_NEAR(mean_bubble_share(interleaved), p::ideal_bubble_share(p::Schedule::interleaved, 4, 8, 2), 0.01);
}

TEST(Simulator, PipelineTransfersLengthenTheBubble) {
  // With a cost per message, the bubble grows by about (p-1) x 2 transfers on the critical path.
  const auto w = pipeline(4, 8, p::Schedule::one_f_one_b);
  const auto free = a::predict(w, 1, 4, flat(0), false).point;
  const auto slow = a::predict(w, 1, 4, flat(1 * ms), false).point;
  EXPECT_GT(slow.step_p50 - free.step_p50, 6 * ms * 0.99);
  EXPECT_GT(slow.bubble, free.bubble);
}

TEST(Simulator, TheTiedEmbeddingsAllreduceWaitsOnlyForTheFirstAndLastStage) {
  // Its own communication, not the bubble; the middle stages do not take part (and once made the
  // simulation stall waiting for them).
  auto w = pipeline(4, 4, p::Schedule::one_f_one_b);
  w.model.tied_embeddings = true;
  const auto tied = a::predict(w, 1, 4, flat(1 * ms), false);
  w.model.tied_embeddings = false;
  const auto untied = a::predict(w, 1, 4, flat(1 * ms), false);
  const auto pp = static_cast<std::size_t>(p::Group::pp);
  ASSERT_EQ(tied.stages.size(), 4u);
  // A ring allreduce of 2 ranks, 2 steps of alpha, for the stage that arrives last; the other waits
  // for it too.
  const double first = tied.stages[0].exposed[pp] - untied.stages[0].exposed[pp];
  const double last = tied.stages[3].exposed[pp] - untied.stages[3].exposed[pp];
  EXPECT_NEAR(std::min(first, last), 2 * ms, 0.01 * ms);
  EXPECT_GT(std::max(first, last), 2 * ms);
  EXPECT_DOUBLE_EQ(tied.stages[1].exposed[pp], untied.stages[1].exposed[pp]);
}

TEST(Placement, GroupsTakeTheirShapeFromRanksPerNode) {
  p::Layout l;
  l.dp = 4, l.tp = 2, l.pp = 2;
  const auto stages = a::place_stages(l, 4);
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[1].rank, 8);
  EXPECT_EQ(stages[1].node, 2);
  const auto& tp = stages[0].groups[static_cast<std::size_t>(p::Channel::tp)];
  EXPECT_EQ(tp.ranks, 2);
  EXPECT_EQ(tp.nodes, 1);
  const auto& dp = stages[0].groups[static_cast<std::size_t>(p::Channel::dp)];  // ranks 0 2 4 6 on nodes 0 0 1 1
  EXPECT_EQ(dp.ranks, 4);
  EXPECT_EQ(dp.per_node, 2);
  EXPECT_EQ(dp.nodes, 2);
  const auto& pp = stages[0].groups[static_cast<std::size_t>(p::Channel::pp)];
  EXPECT_EQ(pp.ranks, 2);
  EXPECT_EQ(pp.per_node, 1);
  EXPECT_EQ(pp.nodes, 2);
}

TEST(Prediction, SensitivityNamesTheResourceThatBinds) {
  // A compute-bound pipeline gains almost 2x from 2x compute and nothing from the network.
  auto w = pipeline(2, 8, p::Schedule::one_f_one_b);
  const auto compute_bound = a::predict(w, 2, 1, flat(1e-6), true).sensitivity;
  EXPECT_GT(compute_bound.compute, 1.8);
  EXPECT_LT(compute_bound.network_bandwidth, 1.01);
  // Pure DP with a slow network and no overlap is bound by it.
  w = pipeline(1, 1, p::Schedule::one_f_one_b);
  w.layout.dp = 4;
  w.global_batch = 4;
  w.overlap = false;
  const auto network_bound = a::predict(w, 4, 1, flat(1e-6, 1e-8), true).sensitivity;
  EXPECT_GT(network_bound.network_bandwidth, 1.5);
  EXPECT_LT(network_bound.compute, 1.2);
  EXPECT_NEAR(network_bound.intra_bandwidth, 1.0, 1e-9);  // one rank per node: no intra-node traffic
}
