#include "parallelism/step_program.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "parallelism/step_builder.hpp"

namespace scaleout::parallelism {

namespace detail {

void merge_compute(std::vector<Op>& ops) {
  std::vector<Op> merged;
  merged.reserve(ops.size());
  for (auto& op : ops) {
    if (!merged.empty() && op.kind == OpKind::compute && merged.back().kind == OpKind::compute &&
        merged.back().phase == op.phase && merged.back().microbatch == op.microbatch &&
        merged.back().layer == op.layer) {
      merged.back().flops += op.flops;
      merged.back().memory_bytes += op.memory_bytes;
      merged.back().seconds += op.seconds;
    } else {
      merged.push_back(op);
    }
  }
  ops = std::move(merged);
}

void drop_collectives_of_one_rank(Program& program, const Layout& layout) {
  std::vector<int> renumbered(static_cast<std::size_t>(program.slots), -1);
  std::vector<Op> kept;
  kept.reserve(program.ops.size());
  int slots = 0;
  for (Op& op : program.ops) {
    if (op.kind != OpKind::compute && channel_size(layout, channel_of(op)) == 1) continue;
    if (op.kind == OpKind::start) renumbered[static_cast<std::size_t>(op.slot)] = slots++;
    if (op.kind == OpKind::start || op.kind == OpKind::wait) op.slot = renumbered[static_cast<std::size_t>(op.slot)];
    kept.push_back(op);
  }
  program.ops = std::move(kept);
  program.slots = slots;
}

int pipeline_tag(int microbatch, int virtual_stages, int receiving_stage, bool gradient) {
  const std::int64_t message = static_cast<std::int64_t>(microbatch) * virtual_stages + receiving_stage;
  const std::int64_t tag = 2 * message + (gradient ? 1 : 0);
  return static_cast<int>(tag % (std::int64_t{1} << 30));
}

std::uint64_t padded(double bytes, int ranks, double element_bytes) {
  const double unit = element_bytes * ranks;
  const double whole = std::max(1.0, std::ceil(bytes / unit - 1e-9)) * unit;
  // Past 2^63 bytes the cast has no value (0 came out): such a workload is refused, not emulated.
  if (!(whole < 0x1p63)) {
    throw std::overflow_error(fmt::format("a transfer of {:.3g} bytes is past what 64 bits count", bytes));
  }
  return static_cast<std::uint64_t>(whole);
}

StepBuilder::StepBuilder(const Workload& workload, int stage)
    : w_(workload),
      l_(workload.layout),
      m_(workload.model),
      stage_(stage),
      tokens_(workload.local_tokens_per_microbatch()),
      attention_flops_per_token_(workload.model.attention_core_flops_per_token()),
      element_(static_cast<double>(comm::size_of(workload.gradient_type))),
      chunk_gathered_(static_cast<std::size_t>(workload.layout.virtual_stages), false) {}

void StepBuilder::compute(Phase phase, int microbatch, int layer, double flops, double bytes) {
  Op op;
  op.kind = OpKind::compute;
  op.phase = phase;
  op.microbatch = microbatch;
  op.layer = layer;
  op.flops = flops;
  op.memory_bytes = bytes;
  op.seconds = w_.device.seconds(flops, bytes);
  program_.ops.push_back(op);
}

Op StepBuilder::communication(OpKind kind, Group group, Transfer transfer, Phase phase, int microbatch, int layer,
                              std::uint64_t bytes) {
  Op op;
  op.kind = kind;
  op.phase = phase;
  op.microbatch = microbatch;
  op.layer = layer;
  op.group = group;
  op.transfer = transfer;
  op.bytes = bytes;
  op.tag = next_tag_++;
  if (kind == OpKind::start) op.slot = program_.slots++;
  return op;
}

void StepBuilder::blocking(Group group, Transfer transfer, Phase phase, int microbatch, int layer, std::uint64_t bytes,
                           int peer, int tag, bool expert) {
  Op op = communication(OpKind::blocking, group, transfer, phase, microbatch, layer, bytes);
  op.peer = peer;
  if (tag >= 0) op.tag = tag;
  op.expert = expert;
  program_.ops.push_back(op);
}

int StepBuilder::start(Group group, Transfer transfer, Phase phase, int microbatch, int layer, std::uint64_t bytes,
                       bool expert, int peer, int tag) {
  Op op = communication(OpKind::start, group, transfer, phase, microbatch, layer, bytes);
  op.expert = expert;
  op.peer = peer;
  if (tag >= 0) op.tag = tag;
  program_.ops.push_back(op);
  started_.push_back(op);
  return op.slot;
}

void StepBuilder::wait(int slot, Phase phase) {
  // The wait names the same operation as its start.
  Op op = started_.at(static_cast<std::size_t>(slot));
  op.kind = OpKind::wait;
  op.phase = phase;
  if (phase == Phase::sync) op.microbatch = op.layer = -1;  // the step's, not the microbatch's
  program_.ops.push_back(op);
}

Program StepBuilder::build() {
  const auto order = pipeline_order(l_.schedule, l_.pp, stage_, w_.microbatches(), l_.virtual_stages);
  std::vector<std::size_t> last_backward(static_cast<std::size_t>(l_.virtual_stages), order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (!order[i].forward) last_backward[static_cast<std::size_t>(order[i].chunk)] = i;
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    send_completion_before(&order[i]);
    if (order[i].forward) {
      forward_action(order[i]);
    } else {
      // ZeRO-0/1 accumulate the gradients and reduce them in the chunk's last backward; ZeRO-2 holds
      // only its shard of them, so it reduces every microbatch's (DeepSpeed's stage_1_and_2.py,
      // reduce_ready_partitions_and_remove_grads: "partition_gradients or" the accumulation boundary).
      const bool last_of_chunk = last_backward[static_cast<std::size_t>(order[i].chunk)] == i;
      const bool reduce_now = l_.zero_stage == 2 || (l_.zero_stage < 2 && last_of_chunk);
      backward_action(order[i], w_.overlap && reduce_now);
      if (!w_.overlap && l_.zero_stage == 2)
        reduce_after_backward(order[i].chunk, Phase::backward, order[i].microbatch);
    }
  }
  send_completion_before(nullptr);
  synchronize();
  optimizer();
  drop_collectives_of_one_rank(program_, l_);
  merge_compute(program_.ops);
  return std::move(program_);
}

// With sequence parallelism the activations between stages are already split over the sequence,
// and Megatron-LM sends each rank's part: b s h B / t (p2p_communication's tensor shape).
std::uint64_t StepBuilder::pipeline_bytes() const {
  const double divisor = l_.sequence_parallel ? static_cast<double>(l_.tp) : 1.0;
  return padded(tokens_ * static_cast<double>(m_.hidden) * activation_bytes / divisor, 1, element_);
}

void StepBuilder::send_completion_before(const PipelineAction* next) {
  if (!unwaited_send_) return;
  const int stages = l_.pp * l_.virtual_stages;
  const bool batched = next != nullptr && next->forward == unwaited_send_->gradient &&
                       (next->forward ? stage_ > 0 : stage_ < stages - 1);  // the next action receives
  if (batched) return;
  wait(unwaited_send_->slot, unwaited_send_->gradient ? Phase::backward : Phase::forward);
  unwaited_send_.reset();
}

void StepBuilder::send_completion_after_receive(Phase phase) {
  if (!unwaited_send_) return;
  wait(unwaited_send_->slot, phase);
  unwaited_send_.reset();
}

void StepBuilder::pipeline_send(Phase phase, int microbatch, std::uint64_t bytes, int peer, int tag) {
  const int slot = start(Group::pp, Transfer::send, phase, microbatch, -1, bytes, false, peer, tag);
  // Interleaved: Megatron-LM overlaps its p2p communication (--overlap-p2p-communication, on by default)
  // and waits the handles when it next needs them; scaleout waits the sends at the step's end.
  if (l_.schedule == Schedule::interleaved) {
    pending_.push_back(slot);
  } else {
    unwaited_send_ = UnwaitedSend{slot, phase == Phase::backward};
  }
}

void StepBuilder::forward_action(const PipelineAction& a) {
  const int p = l_.pp, stages = p * l_.virtual_stages;
  const int virtual_stage = a.chunk * p + stage_;
  const int mb = a.microbatch;
  const std::uint64_t activation = pipeline_bytes();
  if (virtual_stage > 0) {
    blocking(Group::pp, Transfer::recv, Phase::forward, mb, -1, activation, (stage_ + p - 1) % p,
             pipeline_tag(mb, stages, virtual_stage, false));
    send_completion_after_receive(Phase::forward);
  }
  const int first = virtual_stage * w_.layers_per_chunk();
  const int end = first + w_.layers_per_chunk();
  const bool zero3 = l_.zero_stage == 3;
  // ZeRO-1/2 with overlap_param_gather: the chunk's first forward gathers its updated parameters.
  const bool gather = (l_.zero_stage == 1 || l_.zero_stage == 2) && w_.overlap_param_gather &&
                      !chunk_gathered_[static_cast<std::size_t>(a.chunk)];
  if (gather) {
    chunk_gathered_[static_cast<std::size_t>(a.chunk)] = true;
    begin_parameter_gather(a.chunk);
    if (virtual_stage == 0) gather_parameters(mb, -1, {element_ * embedding_parameters_per_rank(w_), 0.0});
  }
  const RankParameters layer_parameters = layer_parameters_per_rank(w_);
  if (zero3) {
    // FSDP's root unit (embedding, head, final norm: ZeRO-3 has one stage) is gathered before each
    // microbatch's forward and kept through its backward: the root is not resharded after forward
    // (FSDP2's fully_shard sets reshard_after_forward False for it), and every unit is after backward.
    blocking(Group::dp, Transfer::allgather, Phase::forward, mb, -1,
             padded(root_parameters_per_rank(w_) * parameter_bytes, l_.gradient_group_size(), element_));
  }
  const auto layer_gather = [&](int layer) {
    return start(Group::dp, Transfer::allgather, Phase::forward, mb, layer,
                 padded(layer_parameters.total() * parameter_bytes, l_.gradient_group_size(), element_));
  };
  // The vocabulary-parallel embedding's output is summed over TP (reduce-scattered with sequence
  // parallelism): megatron/core/tensor_parallel/layers.py, VocabParallelEmbedding.forward.
  if (virtual_stage == 0) tp_reduce(Phase::forward, mb, -1);
  int gathered = zero3 ? layer_gather(first) : -1;
  for (int layer = first; layer < end; ++layer) {
    if (zero3) {
      // The next layer's parameters arrive while this one computes.
      wait(gathered, Phase::forward);
      if (layer + 1 < end) gathered = layer_gather(layer + 1);
    }
    if (gather) gather_parameters(mb, layer, {element_ * layer_parameters.dense, element_ * layer_parameters.expert});
    layer_forward(mb, layer, Phase::forward);
  }
  if (gather) {
    if (virtual_stage == stages - 1) gather_parameters(mb, -1, {element_ * head_parameters_per_rank(w_), 0.0});
    // What rounding left unreached: every bucket is waited within the chunk's forward.
    gather_parameters(mb, -1, {gathers_[0].total, gathers_[1].total});
  }
  if (virtual_stage == stages - 1) {
    // The output layer is column-parallel over the vocabulary: its sequence-parallel input gathered
    // first; then the vocabulary-parallel cross-entropy allreduces 3 fp32 values per token over TP (the
    // logits' maximum, the target's logit, the sum of exponentials: megatron/core/tensor_parallel/
    // cross_entropy.py).
    tp_gather(Phase::forward, mb, -1);
    const double head = word_embedding_parameters_per_rank(w_);
    compute(Phase::forward, mb, -1, tokens_ * 2.0 * head, parameter_bytes * head);
    for (int k = 0; k < 3; ++k)
      blocking(Group::tp, Transfer::allreduce, Phase::forward, mb, -1, padded(tokens_ * 4, 1, element_));
  } else {
    pipeline_send(Phase::forward, mb, activation, (stage_ + 1) % p, pipeline_tag(mb, stages, virtual_stage + 1, false));
  }
}

void StepBuilder::backward_action(const PipelineAction& a, bool reduce_gradients) {
  const int p = l_.pp, stages = p * l_.virtual_stages;
  const int virtual_stage = a.chunk * p + stage_;
  const int mb = a.microbatch;
  const std::uint64_t activation = pipeline_bytes();
  const bool last = virtual_stage == stages - 1, first_stage = virtual_stage == 0;
  if (!last) {
    blocking(Group::pp, Transfer::recv, Phase::backward, mb, -1, activation, (stage_ + 1) % p,
             pipeline_tag(mb, stages, virtual_stage, true));
    send_completion_after_receive(Phase::backward);
  }
  const RankParameters layer = layer_parameters_per_rank(w_);
  const int first = virtual_stage * w_.layers_per_chunk();
  const int end = first + w_.layers_per_chunk();
  if (reduce_gradients) {
    const auto totals = chunk_gradient_bytes(a.chunk);
    for (std::size_t s = 0; s < streams_.size(); ++s) {
      streams_[s].total = totals[s];
      streams_[s].produced = 0;
      streams_[s].next_bucket = 0;
    }
  }
  if (last) {
    const double head = word_embedding_parameters_per_rank(w_);
    const std::size_t first_op = program_.ops.size();
    column_parallel_backward(mb, -1, head, 0.0);
    if (reduce_gradients) gradient_segment(first_op, element_ * head_parameters_per_rank(w_), 0.0, mb, -1);
  }
  const bool zero3 = l_.zero_stage == 3;
  const auto layer_gather = [&](int l) {
    return start(Group::dp, Transfer::allgather, Phase::backward, mb, l,
                 padded(layer.total() * parameter_bytes, l_.gradient_group_size(), element_));
  };
  int gathered = zero3 ? layer_gather(end - 1) : -1;
  for (int l = end - 1; l >= first; --l) {
    if (zero3) {
      wait(gathered, Phase::backward);
      if (l > first) gathered = layer_gather(l - 1);
    }
    const std::size_t first_op = program_.ops.size();
    layer_backward(mb, l);
    if (reduce_gradients) gradient_segment(first_op, element_ * layer.dense, element_ * layer.expert, mb, l);
    if (zero3) {
      pending_.push_back(start(Group::dp, Transfer::reduce_scatter, Phase::backward, mb, l,
                               padded(layer.total() * element_, l_.gradient_group_size(), element_)));
    }
  }
  // The embedding's reduce-scatter (sequence parallelism) has an allgather for its gradient.
  if (first_stage) tp_gather(Phase::backward, mb, -1);
  if (first_stage && reduce_gradients) {
    gradient_segment(program_.ops.size(), element_ * embedding_parameters_per_rank(w_), 0.0, mb, -1);
  }
  if (reduce_gradients) finish_gradient_streams();
  if (zero3) {
    // The root's gradients, reduce-scattered after each microbatch's backward (no no_sync).
    pending_.push_back(start(Group::dp, Transfer::reduce_scatter, Phase::backward, mb, -1,
                             padded(root_parameters_per_rank(w_) * element_, l_.gradient_group_size(), element_)));
  }
  if (!first_stage) {
    pipeline_send(Phase::backward, mb, activation, (stage_ + p - 1) % p,
                  pipeline_tag(mb, stages, virtual_stage - 1, true));
  }
}

}  // namespace detail

Program step_program(const Workload& workload, int stage) { return detail::StepBuilder(workload, stage).build(); }

}  // namespace scaleout::parallelism
