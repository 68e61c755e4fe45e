#include "parallelism/model.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace scaleout::parallelism {

namespace {

// Parameter counts in checked 64-bit arithmetic: a model past them (10,000 layers of hidden 1e6 with
// 4096 experts) is refused, never counted as a negative number.
std::int64_t mul(std::int64_t a, std::int64_t b) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    throw std::overflow_error("the model's parameter count is past what 64 bits hold (2^63)");
  }
  return product;
}

std::int64_t add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    throw std::overflow_error("the model's parameter count is past what 64 bits hold (2^63)");
  }
  return sum;
}

}  // namespace

std::int64_t Model::qkv_parameters() const {
  // q of heads x head_dim, and k and v of kv_heads x head_dim each (GQA; GPT has kv_heads = heads).
  return add(mul(hidden, attention_width()), mul(mul(2 * hidden, kv_heads), head_dim()));
}

std::int64_t Model::attention_matmul_parameters() const {
  return add(qkv_parameters(), mul(attention_width(), hidden));  // and the output projection
}

std::int64_t Model::mlp_matmul_parameters() const {
  // GPT: two matrices of h x 4h. Llama and MoE experts: SwiGLU gate, up and down of h x f.
  if (architecture == Architecture::gpt && !moe()) return mul(2, mul(hidden, ffn_hidden));
  return mul(3, mul(hidden, ffn_hidden));
}

std::int64_t Model::router_parameters() const { return moe() ? mul(hidden, experts) : 0; }

std::int64_t Model::layer_matmul_parameters() const {
  return add(add(attention_matmul_parameters(), mul(moe() ? experts : 1, mlp_matmul_parameters())),
             router_parameters());
}

std::int64_t Model::layer_expert_parameters() const { return moe() ? mul(experts, mlp_matmul_parameters()) : 0; }

std::int64_t Model::layer_parameters() const {
  // GPT: biases of QKV (3 heads x head_dim), projection (h), MLP (ffn + h), two LayerNorms (4h): 13h
  // when ffn = 4h and heads x head_dim = h. Llama: two RMSNorm weights (2h), no biases.
  if (architecture == Architecture::llama) return add(layer_matmul_parameters(), mul(2, hidden));
  return add(layer_matmul_parameters(), add(add(mul(3, attention_width()), ffn_hidden), mul(6, hidden)));
}

std::int64_t Model::layer_sequence_parallel_parameters() const {
  // GPT: two LayerNorms (weight and bias, 4h) and the biases of the output projection and FC2 (2h);
  // Llama: two RMSNorm weights (2h).
  return mul(architecture == Architecture::llama ? 2 : 6, hidden);
}

std::int64_t Model::embedding_parameters() const {
  return add(mul(vocab, hidden), architecture == Architecture::gpt ? mul(seq_len, hidden) : 0);
}

std::int64_t Model::head_parameters() const { return tied_embeddings ? 0 : mul(vocab, hidden); }

std::int64_t Model::final_norm_parameters() const { return architecture == Architecture::gpt ? 2 * hidden : hidden; }

std::int64_t Model::parameters() const {
  return add(add(mul(layers, layer_parameters()), embedding_parameters()),
             add(head_parameters(), final_norm_parameters()));
}

double Model::attention_core_flops(double context, bool causal) const {
  const double skipped = causal && attention == AttentionKernel::flash ? 0.5 : 1.0;
  return 4.0 * context * static_cast<double>(attention_width()) * skipped;
}

double Model::attention_core_flops_per_token() const {
  return attention_core_flops(static_cast<double>(seq_len), /*causal=*/true);
}

double Model::layer_forward_flops_per_token() const {
  // Two FLOPs per multiply-add of every matmul parameter a token passes through, plus the attention
  // scores (Q K^T) and the weighted values, 2 s h each.
  const std::int64_t active =
      add(add(attention_matmul_parameters(), mul(moe() ? top_k : 1, mlp_matmul_parameters())), router_parameters());
  return 2.0 * static_cast<double>(active) + attention_core_flops_per_token();
}

double Model::logits_forward_flops_per_token() const {
  return 2.0 * static_cast<double>(hidden) * static_cast<double>(vocab);
}

double Model::forward_flops_per_token() const {
  return layers * layer_forward_flops_per_token() + logits_forward_flops_per_token();
}

namespace {

Model gpt3(const char* name, int layers, std::int64_t hidden, int heads) {
  return Model{name, Architecture::gpt, layers, hidden, heads, heads, 4 * hidden, 50257, 2048, true, 0, 0};
}

Model llama(const char* name, int layers, std::int64_t hidden, int heads, int kv_heads, std::int64_t ffn,
            std::int64_t vocab, std::int64_t seq_len) {
  return Model{name, Architecture::llama, layers, hidden, heads, kv_heads, ffn, vocab, seq_len, false, 0, 0};
}

Model mixture(Model model, int experts, int top_k) {
  model.experts = experts;
  model.top_k = top_k;
  return model;
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
      // Table 2.1 gives 1.3B 24 heads and 13B a d_model of 5140, each with d_head 128: neither is
      // heads x d_head = d_model, and 24 heads of 128 would make 1.52B parameters. The reproductions take
      // 16 heads and 5120 (microsoft/Megatron-DeepSpeed, examples_deepspeed/MoE/ds_pretrain_gpt_350M_dense.sh,
      // its table of the GPT-3 sizes), which give the published totals.
      {gpt3("gpt3-1.3b", 24, 2048, 16), "Brown et al. 2020, Table 2.1; heads as Megatron-DeepSpeed's", 1.3e9,
       0.05e9 / 1.3e9},
      {gpt3("gpt3-2.7b", 32, 2560, 32), "Brown et al. 2020, Table 2.1", 2.7e9, 0.05e9 / 2.7e9},
      {gpt3("gpt3-6.7b", 32, 4096, 32), "Brown et al. 2020, Table 2.1", 6.7e9, 0.05e9 / 6.7e9},
      {gpt3("gpt3-13b", 40, 5120, 40), "Brown et al. 2020, Table 2.1; d_model as Megatron-DeepSpeed's", 13.0e9,
       0.05e9 / 13.0e9},
      {gpt3("gpt3-175b", 96, 12288, 96), "Brown et al. 2020, Table 2.1", 175.0e9, 0.5e9 / 175.0e9},
      {llama("llama2-7b", 32, 4096, 32, 32, 11008, 32000, 4096), "Touvron et al. 2023; released weights", 6.74e9,
       0.005e9 / 6.74e9},
      {llama("llama2-13b", 40, 5120, 40, 40, 13824, 32000, 4096), "Touvron et al. 2023; released weights", 13.02e9,
       0.005e9 / 13.02e9},
      {llama("llama2-70b", 80, 8192, 64, 8, 28672, 32000, 4096), "Touvron et al. 2023; released weights", 68.98e9,
       0.005e9 / 68.98e9},
      {llama("llama3-8b", 32, 4096, 32, 8, 14336, 128256, 8192), "Llama Team 2024, Table 3; released weights", 8.03e9,
       0.005e9 / 8.03e9},
      {llama("llama3-70b", 80, 8192, 64, 8, 28672, 128256, 8192), "Llama Team 2024, Table 3; released weights", 70.55e9,
       0.005e9 / 70.55e9},
      {llama("llama3-405b", 126, 16384, 128, 8, 53248, 128256, 8192), "Llama Team 2024, Table 3; released weights",
       405.0e9, 0.5e9 / 405.0e9},
      // Jiang et al. 2024 ("Mixtral of Experts"): 8 experts, 2 per token, 32k context; 46.7B parameters
      // (12.9B active), as counted in the released weights.
      {mixture(llama("mixtral-8x7b", 32, 4096, 32, 8, 14336, 32000, 32768), 8, 2),
       "Jiang et al. 2024; released weights", 46.70e9, 0.005e9 / 46.70e9},
      // For tests and demos: small enough that a step takes milliseconds, shaped like Llama.
      {llama("tiny", 4, 256, 4, 2, 688, 1024, 128), "scaleout (a test model; exact count)", 3426560, 0.0},
      {mixture(llama("tiny-moe", 4, 256, 4, 2, 344, 1024, 128), 4, 2), "scaleout (a test model; exact count)", 5544192,
       0.0},
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

const char* to_string(Architecture architecture) { return architecture == Architecture::gpt ? "gpt" : "llama"; }

std::optional<Architecture> parse_architecture(const std::string& text) {
  if (text == "gpt") return Architecture::gpt;
  if (text == "llama") return Architecture::llama;
  return std::nullopt;
}

const char* to_string(AttentionKernel kernel) { return kernel == AttentionKernel::flash ? "flash" : "unfused"; }

std::optional<AttentionKernel> parse_attention_kernel(const std::string& text) {
  if (text == "flash") return AttentionKernel::flash;
  if (text == "unfused") return AttentionKernel::unfused;
  return std::nullopt;
}

}  // namespace scaleout::parallelism
