#include <gtest/gtest.h>

#include <string>

#include "parallelism/step_program.hpp"
#include "runs/config/run_config.hpp"
#include "runs/printable.hpp"
#include "runs/usage_error.hpp"

namespace r = scaleout::runs;

namespace {
// The UsageError message a config (and world size) produces; "" when it is accepted.
std::string refusal(const std::string& yaml, int world = 4) {
  try {
    auto config = r::resolve(r::Settings::from_yaml(yaml, "test.yaml"));
    r::fit_to_world(config, world);
    return "";
  } catch (const r::UsageError& error) {
    return error.what();
  }
}
}  // namespace

TEST(RunConfig, PresetWithDefaults) {
  auto config = r::resolve(r::Settings::from_yaml("model: llama2-7b\n", "test.yaml"));
  r::fit_to_world(config, 8);
  EXPECT_EQ(config.workload.model.parameters(), 6738415616);
  EXPECT_EQ(config.workload.device.name, "h100-sxm");
  EXPECT_EQ(config.workload.layout.dp, 8);
  EXPECT_EQ(config.workload.global_batch, 8);
  // Megatron-LM's by default: fp32 gradients in buckets of max(40M, 1M x dp) elements.
  EXPECT_EQ(config.workload.framework, scaleout::parallelism::Framework::megatron);
  EXPECT_EQ(config.workload.gradient_type, scaleout::comm::ElementType::fp32);
  EXPECT_EQ(config.workload.bucket_bytes(), 40'000'000u * 4);
  EXPECT_TRUE(config.workload.overlap);
  EXPECT_EQ(config.steps, 10);
}

TEST(RunConfig, AFrameworkSetsTheDefaultsOfWhatItDecidesAndEachKeyOverridesIt) {
  struct Case {
    const char* yaml;
    int world;
    scaleout::comm::ElementType type;
    std::uint64_t bucket;
  };
  using scaleout::comm::ElementType;
  const Case cases[] = {
      {"model: tiny\n", 64, ElementType::fp32, 64'000'000u * 4},  // Megatron's grows with dp past 40
      {"model: tiny\nframework: deepspeed\n", 8, ElementType::bf16, 500'000'000u * 2},  // short for {name: ...}
      {"model: tiny\nframework: {name: pytorch}\n", 8, ElementType::fp32, 25u << 20},
      {"model: tiny\ndp: {gradient_dtype: bf16}\n", 8, ElementType::bf16, 40'000'000u * 2},
      {"model: tiny\nframework: {name: deepspeed}\ndp: {bucket_mb: 1, gradient_dtype: fp32}\n", 8, ElementType::fp32,
       1u << 20},
  };
  for (const auto& c : cases) {
    auto config = r::resolve(r::Settings::from_yaml(c.yaml, "test.yaml"));
    r::fit_to_world(config, c.world);
    EXPECT_EQ(config.workload.gradient_type, c.type) << c.yaml;
    EXPECT_EQ(config.workload.bucket_bytes(), c.bucket) << c.yaml;
    // The effective config states what the framework chose.
    const auto effective = config.settings.effective_yaml();
    EXPECT_NE(effective.find(std::string("gradient_dtype: ") + (c.type == ElementType::fp32 ? "fp32" : "bf16")),
              std::string::npos)
        << effective;
  }
  // One config fitted to two job sizes takes Megatron's bucket of each.
  auto config = r::resolve(r::Settings::from_yaml("model: tiny\n", "test.yaml"));
  r::fit_to_world(config, 128);
  EXPECT_EQ(config.workload.bucket_bytes(), 128'000'000u * 4);
  r::fit_to_world(config, 8);
  EXPECT_EQ(config.workload.bucket_bytes(), 40'000'000u * 4);
  EXPECT_NE(refusal("model: tiny\nframework: {name: jax}\n").find("framework.name: 'jax' is not allowed"),
            std::string::npos);
}

TEST(RunConfig, EachFrameworksProfileSendsItsOwnBytes) {
  // Tiny, dp 4 x tp 2 with sequence parallelism, 2 microbatches, ZeRO-2: the same layout under each
  // profile. Megatron reduces fp32 gradients in one bucket (40M elements hold them) and pads the
  // vocabulary (1024 is already a multiple of 128 x 2); DeepSpeed bf16; PyTorch fp32 in 25 MiB.
  namespace p = scaleout::parallelism;
  const std::string layout = "model: tiny\nparallel: {tp: 2, sequence_parallel: true, zero: 2}\nbatch: {global: 8}\n";
  struct Case {
    const char* framework;
    std::uint64_t element;
  };
  for (const Case c : {Case{"megatron", 4}, Case{"deepspeed", 2}, Case{"pytorch", 4}}) {
    auto config = r::resolve(r::Settings::from_yaml(layout + "framework: " + c.framework + "\n", "test.yaml"));
    r::fit_to_world(config, 8);
    const auto& w = config.workload;
    const auto program = p::step_program(w, 0);
    std::uint64_t scattered = 0, gathered = 0;
    int buckets = 0;
    for (const auto& op : program.ops) {
      if (op.group != p::Group::dp || (op.kind != p::OpKind::start && op.kind != p::OpKind::blocking)) continue;
      if (op.transfer == p::Transfer::reduce_scatter) scattered += op.bytes, ++buckets;
      if (op.transfer == p::Transfer::allgather) gathered += op.bytes;
    }
    // ZeRO-2 reduce-scatters every microbatch's gradients, in the framework's element type.
    const double per_microbatch = static_cast<double>(p::gradient_bytes(w, 0));
    EXPECT_EQ(p::gradient_bytes(w, 0) % c.element, 0u) << c.framework;
    EXPECT_NEAR(static_cast<double>(scattered), 2 * per_microbatch, 64.0 * buckets) << c.framework;
    EXPECT_NEAR(static_cast<double>(per_microbatch) / static_cast<double>(c.element), p::rank_parameters(w, 0).total(),
                1.0)
        << c.framework;
    EXPECT_EQ(buckets, 2) << c.framework << ": one bucket holds each microbatch's gradients";
    // The updated bf16 parameters, gathered once.
    EXPECT_NEAR(static_cast<double>(gathered), 2 * p::rank_parameters(w, 0).total(), 64.0) << c.framework;
  }
}

TEST(RunConfig, InlineModelAndDevice) {
  auto config = r::resolve(r::Settings::from_yaml(R"(
model: {architecture: llama, layers: 2, hidden: 128, heads: 4, kv_heads: 2, ffn_hidden: 344, vocab: 512, seq_len: 64}
device: {preset: a100-80gb, peak_tflops: 100, efficiency: 0.5}
batch: {micro: 2, global: 16}
)",
                                                  "test.yaml"));
  r::fit_to_world(config, 4);
  EXPECT_EQ(config.workload.model.kv_heads, 2);
  EXPECT_EQ(config.workload.model.head_dim(), 32);
  EXPECT_DOUBLE_EQ(config.workload.device.peak_flops, 100e12);
  EXPECT_DOUBLE_EQ(config.workload.device.memory_bandwidth, 2.039e12);  // from the preset
  EXPECT_EQ(config.workload.microbatches(), 2);
}

TEST(RunConfig, AnInlineNodeFabricOverridesThePresets) {
  auto config = r::resolve(r::Settings::from_yaml(
      "model: tiny\ndevice: {preset: a100-80gb, fabric_gbs: 50, fabric_latency_us: 10, per_node: 4}\n", "test.yaml"));
  const auto& fabric = config.workload.device.fabric;
  EXPECT_DOUBLE_EQ(fabric.bandwidth, 50e9);
  EXPECT_DOUBLE_EQ(fabric.pair_bandwidth, 50e9) << "a switch unless fabric_pair_gbs says otherwise";
  EXPECT_DOUBLE_EQ(fabric.latency, 10e-6);
  EXPECT_EQ(fabric.devices_per_node, 4);
  EXPECT_EQ(config.workload.device.name, "a100-80gb-custom");
  EXPECT_NE(refusal("model: tiny\ndevice: {fabric_gbs: 100, fabric_pair_gbs: 200}\n")
                .find("device.fabric_pair_gbs: 200 is more than device.fabric_gbs (100)"),
            std::string::npos);
}

TEST(RunConfig, OverridesAndEffectiveConfigRoundTrip) {
  auto settings = r::Settings::from_yaml("model: tiny\n", "test.yaml");
  settings.apply_override("dp.bucket_mb=50");
  settings.apply_override("emulation.compute=spin");
  const auto reread = r::Settings::from_yaml(settings.effective_yaml(), "effective");
  EXPECT_EQ(reread.number("dp.bucket_mb"), 50);
  EXPECT_EQ(reread.text("emulation.compute"), "spin");
  EXPECT_EQ(reread.text("model.preset"), "tiny");
  EXPECT_EQ(reread.effective_yaml(), settings.effective_yaml());
}

TEST(RunConfig, EachKindOfBadInputNamesTheKeyAndWhatIsAllowed) {
  const struct {
    std::string yaml;
    std::string expected;
  } cases[] = {
      {"model: tiny\nbatch: {micro: 1, globl: 4}\n", "'batch.globl' is not an option; batch has micro, global"},
      {"model: tiny\nbatchs: {micro: 1}\n", "'batchs' is not a section"},
      {"model: tiny\nbatch: {micro: two}\n", "batch.micro: 'two' is not allowed; expected a whole number"},
      {"model: tiny\nbatch: {micro: 0}\n",
       "batch.micro: '0' is not allowed; expected a whole number from 1 to 1000000"},
      {"model: tiny\nbatch: {micro: -3}\n", "batch.micro: '-3' is not allowed"},
      {"model: tiny\ndp: {bucket_mb: .nan}\n", "dp.bucket_mb: '.nan' is not allowed; expected a number"},
      {"model: tiny\ndp: {overlap: maybe}\n", "dp.overlap: 'maybe' is not allowed; expected true or false"},
      {"model: tiny\nparallel: {tp: 2, tp_comm_overlap: true}\n",
       "parallel.tp_comm_overlap: needs tp of 2 or more and parallel.sequence_parallel: true"},
      {"model: tiny\nframework: pytorch\nparallel: {tp: 2, sequence_parallel: true, tp_comm_overlap: true}\n",
       "parallel.tp_comm_overlap: Megatron-LM's option (TransformerEngine); framework.name is pytorch"},
      {"model: tiny\ndp: {overlap_param_gather: true}\n",
       "dp.overlap_param_gather: gathers the sharded optimizer's parameters; needs parallel.zero 1 or 2, not 0"},
      {"model: tiny\nparallel: {zero: 1}\ndp: {overlap_param_gather: true, overlap: false}\n",
       "dp.overlap_param_gather: needs dp.overlap: true"},
      {"model: tiny\nframework: deepspeed\nparallel: {zero: 1}\ndp: {overlap_param_gather: true}\n",
       "dp.overlap_param_gather: Megatron-LM's option; framework.name is deepspeed"},
      {"model: tiny\nemulation: {compute: nap}\n",
       "emulation.compute: 'nap' is not allowed; expected one of sleep, spin"},
      {"model: tiny\ndp: [1, 2]\n", "dp: expected a map, not a list"},
      {"model: tiny\nbatch: {micro: {a: 1}}\n", "batch.micro: expected a value, not a map"},
      {"model: gpt5\n", "model.preset: 'gpt5' is not a preset; the presets are gpt3-125m"},
      {"device: h100-sxm\n", "model.layers: required for a model without a preset"},
      {"model: {layers: 2, hidden: 100, heads: 3, vocab: 10, seq_len: 8}\n",
       "model.heads: 3 does not divide model.hidden (100)"},
      {"model: tiny\nbatch: {micro: 2, global: 12}\n",
       "batch.global: 12 is not a multiple of batch.micro x dp = 2 x 4 = 8; use 8 or 16"},
      {"model: tiny\nparallel: {dp: 3}\n", "parallel.dp: 3 does not match the 4 ranks of this job"},
      {"model: tiny\nparallel: {tp: 3}\n",
       "parallel.tp: 3 does not divide the model's 4 attention heads; use 1, 2 or 4"},
      {"model: tiny\nparallel: {pp: 3}\n",
       "parallel.pp: 3 stages x 1 chunk do not divide the model's 4 layers; with 1 chunk per rank, pp may be 1, 2 or "
       "4"},
      {"model: tiny\nparallel: {tp: 2, dp: 3}\n",
       "parallel: dp x tp x pp x cp = 3 x 2 x 1 x 1 = 6 but the job has 4 ranks; use dp 2 (or 0)"},
      {"model: tiny\nparallel: {tp: 4}\n",
       "parallel.tp: 4 does not divide the model's 2 key/value heads, as training needs (Megatron-LM); use 1 or 2"},
      {"model: tiny\nparallel: {tp: 2, pp: 4}\n",
       "parallel: tp x pp x cp = 2 x 4 x 1 = 8 does not divide the 4 ranks of this job; with 4 ranks, tp x pp x cp may "
       "be 1, 2 or 4"},
      {"model: tiny\nparallel: {cp: 3}\n", "parallel.cp: 3 does not divide the sequence of 128 tokens; use 1, 2, 4"},
      {"model: tiny\nparallel: {ep: 2}\n", "parallel.ep: 2 needs a mixture-of-experts model"},
      {"model: tiny-moe\nparallel: {ep: 3}\n", "parallel.ep: 3 does not divide the model's 4 experts; use 1, 2 or 4"},
      {"model: tiny-moe\nparallel: {ep: 4, tp: 2, sequence_parallel: true}\n",
       "parallel.ep: 4 does not divide dp = 2; use 1 or 2"},
      {"model: tiny-moe\nparallel: {tp: 2}\n", "parallel.sequence_parallel: a mixture of experts with tp 2 needs it"},
      {"model: {preset: tiny-moe, top_k: 5}\n", "model.top_k: 5 is more than the 4 experts"},
      {"model: tiny\nparallel: {zero: 3, pp: 2}\n",
       "parallel.zero: stage 3 does not combine with pipeline parallelism"},
      {"model: tiny-moe\nparallel: {zero: 3, ep: 2}\n",
       "parallel.zero: stage 3 is not emulated with expert parallelism"},
      {"model: tiny\nparallel: {zero: 4}\n", "parallel.zero: '4' is not allowed; expected one of 0, 1, 2, 3"},
      {"model: tiny\nparallel: {schedule: interleaved, pp: 2}\n",
       "parallel.virtual_stages: the interleaved schedule needs at least 2 model chunks per rank"},
      {"model: tiny\nparallel: {virtual_stages: 2, pp: 2}\n",
       "parallel.virtual_stages: 2 chunks need parallel.schedule: interleaved"},
      {"model: tiny\nparallel: {schedule: interleaved, pp: 2, virtual_stages: 2}\nbatch: {global: 6}\n",
       "batch.global: the interleaved schedule needs the microbatches (3) to be a multiple of pp (2)"},
      {"model: tiny\nparallel: {schedule: interleaved, pp: 4, virtual_stages: 2}\n",
       "parallel.pp: 4 stages x 2 chunks do not divide the model's 4 layers; with 2 chunks per rank, pp may be 1 or 2"},
      {"model: tiny\n  bad: [\n", "test.yaml: not valid YAML"},
      {"", "test.yaml: the config is empty"},
      {"- a\n- b\n", "test.yaml: expected a map of sections"},
  };
  for (const auto& c : cases) {
    const std::string message = refusal(c.yaml);
    EXPECT_NE(message.find(c.expected), std::string::npos) << "config:\n" << c.yaml << "\nmessage: " << message;
  }
}

TEST(RunConfig, RingsThatWouldMakeTooManyOperationsAreRefused) {
  // GPT-3 175B on tp 96 with the TP rings: 64 microbatches x 96 layers x 2 x 4 rings of 96 steps make
  // 4.7 million operations a step; 32 microbatches are emulated.
  const std::string yaml =
      "model: gpt3-175b\nparallel: {tp: 96, sequence_parallel: true, tp_comm_overlap: true}\nbatch: {global: ";
  EXPECT_NE(refusal(yaml + "64}\n", 96).find("parallel.tp_comm_overlap: its rings make 4.72e+06 operations"),
            std::string::npos)
      << refusal(yaml + "64}\n", 96);
  EXPECT_EQ(refusal(yaml + "32}\n", 96), "");
}

TEST(RunConfig, SetNeedsKeyEqualsValue) {
  auto settings = r::Settings::from_yaml("model: tiny\n", "test.yaml");
  EXPECT_THROW(settings.apply_override("dp.bucket_mb"), r::UsageError);
  EXPECT_THROW(settings.apply_override("=3"), r::UsageError);
  EXPECT_THROW(settings.apply_override("nosuch.key=3"), r::UsageError);
}

TEST(RunConfig, FilesThatAreNotConfigs) {
  EXPECT_THROW(r::Settings::from_file("/nonexistent/config.yaml"), r::UsageError);
  EXPECT_THROW(r::Settings::from_file("/tmp"), r::UsageError);
}

TEST(RunConfig, AHugeValueIsRefusedWithoutQuotingIt) {
  auto settings = r::Settings::from_yaml("model: tiny\n", "c.yaml");
  try {
    settings.set("output.path", std::string(100000, 'x'));
    FAIL() << "a 100 kB value was accepted";
  } catch (const r::UsageError& error) {
    const std::string message = error.what();
    EXPECT_LT(message.size(), 200u) << message;
    EXPECT_NE(message.find("output.path"), std::string::npos) << message;
  }
}

TEST(Printable, EscapesWhatATerminalShouldNotSeeAndKeepsUtf8) {
  EXPECT_EQ(r::printable("model: tiny", 100), "model: tiny");
  EXPECT_EQ(r::printable("caf\xc3\xa9 \xe2\x9c\x93", 100), "caf\xc3\xa9 \xe2\x9c\x93");  // é, a check mark
  EXPECT_EQ(r::printable(std::string("a\0b", 3), 100), "a\\x00b");
  EXPECT_EQ(r::printable("\xff\xfe", 100), "\\xff\\xfe");
  EXPECT_EQ(r::printable("\xc0\xaf", 100), "\\xc0\\xaf");           // an overlong '/'
  EXPECT_EQ(r::printable("\xed\xa0\x80", 100), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
  EXPECT_EQ(r::printable("\xe2\x9c", 100), "\\xe2\\x9c");           // cut short
  EXPECT_EQ(r::printable("line\nnext\x1b[31m", 100), "line\\nnext\\x1b[31m");
  EXPECT_EQ(r::printable(std::string(5000, 'x'), 10), std::string(10, 'x') + "...");
  // Valid UTF-8 that acts unseen: U+2028 split the one line, U+202E reversed what follows.
  EXPECT_EQ(r::printable("a\xe2\x80\xa8"
                         "b",
                         100),
            "a\\xe2\\x80\\xa8b");
  EXPECT_EQ(r::printable("host\xe2\x80\xae"
                         "lmth.exe",
                         100),
            "host\\xe2\\x80\\xaelmth.exe");
  EXPECT_EQ(r::printable("zero\xe2\x80\x8bwidth", 100), "zero\\xe2\\x80\\x8bwidth");
}

namespace {
std::string yaml_refusal(const std::string& text) {
  try {
    (void)r::Settings::from_yaml(text, "c.yaml");
  } catch (const r::UsageError& error) {
    return error.what();
  }
  return "(accepted)";
}
}  // namespace

// A config is one YAML document: its markers are allowed, a second document is refused (yaml-cpp
// read the first and ignored the rest), and so is any control character but tab and line ends.
TEST(ConfigText, OneDocumentOfText) {
  EXPECT_EQ(yaml_refusal("model: tiny\n"), "(accepted)");
  EXPECT_EQ(yaml_refusal("%YAML 1.2\n---\nmodel: tiny\n...\n"), "(accepted)");
  EXPECT_EQ(yaml_refusal("# a comment\n--- # the document\nmodel: tiny\n"), "(accepted)");
  EXPECT_EQ(yaml_refusal("model: tiny\r\nbatch:\r\n\tmicro: 1\r\n").find("second"), std::string::npos);
  EXPECT_EQ(yaml_refusal("model: tiny\n---\nmodel: gpt3-125m\n"),
            "c.yaml: line 2 starts a second YAML document; a config is one document");
  EXPECT_EQ(yaml_refusal("model: tiny\n...\nbatch: {micro: 2}\n"),
            "c.yaml: line 3 starts a second YAML document; a config is one document");
  EXPECT_EQ(yaml_refusal("model: ti\x01ny\n"),
            "c.yaml: line 1, column 10: a control character (byte 0x01); a config is text");
}

TEST(RunConfig, ABackgroundIsAPatternOfWholeElementsPerUnitAndNoneByDefault) {
  auto quiet = r::resolve(r::Settings::from_yaml("model: tiny\n", "test.yaml"));
  EXPECT_FALSE(quiet.background.has_value());
  auto config = r::resolve(r::Settings::from_yaml(
      "model: tiny\nemulation: {background: bisection, background_mb: 0.5, background_ranks_per_node: 2}\n",
      "test.yaml"));
  ASSERT_TRUE(config.background.has_value());
  EXPECT_EQ(config.background->pattern, scaleout::comm::BackgroundPattern::bisection);
  EXPECT_EQ(config.background->unit_bytes, 512u << 10);
  EXPECT_EQ(config.background->ranks_per_node, 2);
  // 0.001 MiB is 1048.576 bytes: 262 whole elements.
  config = r::resolve(
      r::Settings::from_yaml("model: tiny\nemulation: {background: incast, background_mb: 0.001}\n", "test.yaml"));
  EXPECT_EQ(config.background->unit_bytes, 262u * 4);
  EXPECT_NE(refusal("model: tiny\nemulation: {background: ring}\n")
                .find("emulation.background: 'ring' is not allowed; expected one of none, incast, alltoall, bisection, "
                      "allreduce"),
            std::string::npos)
      << refusal("model: tiny\nemulation: {background: ring}\n");
  EXPECT_NE(refusal("model: tiny\nemulation: {background: alltoall, background_mb: 0}\n")
                .find("emulation.background_mb: '0' is not allowed"),
            std::string::npos);
  EXPECT_EQ(
      refusal("model: tiny\nemulation: {background: alltoall}\ninference: {prompt_tokens: 8, output_tokens: 2}\n"),
      "emulation.background: serving runs cannot have one; the slowdown it reports is a training step's (use "
      "none, or a training config)");
}
