#pragma once
// A training workload: model, device, layout and batch. From it come the step program of every
// pipeline stage (step_program.hpp), the FLOPs of a step, and the parameters each rank holds.

#include <cstdint>
#include <optional>

#include "comm/algorithm.hpp"
#include "comm/element_type.hpp"
#include "parallelism/device.hpp"
#include "parallelism/framework.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/model.hpp"

namespace scaleout::parallelism {

inline constexpr double parameter_bytes = 2.0;   // bf16 weights
inline constexpr double activation_bytes = 2.0;  // bf16 activations and their gradients

// Serving instead of training (parallelism/inference.hpp): a replica of tp x pp x ep ranks generates
// for `sequences` concurrent sequences, each a prompt of `prompt_tokens` and `output_tokens` new
// tokens (the thinking budget included). EP splits the sequences over its ranks for attention.
struct Inference {
  int sequences = 1;  // per replica
  std::int64_t prompt_tokens = 1;
  std::int64_t output_tokens = 1;
  double kv_element_bytes = 2;  // of the KV cache: 2 for bf16, 1 for fp8

  std::int64_t final_context() const { return prompt_tokens + output_tokens; }
};

struct Workload {
  Model model;
  Device device;
  Layout layout;
  int micro_batch = 1;   // sequences per microbatch
  int global_batch = 1;  // sequences per step over all replicas
  // The framework emulated (framework.hpp). A config's dp.bucket_mb and dp.gradient_dtype default to
  // its choices (runs/config/run_config.cpp); a Workload built by hand, as tests build them, keeps the
  // values below whatever `framework` says.
  Framework framework = Framework::megatron;
  double bucket_mb = 25;  // gradient bucket size in MiB
  bool overlap = true;    // reduce buckets during backward, or only after it
  // ZeRO-1/2: gather the updated parameters bucket by bucket during the next forward, each bucket
  // waited when the forward reaches it and the next one dispatched then (Megatron-LM's
  // --overlap-param-gather), instead of blocking after the optimizer.
  bool overlap_param_gather = false;
  // With sequence parallelism: TP's gathers and reduce-scatters overlap the GEMMs next to them, as
  // TransformerEngine's userbuffers run them (Megatron-LM's --tp-comm-overlap; layer_ops.cpp).
  bool tp_comm_overlap = false;
  comm::ElementType gradient_type = comm::ElementType::bf16;
  // The collective algorithms the framework's library runs (comm.algorithm; parallelism/algorithms.hpp).
  comm::AlgorithmChoice algorithm = comm::AlgorithmChoice::automatic;
  // How hops between ranks of one node pass: over the device's fabric, modelled, or through the host
  // (emulation.intra_node; device.hpp).
  IntraNode intra_node = IntraNode::host;
  std::optional<Inference> inference;  // serving; training when empty

  int microbatches() const { return global_batch / (micro_batch * layout.dp); }
  std::int64_t tokens_per_microbatch() const { return micro_batch * model.seq_len; }
  // What one rank computes on: its share of the sequence under context parallelism.
  double local_tokens_per_microbatch() const;
  int layers_per_chunk() const { return model.layers / (layout.pp * layout.virtual_stages); }
  std::uint64_t bucket_bytes() const;
  // The vocabulary the embedding and the output layer hold in training: Megatron-LM pads it with dummy
  // tokens to a multiple of 128 x tp (--make-vocab-size-divisible-by; megatron/training/tokenizer/
  // tokenizer.py, _vocab_size_with_padding); DeepSpeed's and PyTorch's models, and serving, hold the
  // model's own.
  std::int64_t padded_vocab() const;

  // Model FLOPs of one step over the whole job: forward and backward of every token of the global
  // batch (no recomputation), the logits over the padded vocabulary as Megatron-LM counts them.
  double flops_per_step() const;
};

// The parameters one rank holds before ZeRO shards them: its stage's layers with matmuls split over
// TP and experts over EP (norms and biases whole), the vocabulary-parallel embedding on the first
// stage, the output head and final norm on the last.
struct RankParameters {
  double dense = 0;   // reduced over the DP x CP ranks
  double expert = 0;  // reduced over the ranks holding the same experts
  double total() const { return dense + expert; }
};
RankParameters layer_parameters_per_rank(const Workload& workload);
double word_embedding_parameters_per_rank(const Workload& workload);  // V h / t, V padded (padded_vocab)
double embedding_parameters_per_rank(const Workload& workload);       // on the first stage
double head_parameters_per_rank(const Workload& workload);            // on the last stage: head, final norm
RankParameters rank_parameters(const Workload& workload, int stage);
// ZeRO-3's root unit (it has one stage): the embedding, the head and the final norm.
double root_parameters_per_rank(const Workload& workload);

// Gradient bytes one rank reduces per step (before ZeRO sharding), at `stage`.
std::uint64_t gradient_bytes(const Workload& workload, int stage);

}  // namespace scaleout::parallelism
