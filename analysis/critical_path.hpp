#pragma once
// The critical path of a step: the chain of ops across ranks that decided when the step ended. It is
// walked backwards from the end of the rank that finished last. A compute span passes the path to the
// op before it on the same rank. A wait or blocking operation that blocked ended when the operation
// did, and the operation could not start before the last of its ranks issued it: when a counterpart
// issued later than this rank, the path jumps to that counterpart at its issue (it is who the step
// waited for), else the operation's own time from this rank's issue is on the path. Time between ops
// (the rank's own bookkeeping) is `other`. docs/report.md ("Critical path") gives the rule and its limits.

#include <array>
#include <map>
#include <vector>

#include "analysis/run_trace.hpp"

namespace scaleout::analysis {

// One piece of the path on one rank, [begin, end] from the step's start. op: the op of the rank's
// program that took the time (a wait or blocking op: the operation's transfer, from the later of the
// issues); -1 for time between ops.
struct PathSegment {
  int rank = 0;  // world rank
  int op = -1;
  double begin = 0, end = 0;
};

struct StepPath {
  int step = 0;
  double end = 0;                     // the step's end: the largest step time
  std::vector<PathSegment> segments;  // from the step's end backwards; they cover [0, end]
};

// The path of one step of `trace`; every rank of the job must be traced (RunTrace::ranks), else the
// path stops where it would pass to a rank that is not. `index` is of trace.programs.
StepPath critical_path(const RunTrace& trace, const OperationIndex& index, const TracedStep& step);

// What the paths of the measured steps are made of: seconds on the path, summed over steps, per rank,
// node, group (a communication op's) and kind of op. `compute` and `other` are the parts that are no
// group's; per kind, compute is the compute spans' and each transfer its ops'.
struct PathShares {
  int steps = 0;
  double seconds = 0;  // the steps' ends, summed: every share's denominator
  struct OnPath {
    int node = 0;
    double seconds = 0;
  };
  std::map<int, OnPath> of_rank;  // world rank -> its node and seconds
  std::map<int, double> of_node;  // node -> seconds
  std::array<double, parallelism::group_count> of_group{};
  std::array<double, parallelism::transfer_count> of_transfer{};
  double compute = 0, other = 0;

  double share(double part) const { return seconds > 0 ? part / seconds : 0.0; }
  // Walks `step` of `trace` (a measured training step; others are not counted) and adds its path.
  void add(const RunTrace& trace, const OperationIndex& index, const TracedStep& step);
  // The rank and the node with the most time on the path (-1 without steps).
  int top_rank() const;
  int top_node() const;
};

// The shares of the measured (not warm-up) training steps of `trace`; none when it has no such step.
PathShares critical_path_shares(const RunTrace& trace);

}  // namespace scaleout::analysis
