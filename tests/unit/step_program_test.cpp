// Step programs of hybrid layouts against the formulas of docs/parallelism.md: op counts and bytes per
// step for TP (with and without sequence parallelism, its overlap and recomputation), PP under each
// schedule, EP and CP; FLOPs conserved over the job whatever the layout. The gradient reduction, ZeRO
// and what follows backward are in gradient_sync_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "parallelism/step_program.hpp"
#include "step_program_helpers.hpp"

namespace p = scaleout::parallelism;
using namespace scaleout::tests::step_programs;  // the tiny workloads and tallies of these tests

TEST(TensorParallel, TwoAllreducesForwardAndTwoBackwardPerLayer) {
  const auto w = with(tiny(), 2, 2, 1, 3);
  const auto program = layers_only(p::step_program(w, 0));
  const Tally tp = of(program, p::Group::tp, p::Transfer::allreduce);
  EXPECT_EQ(tp.count, 4 * 4 * 3);  // 4 per layer and microbatch, 4 layers, 3 microbatches
  EXPECT_EQ(tp.bytes, 4u * 4 * 3 * activation);
}

TEST(TensorParallel, SequenceParallelTurnsEachIntoReduceScatterAndAllgather) {
  auto w = with(tiny(), 1, 4, 1, 2);
  w.layout.sequence_parallel = true;
  const auto program = layers_only(p::step_program(w, 0));
  EXPECT_EQ(of(program, p::Group::tp, p::Transfer::allreduce).count, 0);
  EXPECT_EQ(of(program, p::Group::tp, p::Transfer::reduce_scatter).count, 4 * 4 * 2);
  // Per layer and microbatch 2 allgathers forward and 4 backward: the gradients of forward's
  // reduce-scatters, and QKV's and FC1's saved input shards gathered again for their weight gradients
  // (Megatron-LM's layers.py, TransformerEngine's layernorm_linear.py).
  EXPECT_EQ(of(program, p::Group::tp, p::Transfer::allgather).count, 6 * 4 * 2);
  EXPECT_EQ(of(program, p::Group::tp, p::Transfer::allgather).bytes, 6u * 4 * 2 * activation);
}

TEST(TensorParallel, ColumnParallelBackwardOverlapsItsCommunicationWithItsGemms) {
  // Without sequence parallelism the input gradient's allreduce of QKV and FC1 is started before the
  // weight gradient's GEMM and waited after it; with it the re-gather runs under the input gradient's
  // GEMM and the reduce-scatter under the weight gradient's. FC2's and the projection's stay blocking.
  for (const bool sp : {false, true}) {
    auto w = with(tiny(), 1, 2, 1, 1);
    w.layout.sequence_parallel = sp;
    const auto program = layers_only(p::step_program(w, 0));
    int started = 0, blocking = 0, overlapped = 0;
    for (std::size_t i = 0; i < program.ops.size(); ++i) {
      const auto& op = program.ops[i];
      if (op.group != p::Group::tp || op.phase != p::Phase::backward) continue;
      started += op.kind == p::OpKind::start;
      blocking += op.kind == p::OpKind::blocking;
      if (op.kind == p::OpKind::start && i + 2 < program.ops.size()) {
        overlapped += program.ops[i + 1].kind == p::OpKind::compute && program.ops[i + 2].kind == p::OpKind::wait &&
                      program.ops[i + 2].slot == op.slot;
      }
    }
    EXPECT_EQ(started, (sp ? 4 : 2) * 4) << "sp " << sp;
    EXPECT_EQ(blocking, (sp ? 2 : 0) * 4) << "sp " << sp;
    EXPECT_EQ(overlapped, started) << "sp " << sp;
  }
}

TEST(TensorParallel, CommOverlapRunsTheGathersAsRingsAndTheReduceScattersInSplitsBehindTheGemms) {
  // TransformerEngine's userbuffers (Megatron-LM's --tp-comm-overlap), tp 4 with sequence parallelism:
  // per layer forward, QKV and FC1 gather their input as t - 1 ring exchanges of b s h B / t, each
  // behind a t-th of the GEMM; the output projection and FC2 reduce-scatter in 4 splits behind the
  // GEMM's 4 parts; backward, the output projection and FC2 gather their output gradient the same way.
  // The FLOPs, and the bytes each rank moves, stay what they were.
  auto w = with(tiny(), 1, 4, 1, 2);
  w.layout.sequence_parallel = true;
  const auto plain = layers_only(p::step_program(w, 0));
  w.tp_comm_overlap = true;
  const auto program = layers_only(p::step_program(w, 0));
  const std::uint64_t block = activation / 4;
  int forward_exchanges = 0, backward_exchanges = 0, forward_splits = 0;
  for (const auto& op : program.ops) {
    if (op.group != p::Group::tp || op.kind == p::OpKind::wait) continue;
    if (op.phase == p::Phase::forward) {
      EXPECT_EQ(op.kind, p::OpKind::start) << "nothing blocks in forward";
      if (op.transfer == p::Transfer::exchange) {
        ++forward_exchanges;
        EXPECT_EQ(op.bytes, block);
      }
      if (op.transfer == p::Transfer::reduce_scatter) {
        ++forward_splits;
        EXPECT_EQ(op.bytes, activation / 4);
      }
    }
    if (op.phase == p::Phase::backward && op.transfer == p::Transfer::exchange) ++backward_exchanges;
  }
  EXPECT_EQ(forward_exchanges, 4 * 2 * 2 * 3) << "4 layers, 2 microbatches, 2 GEMMs, t - 1 steps";
  EXPECT_EQ(forward_splits, 4 * 2 * 2 * 4);
  EXPECT_EQ(backward_exchanges, 4 * 2 * 2 * 3);
  // Backward keeps the column-parallel linears' bulk overlap: re-gathers and reduce-scatters started.
  EXPECT_EQ(of(program, p::Group::tp, p::Transfer::allgather).count, 4 * 2 * 2);
  EXPECT_EQ(of(program, p::Group::tp, p::Transfer::reduce_scatter).bytes,
            of(plain, p::Group::tp, p::Transfer::reduce_scatter).bytes);
  // An allgather of b s h B moves (t - 1) / t of it from every rank, as the ring's t - 1 blocks do.
  const Tally gathered = of(plain, p::Group::tp, p::Transfer::allgather);
  EXPECT_EQ(of(program, p::Group::tp, p::Transfer::exchange).bytes * 4 / 3,
            gathered.bytes - of(program, p::Group::tp, p::Transfer::allgather).bytes);
  double flops = 0, plain_flops = 0;
  for (const auto& op : program.ops) flops += op.flops;
  for (const auto& op : plain.ops) plain_flops += op.flops;
  EXPECT_NEAR(flops, plain_flops, 1e-9 * plain_flops);
}

TEST(TensorParallel, TheEmbeddingTheLogitsAndTheCrossEntropyReduceOverTensorRanksToo) {
  // Per microbatch, Megatron-LM: the vocabulary-parallel embedding's output allreduced (reduce-
  // scattered with SP, its gradient allgathered); the column-parallel output layer's input gathered
  // with SP, and its backward as QKV's; 3 fp32 allreduces of b s in the cross-entropy.
  constexpr std::uint64_t cross_entropy = 2 * 128 * 4;  // b s fp32 values
  for (const bool sp : {false, true}) {
    auto w = with(tiny(), 1, 2, 1, 3);
    w.layout.sequence_parallel = sp;
    auto program = p::step_program(w, 0);
    std::erase_if(program.ops,
                  [](const p::Op& op) { return op.layer >= 0 || op.microbatch < 0 || op.group != p::Group::tp; });
    const Tally ar = of(program, p::Group::tp, p::Transfer::allreduce);
    const Tally rs = of(program, p::Group::tp, p::Transfer::reduce_scatter);
    const Tally ag = of(program, p::Group::tp, p::Transfer::allgather);
    if (sp) {
      EXPECT_EQ(ar.count, 3 * 3);
      EXPECT_EQ(ar.bytes, 3 * 3 * cross_entropy);
      EXPECT_EQ(rs.count, 2 * 3) << "the embedding's forward, the logits' input gradient";
      EXPECT_EQ(ag.count, 3 * 3) << "the logits' input, its re-gather, the embedding's gradient";
      EXPECT_EQ(ag.bytes, 3 * 3 * activation);
    } else {
      EXPECT_EQ(ar.count, (1 + 3 + 1) * 3) << "the embedding's, the cross-entropy's, the logits' input gradient";
      EXPECT_EQ(ar.bytes, 3 * (2 * activation + 3 * cross_entropy));
      EXPECT_EQ(rs.count + ag.count, 0);
    }
  }
}

TEST(TensorParallel, FullRecomputationReplaysTheForward) {
  auto w = with(tiny(), 1, 2, 1, 2);
  w.layout.recompute = p::Recompute::full;
  const auto program = p::step_program(w, 0);
  EXPECT_EQ(of(layers_only(program), p::Group::tp, p::Transfer::allreduce).count, 6 * 4 * 2);
  double forward = 0, recompute = 0;
  for (const auto& op : program.ops) {
    if (op.kind != p::OpKind::compute || op.layer < 0) continue;
    if (op.phase == p::Phase::forward) forward += op.flops;
    if (op.phase == p::Phase::recompute) recompute += op.flops;
  }
  EXPECT_GT(forward, 0.0);
  EXPECT_DOUBLE_EQ(recompute, forward);
}

TEST(TensorParallel, SelectiveRecomputationReplaysOnlyTheAttentionCore) {
  // Megatron-LM's --recompute-granularity selective checkpoints the core attention: its forward runs
  // again in backward, with no TP traffic (the core sits between the gathers and the reductions).
  auto w = with(tiny(), 1, 2, 1, 2);
  const auto plain = p::step_program(w, 0);
  w.layout.recompute = p::Recompute::selective;
  const auto program = p::step_program(w, 0);
  EXPECT_EQ(of(layers_only(program), p::Group::tp, p::Transfer::allreduce).count, 4 * 4 * 2);
  double recompute = 0, extra = 0;
  for (const auto& op : program.ops) {
    if (op.kind == p::OpKind::compute && op.phase == p::Phase::recompute) recompute += op.flops;
  }
  for (const auto& op : program.ops) extra += op.kind == p::OpKind::compute ? op.flops : 0.0;
  for (const auto& op : plain.ops) extra -= op.kind == p::OpKind::compute ? op.flops : 0.0;
  // Each layer's attention core once more per microbatch: tokens x its FLOPs per token / t.
  const double core = 2 * 128 * w.model.attention_core_flops_per_token() / 2;
  EXPECT_DOUBLE_EQ(recompute, 4 * 2 * core);
  EXPECT_NEAR(extra, recompute, 1e-6 * recompute);

  // Under CP the recomputed core runs its ring again: c - 1 more K, V exchanges per layer.
  auto cp = with(tiny(), 1, 1, 1, 2, 2);
  const int plain_cp = of(p::step_program(cp, 0), p::Group::cp, p::Transfer::exchange).count;
  cp.layout.recompute = p::Recompute::selective;
  EXPECT_EQ(of(p::step_program(cp, 0), p::Group::cp, p::Transfer::exchange).count, plain_cp + 4 * 2 * 1);
}

TEST(PipelineParallel, ActivationsForwardAndGradientsBackwardPerMicrobatch) {
  const auto w = with(tiny(), 1, 1, 2, 4);
  for (int stage = 0; stage < 2; ++stage) {
    const auto program = p::step_program(w, stage);
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::send).count, 4) << "stage " << stage;
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::recv).count, 4) << "stage " << stage;
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::send).bytes, 4 * activation);
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::allreduce).count, 1) << "the stages meet once per step";
    for (const auto& op : program.ops) {
      if (op.transfer == p::Transfer::send && op.kind == p::OpKind::start) {
        EXPECT_EQ(op.peer, 1 - stage);
        EXPECT_EQ(op.tag % 2, stage == 0 ? 0 : 1) << "activations even, gradients odd";
      }
    }
  }
}

// Megatron-LM with sequence parallelism sends each rank's sequence part between stages: b s h B / t.
TEST(PipelineParallel, OneFOneBWaitsEachSendAsMegatronsP2pCallsDo) {
  // send_forward_recv_backward and send_backward_recv_forward wait the send with the receive of the
  // next action, which goes the other way; warm-up's send_forward and cool-down's send_backward wait it
  // alone. No compute runs between a send and its wait, and no send is left for the step's end.
  for (const auto schedule : {p::Schedule::one_f_one_b, p::Schedule::gpipe}) {
    auto w = with(tiny(), 1, 1, 4, 8);
    w.layout.schedule = schedule;
    for (int stage = 0; stage < 4; ++stage) {
      const auto program = p::step_program(w, stage);
      std::map<int, std::size_t> started;
      int alone = 0, batched = 0;
      for (std::size_t i = 0; i < program.ops.size(); ++i) {
        const auto& op = program.ops[i];
        if (op.transfer != p::Transfer::send) continue;
        if (op.kind == p::OpKind::start) started[op.slot] = i;
        if (op.kind != p::OpKind::wait) continue;
        EXPECT_NE(op.phase, p::Phase::sync) << "stage " << stage;
        const std::size_t start = started.at(op.slot);
        for (std::size_t j = start + 1; j < i; ++j) EXPECT_NE(program.ops[j].kind, p::OpKind::compute);
        const auto& before = program.ops[i - 1];
        if (i == start + 1) {
          ++alone;
        } else {
          EXPECT_EQ(before.transfer, p::Transfer::recv);
          EXPECT_NE(before.tag % 2, op.tag % 2) << "paired with a receive of the other direction";
          ++batched;
        }
      }
      if (schedule == p::Schedule::one_f_one_b && stage == 1) {
        // Stage 1 of 4: 2 warm-up forwards, 6 steady pairs, 2 cool-down backwards.
        EXPECT_EQ(batched, 6 + 5) << "the steady forwards' sends, and the backwards' but the last";
        EXPECT_EQ(alone, 2 + 1 + 2);
      }
      EXPECT_EQ(alone + batched, 16 - (stage == 0 || stage == 3 ? 8 : 0)) << "stage " << stage;
    }
  }
}

TEST(PipelineParallel, SequenceParallelSendsEachRanksPartOfTheActivations) {
  auto w = with(tiny(), 1, 2, 2, 4);
  w.layout.sequence_parallel = true;
  for (int stage = 0; stage < 2; ++stage) {
    const auto program = p::step_program(w, stage);
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::send).bytes, 4 * activation / 2) << "stage " << stage;
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::recv).bytes, 4 * activation / 2) << "stage " << stage;
  }
  w.layout.sequence_parallel = false;
  EXPECT_EQ(of(p::step_program(w, 0), p::Group::pp, p::Transfer::send).bytes, 4 * activation);
}

TEST(PipelineParallel, InterleavedSendsBetweenEveryVirtualStage) {
  auto w = with(tiny(), 1, 1, 2, 4);
  w.layout.schedule = p::Schedule::interleaved;
  w.layout.virtual_stages = 2;
  for (int stage = 0; stage < 2; ++stage) {
    const auto program = p::step_program(w, stage);
    // 4 virtual stages: 3 boundaries, each crossed by 4 activations and 4 gradients; each stage
    // sends across 3 of the 6 (boundary, direction) pairs.
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::send).count, 12) << "stage " << stage;
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::recv).count, 12) << "stage " << stage;
  }
}

TEST(PipelineParallel, LayersSplitOverStagesWithEmbeddingFirstAndLogitsLast) {
  const auto w = with(tiny(), 1, 1, 4, 4);
  for (int stage = 0; stage < 4; ++stage) {
    std::set<int> layers;
    bool logits = false;
    for (const auto& op : p::step_program(w, stage).ops) {
      if (op.kind != p::OpKind::compute || op.phase != p::Phase::forward) continue;
      if (op.layer >= 0) layers.insert(op.layer);
      if (op.layer < 0) logits = true;
    }
    EXPECT_EQ(layers, std::set<int>{stage});
    EXPECT_EQ(logits, stage == 3);
  }
  EXPECT_GT(p::gradient_bytes(w, 0), p::gradient_bytes(w, 1)) << "the embedding is on the first stage";
}

TEST(ExpertParallel, TwoAllToAllsForwardAndTwoBackwardPerMoELayer) {
  auto w = with(tiny("tiny-moe"), 4, 1, 1, 1);
  w.layout.ep = 2;
  const auto program = p::step_program(w, 0);
  const Tally a2a = of(program, p::Group::ep, p::Transfer::alltoall);
  EXPECT_EQ(a2a.count, 4 * 4);
  EXPECT_EQ(a2a.bytes, 16u * 2 * 128 * 2 * 256 * 2) << "b s k h B per rank";
  // Expert gradients reduce over the ranks holding the same experts: half of them per rank.
  const auto& m = w.model;
  EXPECT_EQ(of(program, p::Group::dp, p::Transfer::allreduce, true).bytes,
            static_cast<std::uint64_t>(m.layers) * (m.experts / 2) * m.mlp_matmul_parameters() * 2);
}

TEST(GroupsOfOneRank, IssueNothingAndTheirWaitsAndSlotsGoWithThem) {
  // dp 1: no gradient reduction (ZeRO-1 neither its gather); the pipeline's ops stay, and every wait
  // names a slot a start opened.
  for (const int zero : {0, 1}) {
    auto w = with(tiny(), 1, 2, 2, 2);
    w.layout.zero_stage = zero;
    const auto program = p::step_program(w, 0);
    for (const auto& [key, entry] : tally(program)) EXPECT_NE(std::get<0>(key), p::Group::dp) << "zero " << zero;
    EXPECT_EQ(of(program, p::Group::pp, p::Transfer::send).count, 2);
    std::set<int> opened;
    int starts = 0;
    for (const auto& op : program.ops) {
      if (op.kind == p::OpKind::start) opened.insert(op.slot), ++starts;
      if (op.kind == p::OpKind::wait) {
        EXPECT_TRUE(opened.count(op.slot)) << "wait on slot " << op.slot;
      }
    }
    EXPECT_EQ(program.slots, starts);
    EXPECT_EQ(static_cast<int>(opened.size()), starts);
    // The compute the buckets would have cut is one span per layer and phase again.
    for (std::size_t i = 0; i + 1 < program.ops.size(); ++i) {
      const auto &a = program.ops[i], &b = program.ops[i + 1];
      EXPECT_FALSE(a.kind == p::OpKind::compute && b.kind == p::OpKind::compute && a.phase == b.phase &&
                   a.microbatch == b.microbatch && a.layer == b.layer)
          << "op " << i;
    }
  }
  // ep = dp: every rank holds its own experts, whose gradients are whole; the dense ones still reduce.
  auto moe = with(tiny("tiny-moe"), 2, 1, 1, 1);
  moe.layout.ep = 2;
  const auto program = p::step_program(moe, 0);
  EXPECT_EQ(of(program, p::Group::dp, p::Transfer::allreduce, true).count, 0);
  EXPECT_GT(of(program, p::Group::dp, p::Transfer::allreduce, false).count, 0);
  EXPECT_EQ(of(program, p::Group::ep, p::Transfer::alltoall).count, 4 * 4);
}

TEST(PipelineParallel, TiedEmbeddingsAllreduceTheirGradientBetweenTheFirstAndLastStage) {
  // Megatron-LM's finalize_model_grads: after the DP sync, the first stage's word embedding and the
  // last stage's copy allreduce their gradient (V h / t elements) over the embedding group, blocking.
  for (const int pp : {2, 4}) {
    auto w = with(tiny(), 1, 2, pp, pp);
    w.model.tied_embeddings = true;
    w.gradient_type = scaleout::comm::ElementType::fp32;
    for (int stage = 0; stage < pp; ++stage) {
      const auto program = p::step_program(w, stage);
      int count = 0;
      std::uint64_t bytes = 0;
      for (const auto& op : program.ops) {
        if (!op.embedding) continue;
        EXPECT_EQ(op.kind, p::OpKind::blocking);
        EXPECT_EQ(op.phase, p::Phase::sync);
        EXPECT_EQ(op.group, p::Group::pp);
        EXPECT_EQ(p::channel_of(op), p::Channel::embedding);
        ++count, bytes += op.bytes;
      }
      const bool holds = stage == 0 || stage == pp - 1;
      EXPECT_EQ(count, holds ? 1 : 0) << "pp " << pp << " stage " << stage;
      EXPECT_EQ(bytes, holds ? 1024u * 256 / 2 * 4 : 0u) << "pp " << pp << " stage " << stage;
    }
    // The embedding group: the same dp, tp and cp position on the first and the last stage.
    EXPECT_EQ(p::members(w.layout, 1, p::Channel::embedding), (std::vector<int>{1, 1 + 2 * (pp - 1)}));
  }
  // Untied, or in one stage: none.
  auto untied = with(tiny(), 1, 1, 2, 2);
  for (const auto& op : p::step_program(untied, 0).ops) EXPECT_FALSE(op.embedding);
  auto single = with(tiny(), 2, 1, 1, 1);
  single.model.tied_embeddings = true;
  for (const auto& op : p::step_program(single, 0).ops) EXPECT_FALSE(op.embedding);
}

TEST(ExpertParallel, WithTensorRanksTheDispatcherGathersTheRoutedTokensNotTheLayersInput) {
  // Megatron's alltoall dispatcher with expert TP = TP 2 and sequence parallelism: per MoE layer and
  // pass an all-to-all over EP, an allgather of the b s k h B routed tokens over TP, the experts, a
  // reduce-scatter, an all-to-all; the attention block keeps its allgather and reduce-scatter.
  auto w = with(tiny("tiny-moe"), 2, 2, 1, 1);
  w.layout.ep = 2;
  w.layout.sequence_parallel = true;
  const auto program = layers_only(p::step_program(w, 0));
  const std::uint64_t routed = 2u * 128 * 2 * 256 * 2;  // b s k h B
  const std::uint64_t dense = 2u * 128 * 256 * 2;       // b s h B
  const Tally ag = of(program, p::Group::tp, p::Transfer::allgather);
  const Tally rs = of(program, p::Group::tp, p::Transfer::reduce_scatter);
  // Forward: attention AG + RS, MoE AG + RS; backward: the same and the column-parallel QKV's re-gather.
  EXPECT_EQ(ag.count, 4 * (2 + 3));
  EXPECT_EQ(ag.bytes, 4 * (2 * routed + 3 * dense));
  EXPECT_EQ(rs.count, 4 * (2 + 2));
  EXPECT_EQ(rs.bytes, 4 * (2 * routed + 2 * dense));
  EXPECT_EQ(of(program, p::Group::ep, p::Transfer::alltoall).count, 4 * 4);
}

TEST(ContextParallel, RingExchangesAroundEveryAttention) {
  const auto w1 = with(tiny(), 1, 1, 1, 1);
  const auto w2 = with(tiny(), 1, 1, 1, 1, 2);
  const auto program = p::step_program(w2, 0);
  const Tally ring = of(program, p::Group::cp, p::Transfer::exchange);
  // Per layer: forward cp - 1 = 1 exchange of K and V; backward K and V, then the dK and dV the last
  // step made, sent after it (TransformerEngine's ring backward): 3 exchanges of one block each, a
  // block being the rank's K and V: b (s/cp) 2 kv_heads d B.
  const std::uint64_t block = 2u * 64 * 2 * 2 * 64 * 2;
  EXPECT_EQ(ring.count, 3 * 4);
  EXPECT_EQ(ring.bytes, 3 * 4 * block);
  // cp 4: forward 3 exchanges of a block; backward 4 exchanges of 1, 2, 2 and 1 blocks: 2 (c - 1).
  const Tally four = of(p::step_program(with(tiny(), 1, 1, 1, 1, 4), 0), p::Group::cp, p::Transfer::exchange);
  EXPECT_EQ(four.count, (3 + 4) * 4);
  EXPECT_EQ(four.bytes, (3 + 6) * 4 * block / 2);
  double c1 = 0, c2 = 0;
  for (const auto& op : p::step_program(w1, 0).ops) c1 += op.phase == p::Phase::forward ? op.flops : 0;
  for (const auto& op : program.ops) c2 += op.phase == p::Phase::forward ? op.flops : 0;
  EXPECT_DOUBLE_EQ(c2, c1 / 2) << "each rank computes half the sequence";
}

TEST(StepProgram, FlopsOfEveryLayoutAddUpToTheModel) {
  struct Case {
    const char* model;
    int dp, tp, pp, cp, ep;
    std::int64_t vocab = 0;  // 0: the model's
  };
  // A vocabulary of 1000 is padded to 1024 (Megatron-LM's multiple of 128 x tp): the logits of the
  // padding are computed and counted alike.
  for (const Case c :
       {Case{"tiny", 4, 1, 1, 1, 1}, Case{"tiny", 1, 2, 2, 1, 1}, Case{"tiny", 1, 1, 4, 2, 1},
        Case{"tiny", 2, 4, 1, 2, 1}, Case{"tiny-moe", 4, 1, 2, 1, 2}, Case{"tiny", 1, 2, 2, 1, 1, 1000}}) {
    // (With TP, MoE ranks each run the small router on all their tokens, as Megatron-LM does without
    // sequence parallelism: the job computes it tp times.)
    auto w = with(tiny(c.model), c.dp, c.tp, c.pp, 4, c.cp);
    w.layout.ep = c.ep;
    if (c.vocab > 0) w.model.vocab = c.vocab;
    double job = 0;
    for (int stage = 0; stage < c.pp; ++stage) {
      for (const auto& op : p::step_program(w, stage).ops) {
        if (op.phase == p::Phase::forward || op.phase == p::Phase::backward) job += op.flops;
      }
    }
    job *= c.dp * c.tp * c.cp;
    EXPECT_NEAR(job / w.flops_per_step(), 1.0, 1e-9) << c.model << " dp " << c.dp << " tp " << c.tp << " pp " << c.pp;
  }
}

TEST(StepProgram, SplitTransfersAreWholeElementsPerRank) {
  auto w = with(tiny("tiny-moe"), 6, 2, 1, 1);
  w.layout.ep = 2;
  w.layout.zero_stage = 1;
  w.layout.sequence_parallel = true;
  for (const auto& op : p::step_program(w, 0).ops) {
    const int ranks = op.group == p::Group::tp ? 2 : op.group == p::Group::ep ? 2 : op.expert ? 3 : 6;
    if (op.transfer == p::Transfer::reduce_scatter || op.transfer == p::Transfer::allgather ||
        op.transfer == p::Transfer::alltoall) {
      EXPECT_EQ(op.bytes % (2u * static_cast<unsigned>(ranks)), 0u) << p::to_string(op.transfer);
    }
  }
}
