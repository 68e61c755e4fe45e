#include "analysis/run_trace.hpp"

#include <algorithm>
#include <stdexcept>

namespace scaleout::analysis {

using parallelism::Channel;
using parallelism::Op;
using parallelism::OpKind;
using parallelism::Transfer;

double TracedStep::end() const { return step_s.empty() ? 0.0 : *std::max_element(step_s.begin(), step_s.end()); }

std::size_t RunTrace::program_index(const TracedRank& rank, PassKind pass) const {
  const auto stage = static_cast<std::size_t>(rank.position.pp);
  const auto stages = static_cast<std::size_t>(layout.pp);
  const std::size_t index = pass == PassKind::decode ? stages + stage : stage;
  if (index >= programs.size()) throw std::out_of_range("no program of this stage and pass");
  return index;
}

const parallelism::Program& RunTrace::program_of(const TracedRank& rank, PassKind pass) const {
  return programs[program_index(rank, pass)];
}

int RunTrace::traced_index(int rank) const {
  const auto found = std::lower_bound(ranks.begin(), ranks.end(), rank,
                                      [](const TracedRank& r, int wanted) { return r.rank < wanted; });
  return found != ranks.end() && found->rank == rank ? static_cast<int>(found - ranks.begin()) : -1;
}

OperationIndex::OperationIndex(const std::vector<parallelism::Program>& programs)
    : issuing_(programs.size()), occurrence_(programs.size()), issued_by_(programs.size()) {
  for (std::size_t p = 0; p < programs.size(); ++p) {
    const auto& ops = programs[p].ops;
    occurrence_[p].assign(ops.size(), -1);
    issued_by_[p].assign(ops.size(), -1);
    std::map<std::pair<int, int>, int> seen;  // (channel, tag) -> issues so far
    std::map<int, int> started;               // slot -> its last start
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      const int index = static_cast<int>(i);
      if (op.kind == OpKind::compute) continue;
      if (op.kind == OpKind::wait) {
        const auto start = started.find(op.slot);
        if (start == started.end()) continue;
        issued_by_[p][i] = start->second;
        occurrence_[p][i] = occurrence_[p][static_cast<std::size_t>(start->second)];
        continue;
      }
      const int channel = static_cast<int>(parallelism::channel_of(op));
      const int k = seen[{channel, op.tag}]++;
      issuing_[p][{channel, op.tag, k}] = index;
      occurrence_[p][i] = k;
      issued_by_[p][i] = index;
      if (op.kind == OpKind::start) started[op.slot] = index;
    }
  }
}

int OperationIndex::issuing_op(std::size_t program, Channel channel, int tag, int occurrence) const {
  const auto& ops = issuing_.at(program);
  const auto found = ops.find({static_cast<int>(channel), tag, occurrence});
  return found == ops.end() ? -1 : found->second;
}

std::vector<int> counterparts(const parallelism::Layout& layout, int rank, const Op& op, Counterparts which) {
  if (op.kind == OpKind::compute) return {};
  const bool senders = which == Counterparts::senders;
  if (senders && op.transfer == Transfer::send) return {};
  const std::vector<int> group = parallelism::members(layout, rank, parallelism::channel_of(op));
  const auto n = static_cast<int>(group.size());
  if (op.transfer == Transfer::send || op.transfer == Transfer::recv) {
    if (op.peer < 0 || op.peer >= n) return {};
    return {group[static_cast<std::size_t>(op.peer)]};
  }
  const auto own = static_cast<int>(std::find(group.begin(), group.end(), rank) - group.begin());
  if (op.transfer == Transfer::exchange && n > 1) {
    const int next = group[static_cast<std::size_t>((own + 1) % n)];
    const int previous = group[static_cast<std::size_t>((own + n - 1) % n)];
    if (senders || next == previous) return {previous};
    return {previous, next};
  }
  std::vector<int> others;
  for (const int member : group) {
    if (member != rank) others.push_back(member);
  }
  return others;
}

std::vector<CounterpartIssue> counterpart_issues(const RunTrace& trace, const OperationIndex& index,
                                                 const TracedStep& step, std::size_t rank, int issuing,
                                                 Counterparts which) {
  const std::size_t program = trace.program_index(trace.ranks[rank], step.pass);
  const Op& operation = trace.programs[program].ops[static_cast<std::size_t>(issuing)];
  const int occurrence = index.occurrence(program, issuing);
  std::vector<CounterpartIssue> issues;
  for (const int world : counterparts(trace.layout, trace.ranks[rank].rank, operation, which)) {
    const int other = trace.traced_index(world);
    if (other < 0) continue;
    const std::size_t theirs = trace.program_index(trace.ranks[static_cast<std::size_t>(other)], step.pass);
    const int j = index.issuing_op(theirs, parallelism::channel_of(operation), operation.tag, occurrence);
    if (j < 0) continue;
    issues.push_back({other, j, step.ops[static_cast<std::size_t>(other)][static_cast<std::size_t>(j)].begin});
  }
  return issues;
}

Alignment check_alignment(const RunTrace& trace, const OperationIndex& index) {
  Alignment alignment;
  for (const auto& step : trace.steps) {
    for (std::size_t r = 0; r < trace.ranks.size(); ++r) {
      const std::size_t program = trace.program_index(trace.ranks[r], step.pass);
      const auto& ops = trace.programs[program].ops;
      for (std::size_t i = 0; i < ops.size(); ++i) {
        const int issued = index.issued_by(program, static_cast<int>(i));
        if ((ops[i].kind != OpKind::wait && ops[i].kind != OpKind::blocking) || issued < 0) continue;
        const auto issues = counterpart_issues(trace, index, step, r, issued, Counterparts::senders);
        for (const auto& issue : issues) {
          alignment.largest_gap_s = std::max(alignment.largest_gap_s, issue.begin - step.ops[r][i].end);
        }
        if (!issues.empty()) ++alignment.operations;
      }
    }
  }
  return alignment;
}

}  // namespace scaleout::analysis
