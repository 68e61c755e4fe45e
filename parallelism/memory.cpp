#include "parallelism/memory.hpp"

#include "parallelism/schedule.hpp"

namespace scaleout::parallelism {

double layer_activation_bytes(const Workload& w) {
  const Model& m = w.model;
  const Layout& l = w.layout;
  const double s = static_cast<double>(m.seq_len) / l.cp, b = w.micro_batch, h = static_cast<double>(m.hidden);
  const double t = l.tp, a = m.heads, f = static_cast<double>(m.ffn_hidden);
  const double full_sequence = static_cast<double>(m.seq_len);  // keys span the whole sequence
  if (l.recompute == Recompute::full) return 2.0 * s * b * h / (l.sequence_parallel ? t : 1.0);
  // What TP splits: 8 s b h of attention and the MLP's 4 f (Korthikanti's 24 with f = 4h); what it
  // does not without sequence parallelism: the 10 s b h of norms and dropouts.
  const double split = 8.0 + 4.0 * f / h;
  const double linear = l.sequence_parallel ? (10.0 + split) / t : 10.0 + split / t;
  // The scores an unfused kernel keeps (softmax output, dropout mask and output); a fused one none, nor
  // does selective recomputation, which computes them again in backward (Korthikanti et al.'s 34/t).
  const bool scores_kept = m.attention == AttentionKernel::unfused && l.recompute == Recompute::none;
  const double attention_scores = scores_kept ? 5.0 * a * full_sequence / (h * t) : 0.0;
  return s * b * h * (linear + attention_scores);
}

MemoryEstimate memory_of_stage(const Workload& w, int stage) {
  const Layout& l = w.layout;
  const RankParameters held = rank_parameters(w, stage);
  const double dp = l.gradient_group_size(), edp = l.expert_gradient_group_size();
  const auto shard = [&](bool sharded) { return sharded ? held.dense / dp + held.expert / edp : held.total(); };
  const double g = static_cast<double>(comm::size_of(w.gradient_type));
  MemoryEstimate memory;
  memory.stage = stage;
  memory.parameters = parameter_bytes * shard(l.zero_stage >= 3);
  if (l.zero_stage >= 3) {
    // ZeRO-3 holds the gathered parameters of the layer it computes and of the one it prefetches, and
    // the root unit (embedding, head, final norm) through each microbatch.
    memory.parameters +=
        2.0 * parameter_bytes * layer_parameters_per_rank(w).total() + parameter_bytes * root_parameters_per_rank(w);
  }
  memory.gradients = g * shard(l.zero_stage >= 2);
  memory.optimizer_states = 12.0 * shard(l.zero_stage >= 1);

  const auto order = pipeline_order(l.schedule, l.pp, stage, w.microbatches(), l.virtual_stages);
  memory.microbatches_in_flight = peak_in_flight(order);
  memory.activations = memory.microbatches_in_flight * w.layers_per_chunk() * layer_activation_bytes(w);
  if (l.recompute == Recompute::full) {
    // The layer being recomputed holds its full activations once.
    Workload whole = w;
    whole.layout.recompute = Recompute::none;
    memory.activations += layer_activation_bytes(whole);
  }
  if (stage == l.pp - 1) {
    // The logits of one microbatch in fp32, vocabulary-parallel over TP.
    memory.activations += 4.0 * w.local_tokens_per_microbatch() * static_cast<double>(w.padded_vocab()) / l.tp;
  }
  return memory;
}

MemoryEstimate memory_per_device(const Workload& w) {
  MemoryEstimate largest = memory_of_stage(w, 0);
  for (int stage = 1; stage < w.layout.pp; ++stage) {
    const MemoryEstimate memory = memory_of_stage(w, stage);
    if (memory.total() > largest.total()) largest = memory;
  }
  return largest;
}

}  // namespace scaleout::parallelism
