#pragma once
// The step program of one pipeline stage: every rank of a stage runs the same program (its TP, CP,
// DP and EP coordinates change whom it talks to, not what it does).
// docs/parallelism.md give the volumes; in short, per microbatch and layer:
// - TP: two allreduces of b s h B forward and two backward (with sequence parallelism each a
//   reduce-scatter and an allgather), blocking, as they sit on the critical path;
// - CP: a ring exchange of K and V blocks around the attention, overlapping its compute, and of their
//   gradients in backward;
// - EP: an all-to-all to dispatch tokens to experts and one to combine them, forward and backward;
// - PP: activations (forward) and their gradients (backward) received blocking and sent non-blocking
//   between neighbouring stages, in the order of the schedule;
// and per step the gradient reduction over DP (allreduce buckets as backward produces them; ZeRO-1/2:
// reduce-scatter buckets and an allgather of the updated parameters; ZeRO-3: per layer an allgather
// of parameters before forward and before backward, prefetched one layer ahead, and a reduce-scatter
// of gradients after backward), then the optimizer over the rank's shard.

#include "parallelism/program.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::parallelism {

Program step_program(const Workload& workload, int stage);

}  // namespace scaleout::parallelism
