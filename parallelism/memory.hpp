#pragma once
// A device's memory in training, per stage (docs/workload.md): bf16 parameters, gradients in their
// type, Adam states in fp32 (master weights, m, v), each sharded as the ZeRO stage says, and the
// activations of the microbatches the schedule keeps in flight (Korthikanti et al. 2022).

#include <vector>

#include "parallelism/workload.hpp"

namespace scaleout::parallelism {

struct MemoryEstimate {
  int stage = 0;
  double parameters = 0, gradients = 0, optimizer_states = 0, activations = 0;
  int microbatches_in_flight = 0;  // at the schedule's peak
  double total() const { return parameters + gradients + optimizer_states + activations; }
};

// Activation bytes of one layer and one microbatch on one rank: s b h (18 + 4 f/h) without parallelism
// (Korthikanti et al.'s 34 with f = 4h; Megatron-LM's megatron/training/theoretical_memory_usage.py),
// plus 5 a s / h for the scores an unfused attention keeps; TP divides the parts it splits (all of
// them with sequence parallelism, all but the 10 s b h of layer norms and dropout without); CP divides
// the sequence. Full recomputation keeps only each layer's input (2 s b h, / t with sequence
// parallelism).
double layer_activation_bytes(const Workload& workload);

MemoryEstimate memory_of_stage(const Workload& workload, int stage);
// The stage that needs the most: what decides whether the layout fits.
MemoryEstimate memory_per_device(const Workload& workload);

}  // namespace scaleout::parallelism
