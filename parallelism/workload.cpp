#include "parallelism/workload.hpp"

#include <algorithm>
#include <cmath>

namespace scaleout::parallelism {

double Workload::local_tokens_per_microbatch() const {
  return static_cast<double>(tokens_per_microbatch()) / layout.cp;
}

std::uint64_t Workload::bucket_bytes() const {
  // Whole elements, at least one.
  const auto element = comm::size_of(gradient_type);
  const auto bytes = static_cast<std::uint64_t>(std::llround(bucket_mb * 1024.0 * 1024.0));
  return std::max<std::uint64_t>(bytes / element, 1) * element;
}

std::int64_t Workload::padded_vocab() const {
  if (framework != Framework::megatron || inference) return model.vocab;
  const std::int64_t multiple = 128 * static_cast<std::int64_t>(layout.tp);
  return (model.vocab + multiple - 1) / multiple * multiple;
}

double Workload::flops_per_step() const {
  const double padding = static_cast<double>(padded_vocab() - model.vocab) * static_cast<double>(model.hidden);
  return 3.0 * static_cast<double>(global_batch) * static_cast<double>(model.seq_len) *
         (model.forward_flops_per_token() + 2.0 * padding);
}

RankParameters layer_parameters_per_rank(const Workload& w) {
  const Model& m = w.model;
  const Layout& l = w.layout;
  const auto unsplit = static_cast<double>(m.layer_parameters() - m.layer_matmul_parameters());
  RankParameters p;
  p.dense = static_cast<double>(m.attention_matmul_parameters()) / l.tp + unsplit +
            static_cast<double>(m.router_parameters());
  if (m.moe()) {
    const int local_experts = m.experts / l.ep;  // ep divides the experts (checked with the config)
    p.expert = static_cast<double>(local_experts) * static_cast<double>(m.mlp_matmul_parameters()) / l.tp;
  } else {
    p.dense += static_cast<double>(m.mlp_matmul_parameters()) / l.tp;
  }
  return p;
}

double word_embedding_parameters_per_rank(const Workload& w) {
  return static_cast<double>(w.padded_vocab() * w.model.hidden) / w.layout.tp;
}

double embedding_parameters_per_rank(const Workload& w) {
  const Model& m = w.model;
  // The word embedding is vocabulary-parallel over TP; GPT's position embedding is whole.
  return word_embedding_parameters_per_rank(w) + static_cast<double>(m.embedding_parameters() - m.vocab * m.hidden);
}

double head_parameters_per_rank(const Workload& w) {
  const Model& m = w.model;
  // The output head (its own, or with tied embeddings over several stages the last stage's copy of the
  // embedding for the logits) and the final norm.
  const bool holds_head = !m.tied_embeddings || w.layout.pp > 1;
  return (holds_head ? word_embedding_parameters_per_rank(w) : 0.0) + static_cast<double>(m.final_norm_parameters());
}

double root_parameters_per_rank(const Workload& w) {
  return embedding_parameters_per_rank(w) + head_parameters_per_rank(w);
}

RankParameters rank_parameters(const Workload& w, int stage) {
  const RankParameters layer = layer_parameters_per_rank(w);
  const int layers = w.model.layers / w.layout.pp;
  RankParameters p{layer.dense * layers, layer.expert * layers};
  if (stage == 0) p.dense += embedding_parameters_per_rank(w);
  if (stage == w.layout.pp - 1) p.dense += head_parameters_per_rank(w);
  return p;
}

std::uint64_t gradient_bytes(const Workload& w, int stage) {
  return static_cast<std::uint64_t>(std::llround(rank_parameters(w, stage).total())) * comm::size_of(w.gradient_type);
}

}  // namespace scaleout::parallelism
