// Memory per device under hybrid layouts: parameters split over TP and stages, ZeRO's sharding, and
// the activations the schedule keeps in flight, against hand-computed figures.
#include <gtest/gtest.h>

#include "parallelism/memory.hpp"

namespace p = scaleout::parallelism;

namespace {
// Llama-3 70B, tp 8 x pp 4 on H100, one sequence per microbatch, 4 microbatches.
p::Workload llama3_70b() {
  p::Workload w;
  w.model = *p::find_model_preset("llama3-70b");
  w.device = *p::find_device_preset("h100-sxm");
  w.layout.tp = 8;
  w.layout.pp = 4;
  w.micro_batch = 1;
  w.global_batch = 4;
  return w;
}
constexpr double h = 8192, s = 8192, t = 8;
// q, k and v (8 kv heads of 128), o, SwiGLU, split over TP; two norms whole.
constexpr double layer_per_rank = (h * h + 2 * h * 8 * 128 + h * h + 3 * h * 28672) / t + 2 * h;
// Megatron-LM pads the vocabulary to a multiple of 128 x t: 128256 -> 129024 at t = 8.
constexpr double padded_vocab = 129024;
constexpr double embedding_per_rank = padded_vocab * h / t;
}  // namespace

TEST(MemoryFit, ParametersSplitOverTensorRanksAndStages) {
  const auto w = llama3_70b();
  EXPECT_DOUBLE_EQ(p::rank_parameters(w, 0).dense, 20 * layer_per_rank + embedding_per_rank);
  EXPECT_DOUBLE_EQ(p::rank_parameters(w, 1).dense, 20 * layer_per_rank);
  EXPECT_DOUBLE_EQ(p::rank_parameters(w, 3).dense, 20 * layer_per_rank + embedding_per_rank + h);
  const auto stage0 = p::memory_of_stage(w, 0);
  const double psi = 20 * layer_per_rank + embedding_per_rank;
  EXPECT_DOUBLE_EQ(stage0.parameters, 2 * psi);
  EXPECT_DOUBLE_EQ(stage0.gradients, 2 * psi);
  EXPECT_DOUBLE_EQ(stage0.optimizer_states, 12 * psi);
}

TEST(MemoryFit, OnlyMegatronPadsTheVocabulary) {
  auto w = llama3_70b();
  EXPECT_EQ(w.padded_vocab(), 129024);
  w.layout.tp = 1;
  EXPECT_EQ(w.padded_vocab(), 128256) << "already a multiple of 128";
  w.model.vocab = 50257;  // GPT-3's
  EXPECT_EQ(w.padded_vocab(), 50304);
  w.layout.tp = 8;
  EXPECT_EQ(w.padded_vocab(), 51200);
  w.framework = p::Framework::deepspeed;
  EXPECT_EQ(w.padded_vocab(), 50257);
  w.framework = p::Framework::pytorch;
  EXPECT_EQ(w.padded_vocab(), 50257);
}

TEST(MemoryFit, ActivationsOfTheMicrobatchesInFlight) {
  auto w = llama3_70b();
  // Flash attention keeps no scores. Without sequence parallelism: s b h (10 + (8 + 4 f/h)/t) per layer
  // (f/h = 28672/8192 = 3.5); 1F1B keeps p - s microbatches on stage s.
  const double layer = s * h * (10 + (8 + 4 * 3.5) / t);
  EXPECT_DOUBLE_EQ(p::layer_activation_bytes(w), layer);
  EXPECT_EQ(p::memory_of_stage(w, 0).microbatches_in_flight, 4);
  EXPECT_EQ(p::memory_of_stage(w, 2).microbatches_in_flight, 2);
  EXPECT_DOUBLE_EQ(p::memory_of_stage(w, 0).activations, 4 * 20 * layer);
  EXPECT_DOUBLE_EQ(p::memory_of_stage(w, 3).activations, 1 * 20 * layer + 4 * s * padded_vocab / t);
  EXPECT_FALSE(p::memory_per_device(w).total() <= w.device.memory_bytes) << "four 8k microbatches do not fit";

  // An unfused attention keeps the scores too: 5 a s / (h t) more per layer.
  auto unfused = w;
  unfused.model.attention = p::AttentionKernel::unfused;
  const double scored = s * h * (10 + (8 + 4 * 3.5) / t + 5 * 64 * s / (h * t));
  EXPECT_DOUBLE_EQ(p::layer_activation_bytes(unfused), scored);

  // Selective recomputation computes the scores again in backward: Korthikanti's 34 s b h / t with
  // sequence parallelism (18 + 4 f/h with this MLP), what a fused kernel keeps.
  auto selective = unfused;
  selective.layout.recompute = p::Recompute::selective;
  EXPECT_DOUBLE_EQ(p::layer_activation_bytes(selective), layer);
  selective.layout.sequence_parallel = true;
  EXPECT_DOUBLE_EQ(p::layer_activation_bytes(selective), s * h * (18 + 4 * 3.5) / t);

  // Sequence parallelism and full recomputation keep 2 s b h / t per layer, and one whole layer.
  unfused.layout.sequence_parallel = true;
  unfused.layout.recompute = p::Recompute::full;
  const double kept = 2 * s * h / t, whole = s * h * ((18 + 4 * 3.5) / t + 5 * 64 * s / (h * t));
  EXPECT_DOUBLE_EQ(p::memory_of_stage(unfused, 0).activations, 4 * 20 * kept + whole);
  EXPECT_TRUE(p::memory_per_device(unfused).total() <= unfused.device.memory_bytes);
}

TEST(MemoryFit, Llama3_8bAtEightThousandTokensHoldsWhatMegatronsEstimatorSays) {
  // Megatron-LM's megatron/training/theoretical_memory_usage.py: s b h (18 + 4 f/h) per layer with a
  // fused attention; the unfused count would be 11x that (354 GiB a device).
  p::Workload w;
  w.model = *p::find_model_preset("llama3-8b");
  w.device = *p::find_device_preset("h100-sxm");
  w.micro_batch = 1;
  w.global_batch = 1;
  const double megatron = 8192.0 * 1 * 4096 * (18 + 4 * 14336.0 / 4096);
  EXPECT_NEAR(p::layer_activation_bytes(w) / megatron, 1.0, 0.2);
  EXPECT_DOUBLE_EQ(p::layer_activation_bytes(w), megatron);
  w.model.attention = p::AttentionKernel::unfused;
  EXPECT_GT(p::layer_activation_bytes(w) / megatron, 10.0);
}

TEST(MemoryFit, ZeroShardsOptimizerThenGradientsThenParameters) {
  p::Workload w;
  w.model = *p::find_model_preset("llama2-7b");
  w.device = *p::find_device_preset("h100-sxm");
  w.layout.dp = 8;
  w.global_batch = 8;
  const double psi = static_cast<double>(w.model.parameters());
  const double layer = static_cast<double>(w.model.layer_parameters());
  // ZeRO-3 holds two layers gathered, and the root unit (embedding, head, final norm) whole.
  const double root = psi - w.model.layers * layer;
  const double expected[4][3] = {{2 * psi, 2 * psi, 12 * psi},
                                 {2 * psi, 2 * psi, 12 * psi / 8},
                                 {2 * psi, 2 * psi / 8, 12 * psi / 8},
                                 {2 * psi / 8 + 2 * 2 * layer + 2 * root, 2 * psi / 8, 12 * psi / 8}};
  for (int stage = 0; stage <= 3; ++stage) {
    w.layout.zero_stage = stage;
    const auto m = p::memory_per_device(w);
    EXPECT_DOUBLE_EQ(m.parameters, expected[stage][0]) << "zero " << stage;
    EXPECT_DOUBLE_EQ(m.gradients, expected[stage][1]) << "zero " << stage;
    EXPECT_DOUBLE_EQ(m.optimizer_states, expected[stage][2]) << "zero " << stage;
  }
}
