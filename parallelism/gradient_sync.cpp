// The gradient reduction over DP: buckets issued as backward produces the gradients (or after
// backward), the optimizer over the rank's shard, and ZeRO-1/2's allgather of updated parameters.
#include <algorithm>
#include <cmath>

#include "parallelism/step_builder.hpp"

namespace scaleout::parallelism::detail {

namespace {
// Adam in mixed precision reads the bf16 parameter and the gradient, reads and writes the fp32 master
// weight, m and v, and writes the bf16 parameter: 2 + g + 12 read, 14 written, per parameter.
double optimizer_bytes_per_parameter(double gradient_bytes) { return 28.0 + gradient_bytes; }
constexpr double optimizer_flops_per_parameter = 12.0;
constexpr int stage_meeting_tag = 1 << 30;
constexpr int embedding_tag = stage_meeting_tag + 1;
}  // namespace

std::array<double, 2> StepBuilder::chunk_gradient_bytes(int chunk) const {
  const int stages = l_.pp * l_.virtual_stages;
  const int virtual_stage = chunk * l_.pp + stage_;
  const RankParameters layer = layer_parameters_per_rank(w_);
  const int layers = w_.layers_per_chunk();
  double dense = layer.dense * layers;
  if (virtual_stage == stages - 1) dense += head_parameters_per_rank(w_);
  if (virtual_stage == 0) dense += embedding_parameters_per_rank(w_);
  // Whole elements.
  return {std::round(dense) * element_, std::round(layer.expert * layers) * element_};
}

int StepBuilder::bucket_count(double total) const {
  const auto cap = static_cast<double>(w_.bucket_bytes());
  return static_cast<int>(std::ceil(total / cap - 1e-12));
}

std::uint64_t StepBuilder::bucket_size(double total, int k) const {
  const auto cap = static_cast<double>(w_.bucket_bytes());
  return static_cast<std::uint64_t>(std::min(cap, total - k * cap));
}

Op StepBuilder::bucket(int stream, std::uint64_t bytes, OpKind kind, Phase phase, int microbatch, int layer) {
  const bool expert = stream == 1;
  // ZeRO-1/2 reduce-scatter the gradients: each rank keeps the reduced shard it updates.
  const bool sharded = l_.zero_stage >= 1;
  const int ranks = expert ? l_.expert_gradient_group_size() : l_.gradient_group_size();
  Op op = communication(kind, Group::dp, sharded ? Transfer::reduce_scatter : Transfer::allreduce, phase, microbatch,
                        layer, sharded ? padded(static_cast<double>(bytes), ranks, element_) : bytes);
  op.expert = expert;
  return op;
}

void StepBuilder::gradient_segment(std::size_t first_op, double dense_bytes, double expert_bytes, int microbatch,
                                   int layer) {
  // Which buckets fill during this segment, and where: the segment produces its gradients evenly
  // over its compute (at its end when it has none).
  struct Event {
    double at;  // fraction of the segment's compute
    int stream;
    std::uint64_t bytes;
  };
  std::vector<Event> events;
  const std::array<double, 2> produced_here = {dense_bytes, expert_bytes};
  for (int s = 0; s < 2; ++s) {
    auto& stream = streams_[static_cast<std::size_t>(s)];
    const double bytes = produced_here[static_cast<std::size_t>(s)];
    if (bytes <= 0) continue;
    const double end = stream.produced + bytes;
    const auto cap = static_cast<double>(w_.bucket_bytes());
    while (stream.next_bucket < bucket_count(stream.total) &&
           std::min((stream.next_bucket + 1) * cap, stream.total) <= end + 0.5) {
      const double bucket_end = std::min((stream.next_bucket + 1) * cap, stream.total);
      events.push_back({std::clamp((bucket_end - stream.produced) / bytes, 0.0, 1.0), s,
                        bucket_size(stream.total, stream.next_bucket)});
      ++stream.next_bucket;
    }
    stream.produced = end;
  }
  if (events.empty()) return;
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });

  // Cut the segment's compute spans where the events fall and issue each bucket there.
  std::vector<Op> tail(program_.ops.begin() + static_cast<std::ptrdiff_t>(first_op), program_.ops.end());
  program_.ops.resize(first_op);
  double total = 0;
  for (const auto& op : tail) total += op.kind == OpKind::compute ? op.seconds : 0.0;
  const auto issue = [&](const Event& e) {
    Op op = bucket(e.stream, e.bytes, OpKind::start, Phase::backward, microbatch, layer);
    program_.ops.push_back(op);
    started_.push_back(op);
    streams_[static_cast<std::size_t>(e.stream)].slots.push_back(op.slot);
  };
  std::size_t next = 0;
  double elapsed = 0;
  for (const auto& op : tail) {
    if (op.kind != OpKind::compute || total <= 0 || op.seconds <= 0) {
      program_.ops.push_back(op);
      continue;
    }
    const double op_end = elapsed + op.seconds;
    double done = 0;  // fraction of this span emitted
    const auto piece = [&](double fraction) {
      Op part = op;
      part.flops *= fraction;
      part.memory_bytes *= fraction;
      part.seconds *= fraction;
      program_.ops.push_back(part);
    };
    while (next < events.size() && events[next].at * total < op_end) {
      const double cut = std::clamp((events[next].at * total - elapsed) / op.seconds, 0.0, 1.0);
      if (cut > done) piece(cut - done);
      done = std::max(done, cut);
      issue(events[next++]);
    }
    if (done < 1.0) piece(1.0 - done);
    elapsed = op_end;
  }
  while (next < events.size()) issue(events[next++]);
}

void StepBuilder::finish_gradient_streams() {
  // Rounding can leave the last bucket a fraction of a byte short of "produced": issue it now.
  for (int s = 0; s < 2; ++s) {
    auto& stream = streams_[static_cast<std::size_t>(s)];
    while (stream.next_bucket < bucket_count(stream.total)) {
      Op op = bucket(s, bucket_size(stream.total, stream.next_bucket), OpKind::start, Phase::backward, -1, -1);
      program_.ops.push_back(op);
      started_.push_back(op);
      stream.slots.push_back(op.slot);
      ++stream.next_bucket;
    }
  }
}

void StepBuilder::reduce_after_backward(int chunk, Phase phase, int microbatch) {
  const auto totals = chunk_gradient_bytes(chunk);
  for (int s = 0; s < 2; ++s) {
    const double total = totals[static_cast<std::size_t>(s)];
    for (int k = 0; k < bucket_count(total); ++k)
      program_.ops.push_back(bucket(s, bucket_size(total, k), OpKind::blocking, phase, microbatch, -1));
  }
}

void StepBuilder::synchronize() {
  for (const auto& stream : streams_) {
    for (const int slot : stream.slots) wait(slot);
  }
  if (!w_.overlap && l_.zero_stage < 2) {
    // Without overlap every bucket is reduced after the whole backward, blocking (ZeRO-2's after each
    // microbatch's backward).
    for (int chunk = 0; chunk < l_.virtual_stages; ++chunk) reduce_after_backward(chunk, Phase::sync, -1);
  }
  for (const int slot : pending_) wait(slot);
  if (l_.sequence_parallel) {
    // Each TP rank computed the norms' gradients on its part of the sequence: Megatron-LM allreduces
    // them, coalesced, over TP (megatron/core/distributed/finalize_model_grads.py,
    // _allreduce_non_tensor_model_parallel_grads), before the embedding's.
    double replicated =
        static_cast<double>(m_.layer_sequence_parallel_parameters()) * w_.layers_per_chunk() * l_.virtual_stages;
    if (stage_ == l_.pp - 1) replicated += static_cast<double>(m_.final_norm_parameters());
    blocking(Group::tp, Transfer::allreduce, Phase::sync, -1, -1, padded(replicated * element_, 1, element_));
  }
  const bool embedding_stage = stage_ == 0 || stage_ == l_.pp - 1;
  if (m_.tied_embeddings && l_.pp > 1 && embedding_stage) {
    // The first stage's word embedding and the last stage's copy of it for the logits are one
    // parameter: Megatron-LM allreduces their gradient over the embedding group after the DP sync, not
    // overlapped (megatron/core/distributed/finalize_model_grads.py, _allreduce_word_embedding_grads).
    Op op = communication(OpKind::blocking, Group::pp, Transfer::allreduce, Phase::sync, -1, -1,
                          padded(word_embedding_parameters_per_rank(w_) * element_, 1, element_));
    op.embedding = true;
    op.tag = embedding_tag;
    program_.ops.push_back(op);
  }
  // Gradient clipping needs the norm of all the gradients: one fp32 value allreduced over the
  // model-parallel ranks, or over the whole world when the optimizer is sharded (megatron/core/optimizer/
  // optimizer.py, get_grad_stats_parallel_group; distrib_optimizer.py overrides it). An allreduce over
  // the world is one over each dimension of the grid in turn: TP, then DP x CP, then the stages' meeting,
  // where a stage that drained its pipeline early waits for the others (its tag is the same on every
  // stage; the programs around it differ).
  const std::uint64_t norm = padded(4.0, 1, element_);
  blocking(Group::tp, Transfer::allreduce, Phase::sync, -1, -1, norm);
  if (l_.zero_stage >= 1) blocking(Group::dp, Transfer::allreduce, Phase::sync, -1, -1, norm);
  if (l_.pp > 1) blocking(Group::pp, Transfer::allreduce, Phase::sync, -1, -1, norm, -1, stage_meeting_tag);
}

void StepBuilder::begin_parameter_gather(int chunk) {
  const auto totals = chunk_gradient_bytes(chunk);
  for (std::size_t s = 0; s < gathers_.size(); ++s) {
    GradientStream stream;
    stream.total = totals[s];
    gathers_[s] = ParameterGather{totals[s], 0.0, bucket_count(stream.total), -1};
  }
}

int StepBuilder::dispatch_parameter_bucket(int stream, int bucket, int microbatch, int layer) {
  const double total = gathers_[static_cast<std::size_t>(stream)].total;
  const double parameters = static_cast<double>(bucket_size(total, bucket)) / element_ * parameter_bytes;
  const int ranks = stream == 1 ? l_.expert_gradient_group_size() : l_.gradient_group_size();
  return start(Group::dp, Transfer::allgather, Phase::forward, microbatch, layer, padded(parameters, ranks, element_),
               stream == 1);
}

// megatron/core/distributed/distributed_data_parallel.py, _make_forward_pre_hook, and
// param_and_grad_buffer.py, finish_param_sync: the first bucket's all-gather is dispatched by the
// pre-hook that needs it and waited at once; waiting a bucket dispatches the next (the chain runs in
// reverse bucket order), which then overlaps the forward up to the layer that needs it. Scaleout's
// pre-hook sits at layer granularity (Megatron's at each module with parameters).
void StepBuilder::gather_parameters(int microbatch, int layer, std::array<double, 2> gradient_bytes) {
  const auto cap = static_cast<double>(w_.bucket_bytes());
  for (std::size_t s = 0; s < gathers_.size(); ++s) {
    ParameterGather& g = gathers_[s];
    if (gradient_bytes[s] <= 0 || g.unwaited == 0) continue;
    g.reached = std::min(g.reached + gradient_bytes[s], g.total);
    // The segment's parameters reach down to the bucket holding backward's byte total - reached.
    const int lowest = std::max(0, static_cast<int>(std::floor((g.total - g.reached) / cap + 1e-9)));
    while (g.unwaited > lowest) {
      if (g.in_flight < 0)
        g.in_flight = dispatch_parameter_bucket(static_cast<int>(s), g.unwaited - 1, microbatch, layer);
      wait(g.in_flight, Phase::forward);
      --g.unwaited;
      g.in_flight =
          g.unwaited > 0 ? dispatch_parameter_bucket(static_cast<int>(s), g.unwaited - 1, microbatch, layer) : -1;
    }
  }
}

void StepBuilder::optimizer() {
  const RankParameters held = rank_parameters(w_, stage_);
  // ZeRO shards the optimizer over the ranks that reduce the same gradients.
  const bool sharded = l_.zero_stage >= 1;
  const double dense = sharded ? held.dense / l_.gradient_group_size() : held.dense;
  const double expert = sharded ? held.expert / l_.expert_gradient_group_size() : held.expert;
  compute(Phase::optimizer, -1, -1, optimizer_flops_per_parameter * (dense + expert),
          optimizer_bytes_per_parameter(element_) * (dense + expert));
  if (l_.zero_stage != 1 && l_.zero_stage != 2) return;
  if (w_.overlap_param_gather) return;  // gathered during the next step's forward (gather_parameters)
  // Every rank updated its shard: the updated bf16 parameters are gathered back, bucket by bucket, a
  // bucket holding as many parameters as a gradient bucket.
  const auto cap = static_cast<double>(w_.bucket_bytes()) / element_ * parameter_bytes;
  const std::array<double, 2> totals = {held.dense * parameter_bytes, held.expert * parameter_bytes};
  for (int s = 0; s < 2; ++s) {
    const int ranks = s == 1 ? l_.expert_gradient_group_size() : l_.gradient_group_size();
    for (double left = totals[static_cast<std::size_t>(s)]; left > 0; left -= cap) {
      blocking(Group::dp, Transfer::allgather, Phase::sync, -1, -1, padded(std::min(cap, left), ranks, element_), -1,
               -1, s == 1);
    }
  }
}

}  // namespace scaleout::parallelism::detail
