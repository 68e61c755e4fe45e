#pragma once
// Stragglers: ranks that are persistently slower than the others, so that the others wait for them.
// In a synchronous step every rank ends together (its collectives wait for the slowest), so a
// straggler shows in its busy time (step − exposed − bubble: what it spent computing and on its own
// work), not in its step time. docs/report.md gives the rule.

#include <string>
#include <vector>

#include "analysis/scaling.hpp"

namespace scaleout::analysis {

struct Straggler {
  int rank = 0;
  int node = -1;          // the rank's node, when known
  double late_share = 0;  // of the measured steps, those in which it was late
  double excess = 0;      // median over steps of its busy time above the ranks' median: what it costs the step
};

// The nodes of the stragglers, each with how many of its ranks are (all of a node's: the node is slow;
// one of many: the rank is), worst first.
struct StragglerNode {
  int node = -1;
  int stragglers = 0, ranks = 0;  // of the node's ranks
  double excess = 0;              // the largest of its stragglers'
};
std::vector<StragglerNode> straggler_nodes(const std::vector<Straggler>& stragglers,
                                           const std::vector<int>& node_of_rank);

// A rank is a straggler when its busy time exceeds the median over ranks by more than `threshold`
// (relative) in at least `persistence` of the steps. `node_of_rank` may be empty.
std::vector<Straggler> find_stragglers(const std::vector<StepRow>& rows, const std::vector<int>& node_of_rank,
                                       double threshold = 0.05, double persistence = 0.8);

}  // namespace scaleout::analysis
