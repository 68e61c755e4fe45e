#include "parallelism/model.hpp"

#include <fmt/format.h>

namespace scaleout::parallelism {

std::int64_t Model::layer_matmul_parameters() const {
  const std::int64_t h = hidden;
  if (architecture == Architecture::gpt) return 12 * h * h;  // QKV 3h^2, projection h^2, MLP 8h^2
  const std::int64_t kv = static_cast<std::int64_t>(kv_heads) * head_dim();
  return 2 * h * h + 2 * h * kv + 3 * h * ffn_hidden;  // q and o, k and v, SwiGLU gate/up/down
}

std::int64_t Model::layer_parameters() const {
  // GPT: biases of QKV (3h), projection (h), MLP (4h + h), two LayerNorms (4h): 13h.
  // Llama: two RMSNorm weights (2h), no biases.
  return layer_matmul_parameters() + (architecture == Architecture::gpt ? 13 * hidden : 2 * hidden);
}

std::int64_t Model::embedding_parameters() const {
  return vocab * hidden + (architecture == Architecture::gpt ? seq_len * hidden : 0);
}

std::int64_t Model::head_parameters() const { return tied_embeddings ? 0 : vocab * hidden; }

std::int64_t Model::final_norm_parameters() const {
  return architecture == Architecture::gpt ? 2 * hidden : hidden;
}

std::int64_t Model::parameters() const {
  return layers * layer_parameters() + embedding_parameters() + head_parameters() + final_norm_parameters();
}

double Model::layer_forward_flops_per_token() const {
  // Two FLOPs per multiply-add of every matmul parameter, plus the attention scores (Q K^T) and the
  // weighted values, 2 s h each.
  return 2.0 * static_cast<double>(layer_matmul_parameters()) + 4.0 * static_cast<double>(seq_len * hidden);
}

double Model::logits_forward_flops_per_token() const { return 2.0 * static_cast<double>(hidden * vocab); }

double Model::forward_flops_per_token() const {
  return layers * layer_forward_flops_per_token() + logits_forward_flops_per_token();
}

namespace {

Model gpt3(const char* name, int layers, std::int64_t hidden, int heads) {
  return Model{name, Architecture::gpt, layers, hidden, heads, heads, 4 * hidden, 50257, 2048, true};
}

Model llama(const char* name, int layers, std::int64_t hidden, int heads, int kv_heads, std::int64_t ffn,
            std::int64_t vocab, std::int64_t seq_len) {
  return Model{name, Architecture::llama, layers, hidden, heads, kv_heads, ffn, vocab, seq_len, false};
}

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  // GPT-3: Brown et al. 2020, Table 2.1 (the totals there are names rounded to two significant
  // digits). Llama 2: Touvron et al. 2023 and Meta's released configs, totals as counted in the
  // released weights. Llama 3/3.1: Llama Team 2024 ("The Llama 3 Herd of Models", Table 3) and the
  // released configs.
  static const std::vector<ModelPreset> presets = {
      {gpt3("gpt3-125m", 12, 768, 12), "Brown et al. 2020, Table 2.1", 125e6, 0.5e6 / 125e6},
      {gpt3("gpt3-350m", 24, 1024, 16), "Brown et al. 2020, Table 2.1", 350e6, 5e6 / 350e6},
      {gpt3("gpt3-760m", 24, 1536, 16), "Brown et al. 2020, Table 2.1", 760e6, 5e6 / 760e6},
      {gpt3("gpt3-1.3b", 24, 2048, 24), "Brown et al. 2020, Table 2.1", 1.3e9, 0.05e9 / 1.3e9},
      {gpt3("gpt3-2.7b", 32, 2560, 32), "Brown et al. 2020, Table 2.1", 2.7e9, 0.05e9 / 2.7e9},
      {gpt3("gpt3-6.7b", 32, 4096, 32), "Brown et al. 2020, Table 2.1", 6.7e9, 0.05e9 / 6.7e9},
      {gpt3("gpt3-13b", 40, 5140, 40), "Brown et al. 2020, Table 2.1", 13.0e9, 0.05e9 / 13.0e9},
      {gpt3("gpt3-175b", 96, 12288, 96), "Brown et al. 2020, Table 2.1", 175.0e9, 0.5e9 / 175.0e9},
      {llama("llama2-7b", 32, 4096, 32, 32, 11008, 32000, 4096), "Touvron et al. 2023; released weights",
       6.74e9, 0.005e9 / 6.74e9},
      {llama("llama2-13b", 40, 5120, 40, 40, 13824, 32000, 4096), "Touvron et al. 2023; released weights",
       13.02e9, 0.005e9 / 13.02e9},
      {llama("llama2-70b", 80, 8192, 64, 8, 28672, 32000, 4096), "Touvron et al. 2023; released weights",
       68.98e9, 0.005e9 / 68.98e9},
      {llama("llama3-8b", 32, 4096, 32, 8, 14336, 128256, 8192), "Llama Team 2024, Table 3; released weights",
       8.03e9, 0.005e9 / 8.03e9},
      {llama("llama3-70b", 80, 8192, 64, 8, 28672, 128256, 8192), "Llama Team 2024, Table 3; released weights",
       70.55e9, 0.005e9 / 70.55e9},
      {llama("llama3-405b", 126, 16384, 128, 8, 53248, 128256, 8192),
       "Llama Team 2024, Table 3; released weights", 405.0e9, 0.5e9 / 405.0e9},
      // For tests and demos: small enough that a step takes milliseconds, shaped like Llama.
      {llama("tiny", 4, 256, 4, 2, 688, 1024, 128), "scaleout (a test model; exact count)", 3426560, 0.0},
  };
  return presets;
}

std::optional<Model> find_model_preset(const std::string& name) {
  for (const auto& preset : model_presets()) {
    if (preset.model.name == name) return preset.model;
  }
  // Llama 3.1 shares Llama 3's architectures; the names are accepted as aliases.
  if (name.rfind("llama3.1-", 0) == 0) {
    if (auto model = find_model_preset("llama3-" + name.substr(9))) {
      model->name = name;
      return model;
    }
  }
  return std::nullopt;
}

std::string model_preset_names() {
  std::string names;
  for (const auto& preset : model_presets()) names += (names.empty() ? "" : ", ") + preset.model.name;
  return names;
}

const char* to_string(Architecture architecture) {
  return architecture == Architecture::gpt ? "gpt" : "llama";
}

std::optional<Architecture> parse_architecture(const std::string& text) {
  if (text == "gpt") return Architecture::gpt;
  if (text == "llama") return Architecture::llama;
  return std::nullopt;
}

}  // namespace scaleout::parallelism
