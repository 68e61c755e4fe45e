#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "parallelism/memory.hpp"
#include "parallelism/step_program.hpp"
#include "parallelism/workload.hpp"

namespace p = scaleout::parallelism;

namespace {
p::Workload tiny_workload(int microbatches, bool overlap, double bucket_mb) {
  p::Workload w;
  w.model = *p::find_model_preset("tiny");
  w.device = *p::find_device_preset("h100-sxm");
  w.layout.dp = 4;
  w.micro_batch = 2;
  w.global_batch = 2 * 4 * microbatches;
  w.bucket_mb = bucket_mb;
  w.overlap = overlap;
  return w;
}
// Seconds of one microbatch's forward (layers, logits) and backward, and of the optimizer, from the
// model's own figures: what the program's spans must add up to.
struct Expected {
  double forward, backward, optimizer;
};
Expected expected_seconds(const p::Workload& w) {
  const auto& m = w.model;
  const double tokens = static_cast<double>(w.tokens_per_microbatch());
  const double layer = w.device.seconds(tokens * m.layer_forward_flops_per_token(), 2.0 * m.layer_parameters());
  const double logits = w.device.seconds(tokens * m.logits_forward_flops_per_token(), 2.0 * m.vocab * m.hidden);
  const double backward_layer =
      w.device.seconds(2 * tokens * m.layer_forward_flops_per_token(), 4.0 * m.layer_parameters());
  const double backward_logits =
      w.device.seconds(2 * tokens * m.logits_forward_flops_per_token(), 4.0 * m.vocab * m.hidden);
  const auto psi = static_cast<double>(m.parameters());
  return {m.layers * layer + logits, m.layers * backward_layer + backward_logits,
          w.device.seconds(12 * psi, (28 + 2) * psi)};
}
}  // namespace

TEST(DataParallelStep, EveryGradientByteIsReducedOnceInBuckets) {
  const auto w = tiny_workload(3, true, 1.0);
  const auto program = p::step_program(w, 0);
  const std::uint64_t total = p::gradient_bytes(w, 0);
  EXPECT_EQ(total, 3426560u * 2);
  EXPECT_EQ(program.slots, static_cast<int>((total + (1 << 20) - 1) >> 20));
  std::map<int, int> starts, waits;
  std::uint64_t started_bytes = 0;
  for (const auto& op : program.ops) {
    if (op.kind == p::OpKind::start) {
      ++starts[op.slot];
      started_bytes += op.bytes;
      EXPECT_EQ(op.microbatch, 2) << "buckets are reduced in the last microbatch's backward only";
      EXPECT_EQ(op.group, p::Group::dp);
      EXPECT_EQ(op.bytes % 2, 0u);
    }
    if (op.kind == p::OpKind::wait) ++waits[op.slot];
  }
  EXPECT_EQ(started_bytes, total);
  for (int k = 0; k < program.slots; ++k) {
    EXPECT_EQ(starts[k], 1) << k;
    EXPECT_EQ(waits[k], 1) << k;
  }
}

TEST(DataParallelStep, BucketsStartWhenBackwardHasProducedThem) {
  // Backward runs the logits, then the layers in reverse, each producing its gradients evenly over
  // its span; the embedding's gradients are ready at the end. Bucket k must start exactly when
  // (k+1) buckets of gradient bytes are ready.
  const auto w = tiny_workload(1, true, 0.5);
  const auto& m = w.model;
  const double tokens = static_cast<double>(w.tokens_per_microbatch());
  struct Segment {
    double seconds, bytes;
  };
  std::vector<Segment> segments = {
      {w.device.seconds(2 * tokens * m.logits_forward_flops_per_token(), 4.0 * static_cast<double>(m.vocab * m.hidden)),
       2.0 * static_cast<double>(m.head_parameters() + m.final_norm_parameters())}};
  for (int layer = 0; layer < m.layers; ++layer) {
    segments.push_back({w.device.seconds(2 * tokens * m.layer_forward_flops_per_token(),
                                         4.0 * static_cast<double>(m.layer_parameters())),
                        2.0 * static_cast<double>(m.layer_parameters())});
  }
  segments.push_back({0.0, 2.0 * static_cast<double>(m.embedding_parameters())});
  const auto seconds_when_ready = [&](double bytes) {
    double done = 0;
    for (const auto& segment : segments) {
      if (bytes <= segment.bytes) return done + segment.seconds * bytes / segment.bytes;
      bytes -= segment.bytes;
      done += segment.seconds;
    }
    return done;
  };

  const auto program = p::step_program(w, 0);
  double done = 0;
  int started = 0;
  for (const auto& op : program.ops) {
    if (op.kind == p::OpKind::compute && op.phase == p::Phase::backward) done += op.seconds;
    if (op.kind != p::OpKind::start) continue;
    const double ready = std::min(static_cast<double>(op.slot + 1) * static_cast<double>(w.bucket_bytes()),
                                  static_cast<double>(p::gradient_bytes(w, 0)));
    EXPECT_NEAR(done, seconds_when_ready(ready), 1e-12) << "bucket " << op.slot;
    EXPECT_EQ(op.slot, started++) << "buckets start in stream order";
  }
  EXPECT_EQ(started, program.slots);
  EXPECT_NEAR(done, expected_seconds(w).backward, 1e-12);
}

TEST(DataParallelStep, ComputeAddsUpToTheWorkload) {
  const auto w = tiny_workload(3, true, 1.0);
  const auto program = p::step_program(w, 0);
  const Expected e = expected_seconds(w);
  const double expected = 3 * (e.forward + e.backward) + e.optimizer;
  EXPECT_NEAR(program.compute_seconds(), expected, expected * 1e-9);
}

TEST(DataParallelStep, WithoutOverlapBucketsAreBlockingAfterBackward) {
  const auto w = tiny_workload(2, false, 1.0);
  const auto program = p::step_program(w, 0);
  bool backward_done = false;
  int blocking = 0;
  for (const auto& op : program.ops) {
    EXPECT_NE(op.kind, p::OpKind::start);
    if (op.kind == p::OpKind::blocking) {
      ++blocking;
      backward_done = true;
    } else if (backward_done) {
      EXPECT_EQ(op.phase, p::Phase::optimizer);
    }
  }
  EXPECT_EQ(program.slots, 0) << "nothing in flight";
  const std::uint64_t cap = w.bucket_bytes();
  EXPECT_EQ(blocking, static_cast<int>((p::gradient_bytes(w, 0) + cap - 1) / cap));
}

TEST(DataParallelStep, SummaryCountsEachOperationOnce) {
  const auto w = tiny_workload(1, true, 1.0);
  const auto summary = p::summarize_communication(p::step_program(w, 0));
  ASSERT_EQ(summary.size(), 2u);  // full buckets, and the last, smaller one
  EXPECT_EQ(summary[0].op.bytes, 1u << 20);
  EXPECT_EQ(summary[0].count_per_step + summary[1].count_per_step, p::step_program(w, 0).slots);
  EXPECT_EQ(summary[0].op.bytes * static_cast<std::uint64_t>(summary[0].count_per_step) + summary[1].op.bytes,
            p::gradient_bytes(w, 0));
}

TEST(Memory, Llama2_7bFollowsTheMixedPrecisionRule) {
  p::Workload w = tiny_workload(1, true, 25);
  w.model = *p::find_model_preset("llama2-7b");
  const auto memory = p::memory_per_device(w);
  const double psi = 6738415616.0;
  EXPECT_DOUBLE_EQ(memory.parameters, 2 * psi);
  EXPECT_DOUBLE_EQ(memory.gradients, 2 * psi);
  EXPECT_DOUBLE_EQ(memory.optimizer_states, 12 * psi);
  // s b h (18 + 4 f/h) per layer with flash attention: 4096 x 2 x 4096 x (18 + 4 x 11008 / 4096) x 32
  // layers, and 5 a s / h = 160 more unfused. Plus the fp32 logits of the microbatch: 4 x 4096 x 2 x 32000.
  const double linear = 18 + 4 * 11008.0 / 4096;
  EXPECT_DOUBLE_EQ(memory.activations, 4096.0 * 2 * 4096 * linear * 32 + 4.0 * 4096 * 2 * 32000);
  w.model.attention = p::AttentionKernel::unfused;
  EXPECT_DOUBLE_EQ(p::memory_per_device(w).activations,
                   4096.0 * 2 * 4096 * (linear + 160) * 32 + 4.0 * 4096 * 2 * 32000);
}

// The executor's payload memory by hand: in_flight buffers of the largest started op (an all-to-all
// needs send and receive halves) and one of the largest blocking op; waits and compute need none.
TEST(Program, LargestTransfersSizeTheExecutorsBuffers) {
  p::Program program;
  const auto op = [](p::OpKind kind, p::Transfer transfer, std::uint64_t bytes) {
    p::Op o;
    o.kind = kind;
    o.transfer = transfer;
    o.bytes = bytes;
    return o;
  };
  program.ops = {op(p::OpKind::compute, p::Transfer::allreduce, 0), op(p::OpKind::start, p::Transfer::allreduce, 1000),
                 op(p::OpKind::start, p::Transfer::alltoall, 600), op(p::OpKind::wait, p::Transfer::allreduce, 1000),
                 op(p::OpKind::blocking, p::Transfer::reduce_scatter, 700)};
  const auto largest = program.largest_transfers();
  EXPECT_EQ(largest.started, 1200u);
  EXPECT_EQ(largest.blocking, 700u);
  EXPECT_EQ(largest.any(), 1200u);
  EXPECT_EQ(largest.buffer_bytes(4), 4 * 1200u + 700u);
  EXPECT_EQ(largest.buffer_bytes(0), 1200u + 700u);  // the executor keeps at least one
}
