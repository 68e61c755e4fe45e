#pragma once
// A step program: the ordered ops one rank runs in one training step. The same program is run for
// real by the MPI executor (and, later, against a cost model by the analytical one), so it says what
// happens, never how it is timed.

#include <cstdint>
#include <string>
#include <vector>

namespace scaleout::parallelism {

// The communicator an op runs on. Only dp exists in a pure data-parallel layout; the others come
// with hybrid layouts and keep their place in records and logs.
enum class Group { dp, tp, pp, ep, cp };
inline constexpr int group_count = 5;
const char* to_string(Group group);

enum class OpKind {
  compute,  // a span of emulated device time
  start,    // issue a non-blocking collective into an in-flight slot
  wait,     // block until the collective in a slot completes
  blocking  // a blocking collective
};
const char* to_string(OpKind kind);

enum class Phase { forward, backward, optimizer, sync };
const char* to_string(Phase phase);

struct Op {
  OpKind kind = OpKind::compute;
  Phase phase = Phase::forward;
  int microbatch = -1;  // -1 when the op belongs to the step, not to one microbatch
  int layer = -1;       // -1 for ops not tied to one transformer layer (embedding, logits, optimizer)
  // compute
  double flops = 0.0;
  double memory_bytes = 0.0;
  double seconds = 0.0;  // what the device needs: max(flops / achieved FLOP/s, bytes / bandwidth)
  // communication (start, wait, blocking)
  Group group = Group::dp;
  std::string collective;     // "allreduce"
  std::uint64_t bytes = 0;    // the operation's size as the collective benchmark defines it
  int slot = -1;              // start and wait: which in-flight operation; blocking: the bucket index
};

struct Program {
  std::vector<Op> ops;
  int slots = 0;  // distinct in-flight operations per step
  std::uint64_t largest_message_bytes() const;
  double compute_seconds() const;
};

// One line per kind of communication in a step: what `scaleout plan` lists.
struct OpSummary {
  Group group;
  std::string collective;
  std::uint64_t bytes;
  int count_per_step;
};
std::vector<OpSummary> summarize_communication(const Program& program);

}  // namespace scaleout::parallelism
