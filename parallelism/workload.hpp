#pragma once
// A training workload: model, device, layout and batch. From it come the step program every rank
// runs, the FLOPs of a step, and the memory a device would need.

#include <cstdint>

#include "comm/element_type.hpp"
#include "parallelism/device.hpp"
#include "parallelism/model.hpp"
#include "parallelism/program.hpp"

namespace scaleout::parallelism {

struct Workload {
  Model model;
  Device device;
  int dp = 1;             // data-parallel replicas (the world size in a pure data-parallel layout)
  int micro_batch = 1;    // sequences per microbatch
  int global_batch = 1;   // sequences per step over all replicas
  double bucket_mb = 25;  // gradient bucket size in MiB, as PyTorch DDP's bucket_cap_mb
  bool overlap = true;    // allreduce buckets during backward, or only after it
  comm::ElementType gradient_type = comm::ElementType::bf16;

  int microbatches() const { return global_batch / (micro_batch * dp); }
  std::int64_t tokens_per_microbatch() const { return micro_batch * model.seq_len; }
  std::uint64_t gradient_bytes() const;  // what one replica allreduces per step
  std::uint64_t bucket_bytes() const;

  // Model FLOPs of one step over the whole job: forward and backward of every token of the global
  // batch (no recomputation).
  double flops_per_step() const;
  // Emulated device time of one microbatch's forward and backward on one rank, and of the optimizer.
  double forward_seconds() const;
  double backward_seconds() const;
  double optimizer_seconds() const;
};

// A device's memory in training, per DESIGN section 5: bf16 parameters, gradients in their type, Adam
// states in fp32 (master weights, m, v), and the activations of one microbatch in flight.
struct MemoryEstimate {
  double parameters = 0, gradients = 0, optimizer_states = 0, activations = 0;
  double total() const { return parameters + gradients + optimizer_states + activations; }
};
MemoryEstimate memory_per_device(const Workload& workload);

// The data-parallel step: per microbatch, forward spans (layers, then logits) and backward spans in
// reverse; in the last microbatch's backward the gradient stream (reverse layer order) is cut into
// buckets of bucket_bytes, each allreduced non-blocking as soon as backward has produced it (or, with
// overlap off, blocking after backward); then the optimizer.
Program data_parallel_step(const Workload& workload);

}  // namespace scaleout::parallelism
