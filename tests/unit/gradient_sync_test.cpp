// Step programs' gradient reduction against the formulas of docs/parallelism.md: DP buckets with each
// ZeRO stage, the parameter gathers (after the optimizer, in the next forward, FSDP's per layer and
// root), and what follows backward (the norms' gradients, the gradient norm).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "parallelism/step_program.hpp"
#include "step_program_helpers.hpp"

namespace p = scaleout::parallelism;
using namespace scaleout::tests::step_programs;  // the tiny workloads and tallies of these tests

TEST(StepProgram, AfterBackwardTheNormsGradientsAndTheGradientNormAreReduced) {
  // Megatron-LM: with sequence parallelism the norms' gradients are partial sums over TP, allreduced
  // coalesced (finalize_model_grads.py); then the gradient norm, one fp32 value, over the model-parallel
  // ranks (TP, the stages), or the whole world with the distributed optimizer (DP x CP too).
  const auto after_backward = [](const p::Program& program, p::Group group) {
    std::vector<std::uint64_t> sizes;
    for (const auto& op : program.ops) {
      if (op.phase == p::Phase::sync && op.kind == p::OpKind::blocking && op.group == group &&
          op.transfer == p::Transfer::allreduce)
        sizes.push_back(op.bytes);
    }
    return sizes;
  };
  auto w = with(tiny(), 2, 2, 2, 2);
  w.gradient_type = scaleout::comm::ElementType::fp32;
  for (int stage = 0; stage < 2; ++stage) {
    const auto plain = p::step_program(w, stage);
    EXPECT_EQ(after_backward(plain, p::Group::tp), std::vector<std::uint64_t>{4}) << "the norm";
    EXPECT_TRUE(after_backward(plain, p::Group::dp).empty()) << "no DP allreduce but the buckets' (started)";
    EXPECT_EQ(after_backward(plain, p::Group::pp), std::vector<std::uint64_t>{4}) << "the stages' meeting";
    auto sharded = w;
    sharded.layout.zero_stage = 1;
    sharded.layout.sequence_parallel = true;
    const auto program = p::step_program(sharded, stage);
    // Llama's two RMSNorms per layer (2 h), 2 layers a stage, the final norm (h) on the last.
    const std::uint64_t norms = (2 * 2 * 256 + (stage == 1 ? 256 : 0)) * 4;
    EXPECT_EQ(after_backward(program, p::Group::tp), (std::vector<std::uint64_t>{norms, 4}));
    EXPECT_EQ(after_backward(program, p::Group::dp), std::vector<std::uint64_t>{4});
    EXPECT_EQ(after_backward(program, p::Group::pp), std::vector<std::uint64_t>{4});
  }
}

TEST(DataParallel, EveryStageReducesItsOwnGradients) {
  const auto w = with(tiny(), 2, 1, 2, 2);
  for (int stage = 0; stage < 2; ++stage) {
    EXPECT_EQ(of(p::step_program(w, stage), p::Group::dp, p::Transfer::allreduce).bytes, p::gradient_bytes(w, stage));
  }
}

TEST(DataParallel, ZeroOneAndTwoReduceScatterGradientsAndGatherParameters) {
  for (const int stage : {1, 2}) {
    auto w = with(tiny(), 4, 1, 1, 1);
    w.layout.zero_stage = stage;
    const auto program = p::step_program(w, 0);
    const auto gradients = static_cast<double>(p::gradient_bytes(w, 0));
    const Tally rs = of(program, p::Group::dp, p::Transfer::reduce_scatter);
    const Tally ag = of(program, p::Group::dp, p::Transfer::allgather);
    EXPECT_EQ(of(program, p::Group::dp, p::Transfer::allreduce).count, 1) << "the gradient norm's, over the world";
    EXPECT_EQ(of(program, p::Group::dp, p::Transfer::allreduce).bytes, 4u);
    EXPECT_NEAR(static_cast<double>(rs.bytes), gradients, 8.0 * rs.count) << "padded to whole elements per rank";
    EXPECT_NEAR(static_cast<double>(ag.bytes), 2.0 * static_cast<double>(w.model.parameters()), 8.0 * ag.count);
    double optimizer = 0;
    for (const auto& op : program.ops) optimizer += op.phase == p::Phase::optimizer ? op.flops : 0.0;
    EXPECT_DOUBLE_EQ(optimizer, 12.0 * static_cast<double>(w.model.parameters()) / 4) << "the optimizer's shard";
  }
}

TEST(DataParallel, OverlapParamGatherGathersEachBucketWhenTheNextForwardReachesIt) {
  // Megatron-LM's --overlap-param-gather: the same buckets, gathered in the first microbatch's forward,
  // the embedding's (the last bucket) first and waited at once, each wait dispatching the next.
  auto w = with(tiny(), 2, 1, 1, 2);
  w.layout.zero_stage = 1;
  const Tally after_optimizer = of(p::step_program(w, 0), p::Group::dp, p::Transfer::allgather);
  w.overlap_param_gather = true;
  const auto program = p::step_program(w, 0);
  const Tally gathered = of(program, p::Group::dp, p::Transfer::allgather);
  EXPECT_GT(gathered.count, 3);
  EXPECT_EQ(gathered.count, after_optimizer.count);
  EXPECT_EQ(gathered.bytes, after_optimizer.bytes);

  const double cap = w.bucket_mb * (1 << 20) / 2 * p::parameter_bytes;  // parameter bytes per bucket
  const double embedding = p::parameter_bytes * p::embedding_parameters_per_rank(w);
  const double layer = p::parameter_bytes * p::layer_parameters_per_rank(w).total();
  double waited = 0;
  int in_flight = 0, first_start = -1;
  std::set<int> layers_seen;
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const auto& op = program.ops[i];
    const bool gather = op.group == p::Group::dp && op.transfer == p::Transfer::allgather;
    if (gather && op.kind == p::OpKind::start) {
      EXPECT_EQ(op.phase, p::Phase::forward);
      EXPECT_EQ(op.microbatch, 0);
      EXPECT_LE(++in_flight, 1) << "one bucket dispatched ahead";
      if (first_start < 0) {
        first_start = static_cast<int>(i);
        EXPECT_EQ(program.ops[i + 1].kind, p::OpKind::wait) << "the first bucket is waited at once";
        EXPECT_EQ(program.ops[i + 1].slot, op.slot);
      }
    }
    if (gather && op.kind == p::OpKind::wait) --in_flight, waited += static_cast<double>(op.bytes);
    // Before a layer's first op, the buckets holding the embedding and the layers up to it are waited,
    // and none past the one that holds its last parameter.
    if (op.layer >= 0 && op.microbatch == 0 && op.phase == p::Phase::forward && !gather &&
        layers_seen.insert(op.layer).second) {
      const double needed = embedding + layer * (op.layer + 1);
      EXPECT_GE(waited + 8.0 * gathered.count, needed) << "layer " << op.layer;
      EXPECT_LT(waited, needed + cap) << "layer " << op.layer;
    }
  }
  EXPECT_EQ(in_flight, 0) << "every bucket waited within the forward";
  EXPECT_NEAR(waited, 2.0 * static_cast<double>(w.model.parameters()), 8.0 * gathered.count);
}

TEST(DataParallel, ZeroTwoReduceScattersEveryMicrobatchAndZeroOneOnlyTheLast) {
  // DeepSpeed stage 2 keeps only its shard of the gradients, so it cannot accumulate them whole: it
  // reduce-scatters each microbatch's (stage_1_and_2.py, reduce_ready_partitions_and_remove_grads).
  for (const bool overlap : {true, false}) {
    auto w = with(tiny(), 4, 1, 1, 3);
    w.overlap = overlap;
    w.layout.zero_stage = 1;
    const Tally once = of(p::step_program(w, 0), p::Group::dp, p::Transfer::reduce_scatter);
    w.layout.zero_stage = 2;
    const auto program = p::step_program(w, 0);
    const Tally every = of(program, p::Group::dp, p::Transfer::reduce_scatter);
    EXPECT_EQ(every.count, 3 * once.count) << "overlap " << overlap;
    EXPECT_EQ(every.bytes, 3 * once.bytes) << "overlap " << overlap;
    EXPECT_EQ(of(program, p::Group::dp, p::Transfer::allgather).count,
              of(p::step_program(with(w, 4, 1, 1, 1), 0), p::Group::dp, p::Transfer::allgather).count)
        << "the parameters are gathered once, after the optimizer";
    int in_backward = 0;  // issued during each microbatch's backward, not after the step's
    for (const auto& op : program.ops) {
      const bool issued = op.kind == p::OpKind::start || op.kind == p::OpKind::blocking;
      in_backward += issued && op.transfer == p::Transfer::reduce_scatter && op.phase == p::Phase::backward;
    }
    EXPECT_EQ(in_backward, every.count) << "overlap " << overlap;
  }
}

TEST(DataParallel, ZeroThreeGathersEveryLayerTwiceAndMovesHalfAgainTheAllreduce) {
  auto w = with(tiny(), 4, 1, 1, 2);
  w.layout.zero_stage = 3;
  const auto program = p::step_program(w, 0);
  const Tally ag = of(program, p::Group::dp, p::Transfer::allgather);
  const Tally rs = of(program, p::Group::dp, p::Transfer::reduce_scatter);
  // Per layer and microbatch forward and backward, and the root unit once per microbatch: gathered
  // before its forward, kept through its backward, its gradients reduce-scattered after it.
  EXPECT_EQ(ag.count, 2 * 4 * 2 + 2);
  EXPECT_EQ(rs.count, 4 * 2 + 2);
  for (const auto& op : program.ops) {
    const bool root = op.group == p::Group::dp && op.layer < 0 && op.transfer != p::Transfer::allreduce;
    if (root && op.kind != p::OpKind::wait) {
      EXPECT_GE(op.microbatch, 0) << "the root's operations are the microbatch's";
      EXPECT_EQ(op.phase, op.transfer == p::Transfer::allgather ? p::Phase::forward : p::Phase::backward);
    }
  }
  // With one microbatch, a layer's parameters are gathered twice and its gradients reduce-scattered
  // once: 1.5x the traffic of allreducing them (an allreduce moves its size twice).
  w = with(w, 4, 1, 1, 1);
  double layers = 0;
  for (const auto& op : p::step_program(w, 0).ops) {
    if (op.layer >= 0 && (op.kind == p::OpKind::start || op.kind == p::OpKind::blocking)) {
      layers += static_cast<double>(op.bytes);
    }
  }
  EXPECT_NEAR(layers / (2.0 * 2.0 * w.model.layers * w.model.layer_parameters()), 1.5, 1e-6);
  int prefetched = 0;  // an allgather started before the previous layer's compute
  for (std::size_t i = 0; i + 1 < program.ops.size(); ++i) {
    if (program.ops[i].kind == p::OpKind::start && program.ops[i].transfer == p::Transfer::allgather &&
        program.ops[i + 1].kind == p::OpKind::compute && program.ops[i + 1].layer == program.ops[i].layer - 1) {
      ++prefetched;
    }
  }
  EXPECT_EQ(prefetched, 3 * 2) << "one layer ahead in every microbatch's forward";
}
