#include "analysis/critical_path.hpp"

#include <algorithm>

namespace scaleout::analysis {

using parallelism::Op;
using parallelism::OpKind;
using parallelism::OpRecord;

namespace {

// Walks one step backwards. The cursor is a rank, the op it is at and a time; every move down in time
// adds a segment, so the segments cover the step from its end to 0.
class PathWalk {
 public:
  PathWalk(const RunTrace& trace, const OperationIndex& index, const TracedStep& step)
      : trace_(trace), index_(index), step_(step) {}

  StepPath run() {
    StepPath path{.step = step_.step, .end = step_.end(), .segments = {}};
    if (step_.step_s.empty()) return path;
    at_ = static_cast<int>(std::max_element(step_.step_s.begin(), step_.step_s.end()) - step_.step_s.begin());
    t_ = path.end;
    op_ = static_cast<int>(ops().size()) - 1;
    // Each move goes one op back on a rank or to an earlier op of another: a bound on the moves that
    // no well-formed trace reaches, against a cycle of equal times.
    std::size_t moves = 0, bound = 4;
    for (const auto& ops : step_.ops) bound += 2 * ops.size();
    while (t_ > 0 && op_ >= 0 && moves++ < bound) move(path);
    if (t_ > 0) add(path, -1, 0.0);
    return path;
  }

 private:
  const std::vector<OpRecord>& ops() const { return step_.ops[static_cast<std::size_t>(at_)]; }
  const TracedRank& rank() const { return trace_.ranks[static_cast<std::size_t>(at_)]; }
  std::size_t program() const { return trace_.program_index(rank(), step_.pass); }
  const Op& op(int i) const { return trace_.programs[program()].ops[static_cast<std::size_t>(i)]; }

  // The path runs on this rank's op `op` from `begin` to the cursor, which moves to `begin`.
  void add(StepPath& path, int op, double begin) {
    begin = std::min(begin, t_);
    if (t_ > begin) path.segments.push_back({rank().rank, op, begin, t_});
    t_ = begin;
  }

  void move(StepPath& path) {
    const OpRecord& record = ops()[static_cast<std::size_t>(op_)];
    const Op& current = op(op_);
    // A start returns once issued (its record's end is the operation's completion, seen later).
    const double returned = current.kind == OpKind::start ? record.begin : record.end;
    if (returned < t_) add(path, -1, returned);
    switch (current.kind) {
      case OpKind::compute:
        add(path, op_, record.begin);
        --op_;
        return;
      case OpKind::start: started(path, record); return;
      case OpKind::wait:
      case OpKind::blocking: waited(path, record); return;
    }
  }

  // A start that first waited for a free buffer (its `waited`, before its issue) waited for the operation
  // that gave it one: of the rank's started operations, the last to complete by this issue.
  void started(StepPath& path, const OpRecord& record) {
    int evicted = -1;
    for (int j = op_ - 1; j >= 0 && record.waited > 0; --j) {
      const OpRecord& earlier = ops()[static_cast<std::size_t>(j)];
      if (op(j).kind != OpKind::start || earlier.end > record.begin) continue;
      if (evicted < 0 || earlier.end > ops()[static_cast<std::size_t>(evicted)].end) evicted = j;
    }
    if (evicted >= 0) add(path, evicted, record.begin - record.waited);
    --op_;
  }

  // Whether a wait or blocking op blocked: a blocking op for as long as it waited; a wait when its
  // operation was not yet complete as it began (in logs from before a wait's `waited` was its blocked
  // time alone, it is the call's length).
  bool blocked(const OpRecord& record, int issued) const {
    if (record.waited <= 0 || issued < 0) return false;
    if (op(op_).kind != OpKind::wait) return true;
    return ops()[static_cast<std::size_t>(issued)].end > record.begin;
  }

  // A wait or blocking op: the operation ended at the cursor; it began when its last rank issued it.
  void waited(StepPath& path, const OpRecord& record) {
    const int issued = index_.issued_by(program(), op_);
    if (!blocked(record, issued)) {  // the call's own time
      add(path, op_, record.begin);
      --op_;
      return;
    }
    // The last to issue it: a counterpart later than this rank, else this rank itself.
    CounterpartIssue last{at_, issued, ops()[static_cast<std::size_t>(issued)].begin};
    for (const auto& issue : counterpart_issues(trace_, index_, step_, static_cast<std::size_t>(at_), issued)) {
      if (issue.begin > last.begin) last = issue;
    }
    add(path, op_, last.begin);
    at_ = last.rank;
    resume_at_issue(last.op);
  }

  // The path goes on from the op that issued the operation: a start next (it may have waited for a
  // buffer before its issue), a blocking op's predecessor (the op itself is done).
  void resume_at_issue(int issuing) { op_ = op(issuing).kind == OpKind::start ? issuing : issuing - 1; }

  const RunTrace& trace_;
  const OperationIndex& index_;
  const TracedStep& step_;
  int at_ = 0, op_ = 0;  // the cursor: index in trace.ranks, op of that rank's program
  double t_ = 0;
};

}  // namespace

StepPath critical_path(const RunTrace& trace, const OperationIndex& index, const TracedStep& step) {
  return PathWalk(trace, index, step).run();
}

int PathShares::top_rank() const {
  const auto top = std::max_element(of_rank.begin(), of_rank.end(),
                                    [](const auto& a, const auto& b) { return a.second.seconds < b.second.seconds; });
  return top == of_rank.end() ? -1 : top->first;
}

int PathShares::top_node() const {
  const auto top = std::max_element(of_node.begin(), of_node.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
  return top == of_node.end() ? -1 : top->first;
}

void PathShares::add(const RunTrace& trace, const OperationIndex& index, const TracedStep& step) {
  if (step.warmup || step.pass != PassKind::training) return;
  const StepPath path = critical_path(trace, index, step);
  ++steps;
  seconds += path.end;
  for (const auto& segment : path.segments) {
    const double length = segment.end - segment.begin;
    const int node = trace.node_of_rank.at(static_cast<std::size_t>(segment.rank));
    auto& on_path = of_rank[segment.rank];
    on_path.node = node;
    on_path.seconds += length;
    of_node[node] += length;
    if (segment.op < 0) {
      other += length;
      continue;
    }
    const auto& rank = trace.ranks[static_cast<std::size_t>(trace.traced_index(segment.rank))];
    const Op& op = trace.program_of(rank, step.pass).ops[static_cast<std::size_t>(segment.op)];
    if (op.kind == OpKind::compute) {
      compute += length;
    } else {
      of_group[static_cast<std::size_t>(op.group)] += length;
      of_transfer[static_cast<std::size_t>(op.transfer)] += length;
    }
  }
}

PathShares critical_path_shares(const RunTrace& trace) {
  PathShares shares;
  const OperationIndex index(trace.programs);
  for (const auto& step : trace.steps) shares.add(trace, index, step);
  return shares;
}

}  // namespace scaleout::analysis
