#pragma once
// Who is at fault in a fabric (docs/fabric.md "Verdicts"): from the bandwidth every pair of
// participants reached each way, the participants (nodes, or one rail of them) and the pairs that fall
// below a share of what their peers reach, or of the rate the fabric should give.
//
// Each participant's figure is the median of every direction it took part in (to and from each peer),
// so one bad cable does not make its node look slow; the reference is the median of those figures, so
// fewer than half the participants being slow does not move it (the median of all pairs would: with
// one slow node of four, half the pairs touch it). A participant below `threshold` x the reference is
// slow to all its peers: its NIC, its host, or its own link. A direction below `threshold` x the
// reference whose ends are not slow, or that is slower still than its slow end, names its pair: a
// cable or a path. Either must also lie beyond the noise: more than 3 robust deviations (1.4826 x the
// median absolute deviation, MAD) of its kind below the reference (the participants' figures for a
// participant, the directions between participants not slower than their peers for a pair), so that the spread of a
// noisy host does not name a pair. With an expected rate, a participant below `threshold` x that rate
// is named too. With 2 participants the two figures are one: only the expected rate can judge them.
//
// With the leaf switch of each participant (Slurm's topology.conf), a switch whose links to the rest
// are slow is named, and its members are not: every member of a switch of 2 or more reaches the others
// (not named, over no named pair) below `threshold` x, and beyond the noise of, the directions inside
// switches (between members of one switch, none named), while it reaches its own switch's members
// above that. When every switch holding participants is named alike, the fault is between them (the
// spine, or every uplink) and one finding says so. A switch of one participant cannot be told from its
// node.

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace scaleout::analysis {

struct FabricJudging {
  double threshold = 0.8;                  // a share of the reference (and of the expected rate)
  std::optional<double> expected_bytes_s;  // per direction; none: judged against the peers only
};

enum class NodeFault { slower_than_peers, below_expected };
const char* to_string(NodeFault fault);

struct NodeFinding {
  int index = 0;
  double bytes_s = 0.0;  // its figure
  double share = 0.0;    // of the reference, or of the expected rate (below_expected)
  NodeFault fault = NodeFault::slower_than_peers;
};

struct PairFinding {
  int a = 0, b = 0;                       // a < b
  double a_to_b_s = 0.0, b_to_a_s = 0.0;  // bytes per second each way
  double share = 0.0;                     // the slower direction over the reference
};

struct SwitchFinding {
  int switch_index = 0;  // the switch whose links to the rest are slow; -1: every switch's (between them)
  double bytes_s = 0.0;  // the median of the directions leaving it (crossing between switches for -1)
  double share = 0.0;    // of the median inside switches
};

struct FabricVerdict {
  double median_bytes_s = 0.0;         // over every measured direction
  double mad_bytes_s = 0.0;            // over the directions between participants not slower than peers
  double reference_bytes_s = 0.0;      // the median of the participants' figures
  std::vector<double> figure_bytes_s;  // per participant
  std::vector<NodeFinding> nodes;      // slowest first
  std::vector<PairFinding> pairs;      // slowest first
  double inside_switch_bytes_s = 0.0;  // the median inside switches; NaN without switches to judge
  std::vector<SwitchFinding> switches;
  bool healthy() const noexcept { return nodes.empty() && pairs.empty() && switches.empty(); }
};

// `bytes_s[from * n + to]`: bytes per second from `from` to `to`; NaN where not measured. `switch_of`
// (empty, or one entry per participant): the index of its leaf switch, -1 for none known.
FabricVerdict judge_fabric(std::span<const double> bytes_s, int n, const FabricJudging& judging,
                           std::span<const int> switch_of = {});

// The pairs to measure again, alone, before anything is named: every pair of a named participant and
// every named pair, each once (a < b), the slowest participant's first, then the pairs slowest first;
// then (with `switch_of`) the pairs that leave each named switch (across switches for -1), each member
// in turn with its next peer outside, so that a budget that cuts the list still covers every member.
std::vector<std::pair<int, int>> suspect_pairs(const FabricVerdict& verdict, int n,
                                               std::span<const int> switch_of = {});

}  // namespace scaleout::analysis
