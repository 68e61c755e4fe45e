#include "parallelism/workload.hpp"

#include <algorithm>
#include <cmath>

namespace scaleout::parallelism {

namespace {

constexpr double parameter_bytes = 2.0;  // bf16 weights
// Adam in mixed precision reads the bf16 parameter and the gradient, reads and writes the fp32 master
// weight, m and v, and writes the bf16 parameter: 2 + g + 12 read, 14 written, per parameter.
double optimizer_bytes_per_parameter(double gradient_bytes) { return 28.0 + gradient_bytes; }
constexpr double optimizer_flops_per_parameter = 12.0;

struct BackwardSegment {
  double flops;
  double memory_bytes;
  std::uint64_t gradient_bytes;  // what this span of backward makes ready for the allreduce
  int layer;
};

// Backward in the order it runs: the logits first (their gradients: the output head unless tied, the
// final norm), then the layers from last to first, then the embedding, whose gradient (with tied
// embeddings, also the head's) is ready last.
std::vector<BackwardSegment> backward_segments(const Workload& w) {
  const Model& m = w.model;
  const auto tokens = static_cast<double>(w.tokens_per_microbatch());
  const auto g = static_cast<std::uint64_t>(comm::size_of(w.gradient_type));
  const double head_weights = static_cast<double>(m.vocab * m.hidden);
  std::vector<BackwardSegment> segments;
  segments.push_back({2 * tokens * m.logits_forward_flops_per_token(), 2 * parameter_bytes * head_weights,
                      g * static_cast<std::uint64_t>(m.head_parameters() + m.final_norm_parameters()), -1});
  for (int layer = m.layers - 1; layer >= 0; --layer) {
    segments.push_back({2 * tokens * m.layer_forward_flops_per_token(),
                        2 * parameter_bytes * static_cast<double>(m.layer_parameters()),
                        g * static_cast<std::uint64_t>(m.layer_parameters()), layer});
  }
  segments.push_back({0.0, 0.0, g * static_cast<std::uint64_t>(m.embedding_parameters()), -1});
  return segments;
}

Op compute_op(Phase phase, int microbatch, int layer, double flops, double bytes, const Device& device) {
  Op op;
  op.kind = OpKind::compute;
  op.phase = phase;
  op.microbatch = microbatch;
  op.layer = layer;
  op.flops = flops;
  op.memory_bytes = bytes;
  op.seconds = device.seconds(flops, bytes);
  return op;
}

Op allreduce_op(OpKind kind, Phase phase, int microbatch, int layer, std::uint64_t bytes, int bucket) {
  Op op;
  op.kind = kind;
  op.phase = phase;
  op.microbatch = microbatch;
  op.layer = layer;
  op.group = Group::dp;
  op.collective = "allreduce";
  op.bytes = bytes;
  op.slot = bucket;
  return op;
}

}  // namespace

std::uint64_t Workload::gradient_bytes() const {
  return static_cast<std::uint64_t>(model.parameters()) * comm::size_of(gradient_type);
}

std::uint64_t Workload::bucket_bytes() const {
  // Whole elements, at least one.
  const auto element = comm::size_of(gradient_type);
  const auto bytes = static_cast<std::uint64_t>(std::llround(bucket_mb * 1024.0 * 1024.0));
  return std::max<std::uint64_t>(bytes / element, 1) * element;
}

double Workload::flops_per_step() const {
  return 3.0 * static_cast<double>(global_batch) * static_cast<double>(model.seq_len) *
         model.forward_flops_per_token();
}

double Workload::forward_seconds() const {
  const auto tokens = static_cast<double>(tokens_per_microbatch());
  double seconds = 0;
  for (int layer = 0; layer < model.layers; ++layer) {
    seconds += device.seconds(tokens * model.layer_forward_flops_per_token(),
                              parameter_bytes * static_cast<double>(model.layer_parameters()));
  }
  return seconds + device.seconds(tokens * model.logits_forward_flops_per_token(),
                                  parameter_bytes * static_cast<double>(model.vocab * model.hidden));
}

double Workload::backward_seconds() const {
  double seconds = 0;
  for (const auto& segment : backward_segments(*this)) seconds += device.seconds(segment.flops, segment.memory_bytes);
  return seconds;
}

double Workload::optimizer_seconds() const {
  const auto parameters = static_cast<double>(model.parameters());
  return device.seconds(optimizer_flops_per_parameter * parameters,
                        optimizer_bytes_per_parameter(static_cast<double>(comm::size_of(gradient_type))) *
                            parameters);
}

MemoryEstimate memory_per_device(const Workload& w) {
  const auto parameters = static_cast<double>(w.model.parameters());
  const Model& m = w.model;
  const double s = static_cast<double>(m.seq_len), b = w.micro_batch, h = static_cast<double>(m.hidden);
  MemoryEstimate memory;
  memory.parameters = parameter_bytes * parameters;
  memory.gradients = static_cast<double>(comm::size_of(w.gradient_type)) * parameters;
  memory.optimizer_states = 12.0 * parameters;
  // Korthikanti et al. 2022: s b h (34 + 5 a s / h) bytes per layer without recomputation.
  memory.activations = m.layers * s * b * h * (34.0 + 5.0 * m.heads * s / h);
  return memory;
}

Program data_parallel_step(const Workload& w) {
  Program program;
  const Model& m = w.model;
  const auto tokens = static_cast<double>(w.tokens_per_microbatch());
  const int microbatches = w.microbatches();
  const std::uint64_t total = w.gradient_bytes();
  const std::uint64_t cap = w.bucket_bytes();
  const int buckets = static_cast<int>((total + cap - 1) / cap);
  const auto bucket_size = [&](int k) { return std::min(cap, total - static_cast<std::uint64_t>(k) * cap); };
  program.slots = buckets;

  for (int mb = 0; mb < microbatches; ++mb) {
    for (int layer = 0; layer < m.layers; ++layer) {
      program.ops.push_back(compute_op(Phase::forward, mb, layer, tokens * m.layer_forward_flops_per_token(),
                                       parameter_bytes * static_cast<double>(m.layer_parameters()), w.device));
    }
    program.ops.push_back(compute_op(Phase::forward, mb, -1, tokens * m.logits_forward_flops_per_token(),
                                     parameter_bytes * static_cast<double>(m.vocab * m.hidden), w.device));

    const bool issue_buckets = w.overlap && mb == microbatches - 1;
    std::uint64_t produced = 0;  // gradient bytes ready so far, in stream order
    int next_bucket = 0;
    for (const auto& segment : backward_segments(w)) {
      if (!issue_buckets) {
        if (segment.flops > 0) {
          program.ops.push_back(
              compute_op(Phase::backward, mb, segment.layer, segment.flops, segment.memory_bytes, w.device));
        }
        continue;
      }
      // Backward produces this segment's gradients evenly over its span: cut the span where a bucket
      // fills, and issue that bucket there.
      const std::uint64_t end = produced + segment.gradient_bytes;
      double done = 0.0;  // fraction of the span emitted
      while (next_bucket < buckets &&
             static_cast<std::uint64_t>(next_bucket) * cap + bucket_size(next_bucket) <= end) {
        const std::uint64_t bucket_end = static_cast<std::uint64_t>(next_bucket) * cap + bucket_size(next_bucket);
        const double at = segment.gradient_bytes == 0
                              ? 1.0
                              : static_cast<double>(bucket_end - produced) / static_cast<double>(segment.gradient_bytes);
        if (segment.flops > 0 && at > done) {
          program.ops.push_back(compute_op(Phase::backward, mb, segment.layer, (at - done) * segment.flops,
                                           (at - done) * segment.memory_bytes, w.device));
        }
        done = std::max(done, at);
        program.ops.push_back(
            allreduce_op(OpKind::start, Phase::backward, mb, segment.layer, bucket_size(next_bucket), next_bucket));
        ++next_bucket;
      }
      if (segment.flops > 0 && done < 1.0) {
        program.ops.push_back(compute_op(Phase::backward, mb, segment.layer, (1.0 - done) * segment.flops,
                                         (1.0 - done) * segment.memory_bytes, w.device));
      }
      produced = end;
    }
  }

  for (int k = 0; k < buckets; ++k) {
    program.ops.push_back(allreduce_op(w.overlap ? OpKind::wait : OpKind::blocking, Phase::sync, -1, -1,
                                       bucket_size(k), k));
  }
  const auto parameters = static_cast<double>(m.parameters());
  program.ops.push_back(compute_op(
      Phase::optimizer, -1, -1, optimizer_flops_per_parameter * parameters,
      optimizer_bytes_per_parameter(static_cast<double>(comm::size_of(w.gradient_type))) * parameters, w.device));
  return program;
}

}  // namespace scaleout::parallelism
