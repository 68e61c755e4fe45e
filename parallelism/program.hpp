#pragma once
// A step program: the ordered ops one rank runs in one training step. The same program is run for
// real by the MPI executor and against a cost model by the analytical one (analysis/simulator.hpp),
// so it says what happens, never how it is timed.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "comm/algorithm.hpp"
#include "parallelism/device.hpp"

namespace scaleout::parallelism {

// The group an op's communication belongs to, for records and logs. dp covers the reduction of
// gradients (over DP x CP ranks; expert gradients over the ranks holding the same experts).
enum class Group { dp, tp, pp, ep, cp };
inline constexpr int group_count = 5;
const char* to_string(Group group);

// The tier of the fabric an op's communication crosses (docs/run.md, "Tiers"): the node's own (the
// device's fabric, or the host's shared memory under emulation.intra_node: host) or the network,
// which an op crosses when any hop of it leaves a node (algorithms.hpp, tier_of).
enum class Tier { intra_node, network };
inline constexpr int tier_count = 2;
const char* to_string(Tier tier);

// What an operation moves. Sizes (Op::bytes) follow the collective benchmark: the whole vector for
// allreduce, reduce-scatter (input) and allgather (output); what each rank sends for all-to-all,
// exchange, send and recv.
enum class Transfer {
  allreduce,
  reduce_scatter,
  allgather,
  alltoall,
  exchange,  // ring shift within the group: send to the next rank, receive from the previous
  send,      // to Op::peer
  recv       // from Op::peer
};
inline constexpr int transfer_count = 7;
const char* to_string(Transfer transfer);

enum class OpKind {
  compute,  // a span of emulated device time
  start,    // issue a non-blocking collective into an in-flight slot
  wait,     // block until the operation in a slot completes
  blocking  // a blocking operation (a recv: issued and waited at once)
};
inline constexpr int op_kind_count = 4;
const char* to_string(OpKind kind);

enum class Phase { forward, backward, recompute, optimizer, sync };
inline constexpr int phase_count = 5;
const char* to_string(Phase phase);

// The value of E whose to_string is `name`, among the `count` values of E; none when no value is.
// What the run log's readers use to turn its names back into ops.
template <typename E>
std::optional<E> parse_named(std::string_view name, int count) {
  for (int i = 0; i < count; ++i) {
    if (name == to_string(static_cast<E>(i))) return static_cast<E>(i);
  }
  return std::nullopt;
}

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
  Transfer transfer = Transfer::allreduce;
  bool expert = false;      // a dp op over the ranks holding the same experts
  bool embedding = false;   // a pp op over the first and last stages, which hold the tied word embedding
  std::uint64_t bytes = 0;  // the operation's size as the collective benchmark defines it
  int slot = -1;            // start and wait: which in-flight operation; blocking: -1
  int peer = -1;            // send and recv: the peer's rank in the group
  int tag = 0;              // names the message alike on every rank taking part (payloads, MPI tag)
  // What moves the bytes: set by choose_algorithms (algorithms.hpp) where the group's placement is
  // known; the MPI library's collective until then.
  comm::Algorithm algorithm = comm::Algorithm::library;
};

// A blocking pipeline op is a stage waiting for its neighbours (a receive, or the stages' meeting
// after backward, where a stage that drained its pipeline early waits): the bubble. The tied
// embedding's allreduce, also over pp, is communication of its own.
bool is_bubble(const Op& op);

// The buffer bytes an operation needs: in place where MPI allows it, send and receive halves for
// all-to-all and exchange.
std::uint64_t footprint(const Op& op);

// The largest footprints of a program's started (non-blocking) and blocking ops: the MPI executor
// allocates `in_flight` buffers of the one and a single buffer of the other.
struct LargestTransfers {
  std::uint64_t started = 0, blocking = 0;
  std::uint64_t buffer_bytes(int in_flight) const;  // the executor's payload memory
  std::uint64_t any() const { return std::max(started, blocking); }
};

struct Program {
  std::vector<Op> ops;
  int slots = 0;  // distinct in-flight operations per step
  LargestTransfers largest_transfers() const;
  double compute_seconds() const;
  // Of those, the seconds of spans that memory bandwidth bounds on `device` (Device::seconds).
  double memory_bound_seconds(const Device& device) const;
};

// One line per kind of communication in a step: what `scaleout plan` lists.
struct OpSummary {
  Op op;  // one of them: its group (and expert, embedding), transfer and bytes
  int count_per_step;
};
// The share of the compute of the program with the most (the slowest stage's) in spans that memory
// bandwidth bounds on `device`; 0 without compute.
double memory_bound_share(const std::vector<Program>& programs, const Device& device);

std::vector<OpSummary> summarize_communication(const Program& program);

}  // namespace scaleout::parallelism
