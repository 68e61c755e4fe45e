// What one transformer layer does on one rank, forward and backward: compute spans split where
// communication sits between them (TP around attention and MLP, CP around the attention core, EP
// around the experts). Backward spans are twice the forward's FLOPs and read the weights twice; a
// column-parallel linear's backward is its input gradient's GEMM and its weight gradient's, with TP's
// communication overlapping them as Megatron-LM runs it (column_parallel_backward); with
// tp_comm_overlap the other TP transfers run as TransformerEngine's rings and splits behind their GEMMs
// (gathered_gemm, scattered_gemm); selective recomputation replays the attention core in backward.
#include <array>
#include <cmath>

#include "parallelism/step_builder.hpp"

namespace scaleout::parallelism::detail {

void StepBuilder::tp_reduce(Phase phase, int microbatch, int layer) {
  if (l_.tp == 1) return;
  const double bytes = tokens_ * static_cast<double>(m_.hidden) * activation_bytes;
  if (l_.sequence_parallel) {
    blocking(Group::tp, Transfer::reduce_scatter, phase, microbatch, layer, padded(bytes, l_.tp, element_));
  } else {
    blocking(Group::tp, Transfer::allreduce, phase, microbatch, layer, padded(bytes, 1, element_));
  }
}

void StepBuilder::tp_gather(Phase phase, int microbatch, int layer) {
  if (l_.tp == 1 || !l_.sequence_parallel) return;
  const double bytes = tokens_ * static_cast<double>(m_.hidden) * activation_bytes;
  blocking(Group::tp, Transfer::allgather, phase, microbatch, layer, padded(bytes, l_.tp, element_));
}

void StepBuilder::gathered_gemm(Phase phase, int microbatch, int layer, double flops, double bytes) {
  const double block = tokens_ * static_cast<double>(m_.hidden) * activation_bytes / l_.tp;
  for (int step = 0; step < l_.tp; ++step) {
    const bool more = step + 1 < l_.tp;
    const int slot =
        more ? start(Group::tp, Transfer::exchange, phase, microbatch, layer, padded(block, 1, element_)) : -1;
    compute(phase, microbatch, layer, flops / l_.tp, bytes / l_.tp);
    if (more) wait(slot, phase);
  }
}

void StepBuilder::scattered_gemm(Phase phase, int microbatch, int layer, double flops, double bytes) {
  constexpr int splits = 4;
  const double output = tokens_ * static_cast<double>(m_.hidden) * activation_bytes;
  std::array<int, splits> slots{};
  for (int k = 0; k < splits; ++k) {
    compute(phase, microbatch, layer, flops / splits, bytes / splits);
    slots[static_cast<std::size_t>(k)] =
        start(Group::tp, Transfer::reduce_scatter, phase, microbatch, layer, padded(output / splits, l_.tp, element_));
  }
  for (const int slot : slots) wait(slot, phase);
}

void StepBuilder::attention_core(Phase phase, int microbatch, int layer, double scale) {
  const double flops = scale * tokens_ * attention_flops_per_token_ / l_.tp;
  if (l_.cp == 1) {
    compute(phase, microbatch, layer, flops, kv_cache_bytes_);
    return;
  }
  // Ring attention: the rank's K and V blocks (its kv heads under TP) travel around the CP ring; each
  // step's transfer runs while the rank attends to the block it already holds.
  const double kv_heads = std::ceil(static_cast<double>(m_.kv_heads) / l_.tp);
  const double block = tokens_ * 2.0 * kv_heads * static_cast<double>(m_.head_dim()) * activation_bytes;
  const auto blocks = [&](int count) { return padded(count * block, 1, element_); };
  if (phase != Phase::backward) {
    for (int step = 0; step < l_.cp; ++step) {
      const bool more = step + 1 < l_.cp;
      const int slot = more ? start(Group::cp, Transfer::exchange, phase, microbatch, layer, blocks(1)) : -1;
      compute(phase, microbatch, layer, flops / l_.cp, 0.0);
      if (more) wait(slot, phase);
    }
    return;
  }
  // Backward circulates the K and V blocks and, behind them, the gradients of K and V the ring has
  // accumulated (TransformerEngine's AttnFuncWithCPAndKVP2P.backward, attention/dot_product_attention/
  // context_parallel.py): step 0 sends K and V, the steps after it K and V with dK and dV, and once the
  // last block is computed dK and dV go to their owner, waited with nothing left to hide it: c transfers
  // of 2 (c - 1) blocks.
  for (int step = 0; step < l_.cp; ++step) {
    const bool more = step + 1 < l_.cp;
    const int slot =
        more ? start(Group::cp, Transfer::exchange, phase, microbatch, layer, blocks(step == 0 ? 1 : 2)) : -1;
    compute(phase, microbatch, layer, flops / l_.cp, 0.0);
    if (more) wait(slot, phase);
  }
  wait(start(Group::cp, Transfer::exchange, phase, microbatch, layer, blocks(1)), phase);
}

// Megatron-LM's alltoall token dispatcher (megatron/core/transformer/moe/token_dispatcher.py), expert
// TP = TP: the rank's sequence-parallel tokens go to top_k experts over the EP group (all-to-all), the
// tokens each expert-TP rank received are all-gathered over TP so that every rank of it computes its
// slice of the experts on all of them, reduce-scattered back, and returned (all-to-all). Backward runs
// the transposes in the same order (a reduce-scatter's is an allgather).
void StepBuilder::moe_mlp(Phase phase, int microbatch, int layer, double scale) {
  const auto h = static_cast<double>(m_.hidden);
  const auto mlp = static_cast<double>(m_.mlp_matmul_parameters()) / l_.tp;
  const auto router = static_cast<double>(m_.router_parameters());
  compute(phase, microbatch, layer, scale * tokens_ * 2.0 * router, scale * parameter_bytes * router);
  // Each of the rank's tokens goes to top_k experts, spread evenly over the EP group.
  const double routed = tokens_ * m_.top_k * h * activation_bytes;
  const std::uint64_t bytes = padded(routed / l_.tp, l_.ep, element_);
  const bool expert_tp = l_.tp > 1 && l_.sequence_parallel;
  const std::uint64_t gathered = padded(routed, l_.tp, element_);
  if (l_.ep > 1) blocking(Group::ep, Transfer::alltoall, phase, microbatch, layer, bytes);
  if (expert_tp) blocking(Group::tp, Transfer::allgather, phase, microbatch, layer, gathered);
  const int local_experts = m_.experts / l_.ep;  // ep divides the experts (checked with the config)
  compute(phase, microbatch, layer, scale * tokens_ * m_.top_k * 2.0 * mlp,
          scale * parameter_bytes * static_cast<double>(local_experts) * mlp);
  if (expert_tp) blocking(Group::tp, Transfer::reduce_scatter, phase, microbatch, layer, gathered);
  if (l_.ep > 1) blocking(Group::ep, Transfer::alltoall, phase, microbatch, layer, bytes);
}

// The layer's matmul blocks on this rank (split over TP), `scale` times the forward: 2 in backward,
// whose FLOPs and weight reads are twice the forward's.
void StepBuilder::qkv_projection(Phase phase, int microbatch, int layer, double scale) {
  const auto qkv = static_cast<double>(m_.qkv_parameters()) / l_.tp;
  // Norms and biases are read whole by every TP rank, with the block that starts the layer.
  const auto unsplit = static_cast<double>(m_.layer_parameters() - m_.layer_matmul_parameters());
  compute(phase, microbatch, layer, scale * tokens_ * 2.0 * qkv, scale * parameter_bytes * (qkv + unsplit));
}

void StepBuilder::output_projection(Phase phase, int microbatch, int layer, double scale) {
  const auto weights = static_cast<double>(m_.attention_width()) * static_cast<double>(m_.hidden) / l_.tp;
  compute(phase, microbatch, layer, scale * tokens_ * 2.0 * weights, scale * parameter_bytes * weights);
}

void StepBuilder::column_parallel_backward(int microbatch, int layer, double weights, double unsplit_bytes) {
  const Phase phase = Phase::backward;
  const double flops = tokens_ * 2.0 * weights, weight_bytes = parameter_bytes * weights;
  const double activations = tokens_ * static_cast<double>(m_.hidden) * activation_bytes;
  const bool tp = l_.tp > 1, sp = tp && l_.sequence_parallel;
  // The input shard it saved, gathered again for the weight gradient, behind the input gradient's GEMM.
  const int regather =
      sp ? start(Group::tp, Transfer::allgather, phase, microbatch, layer, padded(activations, l_.tp, element_)) : -1;
  compute(phase, microbatch, layer, flops, weight_bytes + unsplit_bytes);  // the input gradient
  if (sp) wait(regather, phase);
  // The input gradient's reduction, behind the weight gradient's GEMM.
  const int reduce = tp ? start(Group::tp, sp ? Transfer::reduce_scatter : Transfer::allreduce, phase, microbatch,
                                layer, padded(activations, sp ? l_.tp : 1, element_))
                        : -1;
  compute(phase, microbatch, layer, flops, weight_bytes);  // the weight gradient
  if (tp) wait(reduce, phase);
}

void StepBuilder::dense_mlp_forward(Phase phase, int microbatch, int layer) {
  if (!overlapped_tp()) {
    tp_gather(phase, microbatch, layer);
    mlp(phase, microbatch, layer, 1.0);
    tp_reduce(phase, microbatch, layer);
    return;
  }
  const auto row = static_cast<double>(m_.mlp_output_parameters()) / l_.tp;           // FC2 (down)
  const auto column = static_cast<double>(m_.mlp_matmul_parameters()) / l_.tp - row;  // FC1 (gate and up)
  gathered_gemm(phase, microbatch, layer, tokens_ * 2.0 * column, parameter_bytes * column);
  scattered_gemm(phase, microbatch, layer, tokens_ * 2.0 * row, parameter_bytes * row);
}

void StepBuilder::mlp(Phase phase, int microbatch, int layer, double scale) {
  if (m_.moe()) {
    moe_mlp(phase, microbatch, layer, scale);
    return;
  }
  const auto weights = static_cast<double>(m_.mlp_matmul_parameters()) / l_.tp;
  compute(phase, microbatch, layer, scale * tokens_ * 2.0 * weights, scale * parameter_bytes * weights);
}

void StepBuilder::layer_forward(int microbatch, int layer, Phase phase) {
  if (overlapped_tp()) {
    const auto qkv = static_cast<double>(m_.qkv_parameters()) / l_.tp;
    const auto unsplit = static_cast<double>(m_.layer_parameters() - m_.layer_matmul_parameters());
    gathered_gemm(phase, microbatch, layer, tokens_ * 2.0 * qkv, parameter_bytes * (qkv + unsplit));
    attention_core(phase, microbatch, layer, 1.0);
    const auto projection = static_cast<double>(m_.attention_width()) * static_cast<double>(m_.hidden) / l_.tp;
    scattered_gemm(phase, microbatch, layer, tokens_ * 2.0 * projection, parameter_bytes * projection);
  } else {
    tp_gather(phase, microbatch, layer);
    qkv_projection(phase, microbatch, layer, 1.0);
    attention_core(phase, microbatch, layer, 1.0);
    output_projection(phase, microbatch, layer, 1.0);
    tp_reduce(phase, microbatch, layer);
  }
  // A MoE layer with sequence parallelism takes its input split over the sequence: no dense gather or
  // scatter around it (its dispatcher gathers the routed tokens over TP instead).
  if (m_.moe() && l_.sequence_parallel) {
    mlp(phase, microbatch, layer, 1.0);
  } else if (m_.moe()) {
    tp_gather(phase, microbatch, layer);
    mlp(phase, microbatch, layer, 1.0);
    tp_reduce(phase, microbatch, layer);
  } else {
    dense_mlp_forward(phase, microbatch, layer);
  }
}

void StepBuilder::row_parallel_backward(int microbatch, int layer, double weights) {
  const Phase phase = Phase::backward;
  const double flops = tokens_ * 2.0 * weights, weight_bytes = parameter_bytes * weights;
  if (overlapped_tp()) {
    // The output gradient's gather behind the input gradient's GEMM (proj_dgrad, fc2_dgrad), then the
    // weight gradient's GEMM on the gathered gradient.
    gathered_gemm(phase, microbatch, layer, flops, weight_bytes);
    compute(phase, microbatch, layer, flops, weight_bytes);
    return;
  }
  tp_gather(phase, microbatch, layer);
  compute(phase, microbatch, layer, 2.0 * flops, 2.0 * weight_bytes);
}

void StepBuilder::layer_backward(int microbatch, int layer) {
  // Full recomputation replays the layer's forward (its compute and its communication) first.
  if (l_.recompute == Recompute::full) layer_forward(microbatch, layer, Phase::recompute);
  // The transposes of forward's operators, in reverse: a reduce-scatter's gradient is an allgather,
  // blocking before the row-parallel linear (FC2, the output projection); the column-parallel ones
  // (FC1, QKV) overlap their communication with their GEMMs.
  const Phase phase = Phase::backward;
  if (m_.moe()) {
    const bool dense_tp = !l_.sequence_parallel;
    if (dense_tp) tp_gather(phase, microbatch, layer);
    mlp(phase, microbatch, layer, 2.0);
    if (dense_tp) tp_reduce(phase, microbatch, layer);
  } else {
    const auto row = static_cast<double>(m_.mlp_output_parameters()) / l_.tp;           // FC2 (down)
    const auto column = static_cast<double>(m_.mlp_matmul_parameters()) / l_.tp - row;  // FC1 (gate and up)
    row_parallel_backward(microbatch, layer, row);
    column_parallel_backward(microbatch, layer, column, 0.0);
  }
  row_parallel_backward(microbatch, layer,
                        static_cast<double>(m_.attention_width()) * static_cast<double>(m_.hidden) / l_.tp);
  // Selective recomputation runs the checkpointed attention core's forward again (its ring exchange
  // under CP included) when backward reaches it: Megatron-LM's _checkpointed_attention_forward
  // (megatron/core/transformer/attention.py).
  if (l_.recompute == Recompute::selective) attention_core(Phase::recompute, microbatch, layer, 1.0);
  attention_core(phase, microbatch, layer, 2.0);
  // Norms and biases are read whole by every TP rank, with the block that starts the layer.
  const auto unsplit = static_cast<double>(m_.layer_parameters() - m_.layer_matmul_parameters());
  column_parallel_backward(microbatch, layer, static_cast<double>(m_.qkv_parameters()) / l_.tp,
                           2.0 * parameter_bytes * unsplit);
}

}  // namespace scaleout::parallelism::detail
