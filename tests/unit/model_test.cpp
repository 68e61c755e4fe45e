#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "parallelism/device.hpp"
#include "parallelism/model.hpp"

namespace p = scaleout::parallelism;

// Every preset reproduces the total its source publishes: within 1%, beyond the rounding of the
// published figure itself (GPT-3's "350M" is a name given to two significant digits).
TEST(ModelPresets, MatchPublishedTotals) {
  for (const auto& preset : p::model_presets()) {
    const double counted = static_cast<double>(preset.model.parameters());
    const double tolerance = 0.01 + preset.published_precision;
    EXPECT_NEAR(counted / preset.published_parameters, 1.0, tolerance)
        << preset.model.name << ": " << counted << " against " << preset.published_parameters;
  }
}

TEST(ModelPresets, Llama2_7bIsExactly674Billion) {
  const auto model = p::find_model_preset("llama2-7b");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->parameters(), 6738415616);  // the released checkpoint's count
  EXPECT_EQ(p::find_model_preset("llama3-70b")->parameters(), 70553706496);
  EXPECT_EQ(p::find_model_preset("llama3.1-8b")->parameters(), p::find_model_preset("llama3-8b")->parameters());
  EXPECT_FALSE(p::find_model_preset("gpt5"));
}

TEST(ModelFlops, GptMatchesMegatronClosedForm) {
  // Narayanan et al. 2021: a step of B sequences without recomputation is
  // 72 B s L h^2 (1 + s/(6h) + V/(12 L h)) FLOPs, the attention computed whole (unfused).
  auto model = *p::find_model_preset("gpt3-175b");
  const double B = 1536, s = 2048, L = 96, h = 12288, V = 50257;
  model.attention = p::AttentionKernel::unfused;
  const double whole = 72 * B * s * L * h * h * (1 + s / (6 * h) + V / (12 * L * h));
  EXPECT_NEAR(3 * B * s * model.forward_flops_per_token() / whole, 1.0, 1e-12);
  // A flash kernel skips the blocks the causal mask hides: half the scores and values, s/(12h), as
  // Megatron-LM counts (megatron/training/training.py, num_floating_point_operations: "/ 2  # causal mask").
  model.attention = p::AttentionKernel::flash;
  const double causal = 72 * B * s * L * h * h * (1 + s / (12 * h) + V / (12 * L * h));
  EXPECT_NEAR(3 * B * s * model.forward_flops_per_token() / causal, 1.0, 1e-12);
}

TEST(ModelParameters, AHeadSizeApartFromTheHiddenSizeWidensTheAttention) {
  // Megatron's --kv-channels: 24 heads of 128 on hidden 2048 (GPT-3 1.3B as Table 2.1 prints it):
  // q, k, v and the output projection are 2048 x 3072 each, their biases 3 x 3072.
  auto model = *p::find_model_preset("gpt3-1.3b");
  model.heads = model.kv_heads = 24;
  model.kv_channels = 128;
  EXPECT_EQ(model.attention_width(), 3072);
  EXPECT_EQ(model.attention_matmul_parameters(), 4 * 2048 * 3072);
  EXPECT_EQ(model.layer_parameters(), 4 * 2048 * 3072 + 2 * 2048 * 8192 + 3 * 3072 + 8192 + 6 * 2048);
  EXPECT_DOUBLE_EQ(model.attention_core_flops(2048, /*causal=*/false), 4.0 * 2048 * 3072);
  // The presets take the reproductions' shapes, heads x 128 = hidden, and run.
  EXPECT_EQ(p::find_model_preset("gpt3-1.3b")->heads, 16);
  EXPECT_EQ(p::find_model_preset("gpt3-13b")->hidden, 5120);
}

TEST(ModelParameters, GptLayerIs12hSquaredPlus13h) {
  const auto model = *p::find_model_preset("gpt3-125m");
  EXPECT_EQ(model.layer_parameters(), 12 * 768 * 768 + 13 * 768);
  EXPECT_EQ(model.embedding_parameters(), (50257 + 2048) * 768);
  EXPECT_EQ(model.head_parameters(), 0);  // tied
}

TEST(ModelParameters, LlamaLayerWithGroupedQueryAttention) {
  const auto model = *p::find_model_preset("llama2-70b");
  const std::int64_t h = 8192, kv = 8 * 128, f = 28672;
  EXPECT_EQ(model.layer_parameters(), 2 * h * h + 2 * h * kv + 3 * h * f + 2 * h);
  EXPECT_EQ(model.head_parameters(), 32000 * h);  // untied output head
}

TEST(Devices, SpanIsTheRooflineMaximum) {
  const auto device = *p::find_device_preset("h100-sxm");
  const double achieved = device.peak_flops * device.efficiency;
  EXPECT_DOUBLE_EQ(device.seconds(achieved, 0), 1.0);                     // compute-bound
  EXPECT_DOUBLE_EQ(device.seconds(0, device.memory_bandwidth * 2), 2.0);  // memory-bound
  EXPECT_DOUBLE_EQ(device.seconds(achieved, device.memory_bandwidth * 3), 3.0);
  for (const auto& preset : p::device_presets()) {
    EXPECT_GT(preset.device.peak_flops, 1e14) << preset.device.name;
    EXPECT_GT(preset.device.efficiency, 0) << preset.device.name;
    EXPECT_FALSE(preset.source.empty());
  }
}

TEST(Devices, DescribedAsPlanPrintsThem) {
  EXPECT_EQ(p::describe(*p::find_device_preset("h100-sxm")),
            "h100-sxm: 989 TFLOP/s bf16 x 0.40 efficiency, 3350 GB/s, 79.65 GiB");
  EXPECT_EQ(p::describe(p::find_device_preset("h100-sxm")->fabric),
            "8 per node over NVLink 4: 450 GB/s per direction a device, 450 GB/s between two, 3.4 us a hop");
}

TEST(Devices, EachPresetHasItsNodeFabric) {
  // The datasheets' bidirectional NVLink figures halved; NVSwitch gives a pair all of it; an MI300X
  // reaches each of its 7 peers over one link of 64 GB/s a direction.
  const std::vector<std::tuple<const char*, double, double>> expected = {{"a100-80gb", 300e9, 300e9},
                                                                         {"h100-sxm", 450e9, 450e9},
                                                                         {"h200", 450e9, 450e9},
                                                                         {"b200", 900e9, 900e9},
                                                                         {"mi300x", 448e9, 64e9}};
  for (const auto& [name, bandwidth, pair] : expected) {
    const auto fabric = p::find_device_preset(name)->fabric;
    EXPECT_DOUBLE_EQ(fabric.bandwidth, bandwidth) << name;
    EXPECT_DOUBLE_EQ(fabric.pair_bandwidth, pair) << name;
    EXPECT_EQ(fabric.devices_per_node, 8) << name;
    EXPECT_GT(fabric.latency, 1e-6) << name;
  }
  // 16 MiB from one H100 to another: 3.4 us and 37.3 us of bytes.
  EXPECT_NEAR(p::find_device_preset("h100-sxm")->fabric.seconds(16.0 * (1 << 20)), 3.4e-6 + 16.0 * (1 << 20) / 450e9,
              1e-15);
}
