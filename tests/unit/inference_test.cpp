// Serving programs and memory against hand-computed cases (docs/inference.md): Llama-3 70B on tp 8,
// 32 sequences of a 4,096-token prompt and 1,024 output tokens; PP and EP shapes on small models.
#include <gtest/gtest.h>

#include "parallelism/inference.hpp"

namespace p = scaleout::parallelism;

namespace {

p::Workload serving(const char* model, int tp, int pp, int sequences, std::int64_t prompt, std::int64_t output,
                    int ep = 1) {
  p::Workload w;
  w.model = *p::find_model_preset(model);
  w.device = *p::find_device_preset("h100-sxm");
  w.layout.tp = tp, w.layout.pp = pp, w.layout.ep = ep, w.layout.dp = ep;
  w.inference = p::Inference{sequences, prompt, output, 2.0};
  return w;
}

struct Count {
  int compute = 0, allreduce = 0, sends = 0, recvs = 0, alltoall = 0, allgather = 0;
  std::uint64_t allreduce_bytes = 0, pp_bytes = 0, allgather_bytes = 0;
  double flops = 0, memory = 0, seconds = 0;
};
Count count(const p::Program& program) {
  Count c;
  for (const auto& op : program.ops) {
    if (op.kind == p::OpKind::compute) {
      ++c.compute, c.flops += op.flops, c.memory += op.memory_bytes, c.seconds += op.seconds;
    } else if (op.kind != p::OpKind::wait) {
      if (op.transfer == p::Transfer::allreduce) ++c.allreduce, c.allreduce_bytes += op.bytes;
      if (op.transfer == p::Transfer::send) ++c.sends, c.pp_bytes += op.bytes;
      if (op.transfer == p::Transfer::recv) ++c.recvs, c.pp_bytes += op.bytes;
      if (op.transfer == p::Transfer::alltoall) ++c.alltoall;
      if (op.transfer == p::Transfer::allgather) ++c.allgather, c.allgather_bytes += op.bytes;
    }
  }
  return c;
}

// Llama-3 70B by hand: h 8192, 80 layers, 8 kv heads of 128, MLP 28,672, vocabulary 128,256.
constexpr double h = 8192, layers = 80, vocab = 128256;
constexpr double attention_params = h * h + 2 * h * 8 * 128 + h * h;  // q, k v (GQA), o: 150,994,944
constexpr double mlp_params = 3 * h * 28672;                          // 704,643,072
constexpr double kv_per_layer_token = 2 * 1 * 128 * 2;                // K and V of one kv head per rank, bf16

}  // namespace

TEST(Decode, Llama3_70bTp8OpCountsAndBytes) {
  const auto w = serving("llama3-70b", 8, 1, 32, 4096, 1024);
  const std::int64_t context = p::decode_context(*w.inference, 1024);
  EXPECT_EQ(context, 4096 + 1023);
  const auto program = p::decode_program(w, 0, context);
  const Count c = count(program);
  // The embedding's allreduce; per layer: attention span, allreduce, MLP span, allreduce; then the
  // logits span and their allgather (vLLM's).
  EXPECT_EQ(program.ops.size(), 1 + 80u * 4 + 2);
  EXPECT_EQ(c.compute, 80 * 2 + 1);
  EXPECT_EQ(c.allreduce, 1 + 160);
  EXPECT_EQ(c.allreduce_bytes, 161ull * 32 * 8192 * 2);  // b h B each: 512 KiB
  EXPECT_EQ(c.allgather, 1);
  EXPECT_EQ(c.allgather_bytes, 32ull * 128256 * 2);  // the logits of 32 positions, bf16: 8.2 MB gathered
  EXPECT_EQ(c.sends + c.recvs, 0);
  // Bytes read: every weight once (attention and MLP split over 8, norms whole, the head split),
  // and the KV cache of 32 sequences x 5,119 tokens.
  const double weights = 2 * (layers * ((attention_params + mlp_params) / 8 + 2 * h) + vocab * h / 8);
  const double kv = layers * 32 * 5119 * kv_per_layer_token;
  EXPECT_DOUBLE_EQ(c.memory, weights + kv);
  // FLOPs: 2 per weight per token, the attention over the context, the logits of 32 positions.
  const double flops = 32 * (layers * (2 * (attention_params + mlp_params) / 8 + 4 * 5119 * h / 8) + 2 * h * vocab / 8);
  EXPECT_NEAR(c.flops, flops, flops * 1e-12);
  // Memory-bound: every span lasts its bytes over the bandwidth.
  EXPECT_NEAR(c.seconds, (weights + kv) / 3.35e12, 1e-9);
  EXPECT_NEAR(c.seconds, 7.22e-3, 0.05e-3);
}

TEST(Decode, KvCacheReadGrowsWithEveryToken) {
  const auto w = serving("llama3-70b", 8, 1, 32, 4096, 1024);
  const Count first = count(p::decode_program(w, 0, p::decode_context(*w.inference, 2)));
  const Count next = count(p::decode_program(w, 0, p::decode_context(*w.inference, 3)));
  EXPECT_DOUBLE_EQ(next.memory - first.memory, layers * 32 * kv_per_layer_token);
  EXPECT_EQ(next.allreduce_bytes, first.allreduce_bytes);
}

TEST(Prefill, Llama3_70bTp8IsComputeBoundWithLargeAllreduces) {
  const auto w = serving("llama3-70b", 8, 1, 32, 4096, 1024);
  const auto program = p::prefill_program(w, 0);
  const Count c = count(program);
  EXPECT_EQ(program.ops.size(), 1 + 80u * 4 + 2);
  EXPECT_EQ(c.allreduce, 1 + 160);
  EXPECT_EQ(c.allreduce_bytes, 161ull * 32 * 4096 * 8192 * 2);  // b s h B each: 2 GiB
  EXPECT_EQ(c.allgather_bytes, 32ull * 128256 * 2) << "only the last positions' logits";
  // Training's forward FLOPs of 131,072 tokens over a 4,096-token context, causal (a flash kernel
  // computes half of the 4 s h of scores and values), split over 8; the logits of the last position
  // of each sequence.
  const double tokens = 32.0 * 4096;
  const double flops =
      (tokens * layers * (2 * (attention_params + mlp_params) + 4 * 4096 * h / 2) + 32 * 2 * h * vocab) / 8;
  EXPECT_NEAR(c.flops, flops, flops * 1e-12);
  EXPECT_NEAR(c.seconds, c.flops / (989e12 * 0.4), c.seconds * 1e-3);  // compute-bound
}

TEST(ServingMemory, Llama3_70bTp8FitsAnH100) {
  const auto w = serving("llama3-70b", 8, 1, 32, 4096, 1024);
  const p::ServingMemory m = p::serving_memory(w);
  EXPECT_DOUBLE_EQ(m.weights, 2.0 * 8820367360.0);            // parameters per device, bf16
  EXPECT_DOUBLE_EQ(m.kv_per_token, 80 * kv_per_layer_token);  // 40,960 bytes
  EXPECT_DOUBLE_EQ(m.kv_cache, 32.0 * 5120 * 40960);          // 6.71 GB
  EXPECT_TRUE(m.fits());
  EXPECT_EQ(m.most_sequences, 323);     // (81559 MiB - weights) / (5,120 x 40,960)
  EXPECT_EQ(m.longest_context, 51788);  // (81559 MiB - weights) / (32 x 40,960)
  EXPECT_EQ(p::serving_memory_verdict(m, w).rfind("fits: 17.6 GB of weights + 6.7 GB of KV cache", 0), 0u);
}

TEST(ServingMemory, SaysWhatDoesNotFit) {
  auto w = serving("llama3-70b", 2, 1, 256, 8192, 8192);
  const p::ServingMemory m = p::serving_memory(w);
  EXPECT_FALSE(m.fits());
  EXPECT_LT(m.most_sequences, 256);
  EXPECT_NE(p::serving_memory_verdict(m, w).find("does not fit"), std::string::npos);
  w.layout.tp = 1;  // 141 GB of weights
  const auto alone = p::serving_memory(w);
  EXPECT_EQ(alone.most_sequences, 0);
  EXPECT_NE(p::serving_memory_verdict(alone, w).find("the weights alone"), std::string::npos);
}

TEST(ServingMemory, KvHeadsAreReplicatedWhenTpExceedsThem) {
  const auto w = serving("llama3-70b", 16, 1, 1, 16, 16);
  EXPECT_DOUBLE_EQ(p::kv_bytes_per_token(w), 80 * kv_per_layer_token);  // still one head each
}

TEST(Decode, PipelineStagesPassBhBForward) {
  const auto w = serving("tiny", 2, 2, 8, 64, 16);
  const auto first = count(p::decode_program(w, 0, 70));
  const auto last = count(p::decode_program(w, 1, 70));
  EXPECT_EQ(first.sends, 1);
  EXPECT_EQ(first.recvs, 0);
  EXPECT_EQ(last.sends, 0);
  EXPECT_EQ(last.recvs, 1);
  EXPECT_EQ(first.pp_bytes, 8u * 256 * 2);  // b h B
  EXPECT_EQ(first.allreduce, 1 + 2 * 2);    // the embedding's, 2 layers per stage
  EXPECT_EQ(last.allreduce, 2 * 2);
  EXPECT_EQ(first.allgather + 1, last.allgather) << "the logits, on the last stage";
  EXPECT_EQ(last.compute, 2 * 2 + 1);  // the logits on the last stage only
  const auto prefill = count(p::prefill_program(w, 0));
  EXPECT_EQ(prefill.pp_bytes, 8u * 64 * 256 * 2);  // b s h B
}

TEST(Decode, ExpertParallelismSplitsTheSequences) {
  const auto w = serving("tiny-moe", 1, 1, 8, 32, 4, 2);
  EXPECT_EQ(p::local_sequences(w), 4);
  const auto c = count(p::decode_program(w, 0, 40));
  EXPECT_EQ(c.alltoall, 4 * 2);  // dispatch and combine in each of 4 layers
  EXPECT_EQ(c.allreduce, 0);
}
