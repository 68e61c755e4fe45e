#pragma once
// Transformer models as the workload model sees them: the architecture, and what follows from it
// (parameters per layer and in all, FLOPs per token). Formulas: docs/workload.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scaleout::parallelism {

// GPT: learned positional embeddings, LayerNorm with biases, a 4h MLP with biases.
// Llama: no biases, RMSNorm, grouped-query attention (kv_heads <= heads), a SwiGLU MLP of ffn_hidden.
enum class Architecture { gpt, llama };

// How attention runs. flash: a fused kernel (FlashAttention, TransformerEngine's fused attention),
// which keeps no attention scores for backward and skips the blocks the causal mask hides; unfused:
// the scores are computed whole, masked, and kept (softmax output, dropout mask and output).
enum class AttentionKernel { flash, unfused };

struct Model {
  std::string name;
  Architecture architecture = Architecture::gpt;
  int layers = 0;
  std::int64_t hidden = 0;
  int heads = 0;
  int kv_heads = 0;  // = heads without grouped-query attention
  std::int64_t ffn_hidden = 0;
  std::int64_t vocab = 0;
  std::int64_t seq_len = 0;
  bool tied_embeddings = false;
  // Mixture of experts (Llama-style SwiGLU experts of ffn_hidden): every layer's MLP is `experts`
  // experts behind a router that sends each token to `top_k` of them. 0 = a dense MLP.
  int experts = 0;
  int top_k = 0;
  // The size of one head (Megatron's --kv-channels); 0: hidden / heads. heads x head_dim is the width
  // of the queries and of the attention's output projection, which need not be hidden.
  std::int64_t kv_channels = 0;
  AttentionKernel attention = AttentionKernel::flash;

  bool moe() const { return experts > 0; }
  std::int64_t head_dim() const { return kv_channels > 0 ? kv_channels : hidden / heads; }
  std::int64_t attention_width() const { return heads * head_dim(); }
  // Parameters of one transformer layer, and of those the ones in matrix multiplications.
  std::int64_t layer_parameters() const;
  std::int64_t layer_matmul_parameters() const;
  // The layer's matmul parameters by block: attention (QKV and output projections), one MLP (with
  // MoE: one expert), and the router (0 when dense).
  std::int64_t attention_matmul_parameters() const;
  std::int64_t qkv_parameters() const;
  std::int64_t mlp_matmul_parameters() const;
  std::int64_t mlp_output_parameters() const { return hidden * ffn_hidden; }  // FC2 (down): the row-parallel one
  std::int64_t router_parameters() const;
  // The layer's parameters every TP rank holds whole and that act on sequence-parallel activations:
  // the norms, and for GPT the row-parallel linears' biases (Megatron-LM marks them `sequence_parallel`;
  // with sequence parallelism each TP rank's gradient of them is a partial sum).
  std::int64_t layer_sequence_parallel_parameters() const;
  // Of the layer's parameters, those in experts (all of them), and the rest (attention, norms, router).
  std::int64_t layer_expert_parameters() const;
  std::int64_t layer_dense_parameters() const { return layer_parameters() - layer_expert_parameters(); }
  // Input embedding (plus positions for GPT), output head (0 when tied), final norm.
  std::int64_t embedding_parameters() const;
  std::int64_t head_parameters() const;
  std::int64_t final_norm_parameters() const;
  std::int64_t parameters() const;

  // Forward FLOPs for one token: one layer (matmuls + attention scores and values over seq_len), and
  // the logits. Backward is twice the forward.
  // With MoE, a token passes through top_k experts, not all of them.
  double layer_forward_flops_per_token() const;
  double attention_core_flops_per_token() const;  // training: attention_core_flops(seq_len, causal)
  // Scores and values of one token attending over `context` keys: 4 x context x heads x head_dim, half
  // of it with a causal mask where the kernel skips the masked blocks (flash): on average a token of a
  // causal sequence sees half of it.
  double attention_core_flops(double context, bool causal) const;
  double logits_forward_flops_per_token() const;
  double forward_flops_per_token() const;
};

struct ModelPreset {
  Model model;
  std::string source;           // where the architecture and the published total come from
  double published_parameters;  // the total the source gives
  double published_precision;   // relative precision of that figure (0.005 for "6.74B")
};

const std::vector<ModelPreset>& model_presets();
std::optional<Model> find_model_preset(const std::string& name);
std::string model_preset_names();  // "a, b, c" for error messages

const char* to_string(Architecture architecture);
std::optional<Architecture> parse_architecture(const std::string& text);
const char* to_string(AttentionKernel kernel);
std::optional<AttentionKernel> parse_attention_kernel(const std::string& text);

}  // namespace scaleout::parallelism
