#include "parallelism/program.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace scaleout::parallelism {

const char* to_string(Tier tier) { return tier == Tier::intra_node ? "intra_node" : "network"; }

const char* to_string(Group group) {
  switch (group) {
    case Group::dp: return "dp";
    case Group::tp: return "tp";
    case Group::pp: return "pp";
    case Group::ep: return "ep";
    case Group::cp: return "cp";
  }
  return "?";
}

const char* to_string(Transfer transfer) {
  switch (transfer) {
    case Transfer::allreduce: return "allreduce";
    case Transfer::reduce_scatter: return "reduce_scatter";
    case Transfer::allgather: return "allgather";
    case Transfer::alltoall: return "alltoall";
    case Transfer::exchange: return "exchange";
    case Transfer::send: return "send";
    case Transfer::recv: return "recv";
  }
  return "?";
}

bool is_bubble(const Op& op) { return op.kind == OpKind::blocking && op.group == Group::pp && !op.embedding; }

std::uint64_t footprint(const Op& op) {
  if (op.kind == OpKind::compute) return 0;
  const bool halves = op.transfer == Transfer::alltoall || op.transfer == Transfer::exchange;
  return halves ? 2 * op.bytes : op.bytes;
}

const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::compute: return "compute";
    case OpKind::start: return "start";
    case OpKind::wait: return "wait";
    case OpKind::blocking: return "blocking";
  }
  return "?";
}

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::forward: return "forward";
    case Phase::backward: return "backward";
    case Phase::recompute: return "recompute";
    case Phase::optimizer: return "optimizer";
    case Phase::sync: return "sync";
  }
  return "?";
}

LargestTransfers Program::largest_transfers() const {
  LargestTransfers largest;
  for (const auto& op : ops) {
    if (op.kind == OpKind::compute) continue;
    auto& of_kind = op.kind == OpKind::blocking ? largest.blocking : largest.started;
    of_kind = std::max(of_kind, footprint(op));
  }
  return largest;
}

std::uint64_t LargestTransfers::buffer_bytes(int in_flight) const {
  return static_cast<std::uint64_t>(std::max(in_flight, 1)) * started + blocking;
}

double Program::compute_seconds() const {
  double seconds = 0;
  for (const auto& op : ops) {
    if (op.kind == OpKind::compute) seconds += op.seconds;
  }
  return seconds;
}

double Program::memory_bound_seconds(const Device& device) const {
  double seconds = 0;
  for (const auto& op : ops) {
    if (op.kind == OpKind::compute &&
        op.memory_bytes / device.memory_bandwidth >= op.flops / (device.peak_flops * device.efficiency))
      seconds += op.seconds;
  }
  return seconds;
}

double memory_bound_share(const std::vector<Program>& programs, const Device& device) {
  const Program* slowest = nullptr;
  for (const auto& program : programs) {
    if (slowest == nullptr || program.compute_seconds() > slowest->compute_seconds()) slowest = &program;
  }
  if (slowest == nullptr || slowest->compute_seconds() <= 0) return 0;
  return slowest->memory_bound_seconds(device) / slowest->compute_seconds();
}

std::vector<OpSummary> summarize_communication(const Program& program) {
  // Each operation counts once: at its start, or as a blocking call (its wait is the same operation).
  using Key = std::tuple<int, bool, bool, int, std::uint64_t>;
  std::map<Key, OpSummary> counts;
  for (const auto& op : program.ops) {
    if (op.kind != OpKind::start && op.kind != OpKind::blocking) continue;
    const Key key{static_cast<int>(op.group), op.expert, op.embedding, static_cast<int>(op.transfer), op.bytes};
    ++counts.try_emplace(key, OpSummary{op, 0}).first->second.count_per_step;
  }
  std::vector<OpSummary> summary;
  summary.reserve(counts.size());
  for (const auto& [key, entry] : counts) summary.push_back(entry);
  // Largest messages first within a group: what a reader looks for.
  std::stable_sort(summary.begin(), summary.end(), [](const OpSummary& a, const OpSummary& b) {
    return a.op.group != b.op.group ? a.op.group < b.op.group : a.op.bytes > b.op.bytes;
  });
  return summary;
}

}  // namespace scaleout::parallelism
