#include "analysis/fabric_verdict.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "comm/stats.hpp"

namespace scaleout::analysis {

const char* to_string(NodeFault fault) {
  switch (fault) {
    case NodeFault::slower_than_peers: return "slower than its peers";
    case NodeFault::below_expected: return "below the expected rate";
  }
  return "?";
}

namespace {

constexpr double noise_deviations = 3.0;

double at(std::span<const double> bytes_s, int n, int from, int to) {
  return bytes_s[static_cast<std::size_t>(from) * static_cast<std::size_t>(n) + static_cast<std::size_t>(to)];
}

// A participant's figure: the median of every direction it took part in.
double figure_of(std::span<const double> bytes_s, int n, int k) {
  std::vector<double> own;
  for (int peer = 0; peer < n; ++peer) {
    if (peer == k) continue;
    own.push_back(at(bytes_s, n, k, peer));
    own.push_back(at(bytes_s, n, peer, k));
  }
  return comm::median_of_measured(std::move(own));
}

// 1.4826 x the median absolute deviation: the standard deviation of normal noise, robustly.
double robust_spread(const std::vector<double>& values, double centre) {
  std::vector<double> deviations;
  for (const double v : values) {
    if (!std::isnan(v)) deviations.push_back(std::abs(v - centre));
  }
  return 1.4826 * comm::median_of_measured(std::move(deviations));
}

// Both large (below `threshold` x the reference) and beyond the noise (more than `noise_deviations`
// robust deviations of its kind below the reference).
bool falls_short(double value, double reference, double spread, double threshold) {
  return value < threshold * reference && reference - value > noise_deviations * spread;
}

void find_nodes(FabricVerdict& verdict, const FabricJudging& judging) {
  const double spread = robust_spread(verdict.figure_bytes_s, verdict.reference_bytes_s);
  for (int k = 0; k < static_cast<int>(verdict.figure_bytes_s.size()); ++k) {
    const double figure = verdict.figure_bytes_s[static_cast<std::size_t>(k)];
    if (std::isnan(figure)) continue;
    if (falls_short(figure, verdict.reference_bytes_s, spread, judging.threshold)) {
      verdict.nodes.push_back({k, figure, figure / verdict.reference_bytes_s, NodeFault::slower_than_peers});
    } else if (judging.expected_bytes_s && figure < judging.threshold * *judging.expected_bytes_s) {
      verdict.nodes.push_back({k, figure, figure / *judging.expected_bytes_s, NodeFault::below_expected});
    }
  }
  std::sort(verdict.nodes.begin(), verdict.nodes.end(),
            [](const NodeFinding& x, const NodeFinding& y) { return x.share < y.share; });
}

// A slow direction names its pair unless a slow end explains it: the direction is no slower than
// `threshold` x that end's own figure.
void find_pairs(FabricVerdict& verdict, std::span<const double> bytes_s, int n, const FabricJudging& judging) {
  std::vector<double> slow_figure(static_cast<std::size_t>(n), std::nan(""));
  std::vector<bool> slower_than_peers(static_cast<std::size_t>(n), false);
  for (const NodeFinding& node : verdict.nodes) {
    slow_figure[static_cast<std::size_t>(node.index)] = node.bytes_s;
    slower_than_peers[static_cast<std::size_t>(node.index)] = node.fault == NodeFault::slower_than_peers;
  }
  const auto explained = [&](int end, double value) {
    const double figure = slow_figure[static_cast<std::size_t>(end)];
    return !std::isnan(figure) && value >= judging.threshold * figure;
  };
  // The noise of the directions between participants not slower than their peers (a fabric below the
  // expected rate everywhere still has its spread, and a bad cable in it is still named).
  std::vector<double> healthy;
  for (int from = 0; from < n; ++from) {
    for (int to = 0; to < n; ++to) {
      if (from != to && !slower_than_peers[static_cast<std::size_t>(from)] &&
          !slower_than_peers[static_cast<std::size_t>(to)]) {
        healthy.push_back(at(bytes_s, n, from, to));
      }
    }
  }
  verdict.mad_bytes_s = robust_spread(healthy, comm::median_of_measured(healthy)) / 1.4826;
  const double spread = 1.4826 * verdict.mad_bytes_s;
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      const double forth = at(bytes_s, n, a, b), back = at(bytes_s, n, b, a);
      const double slower = std::isnan(forth) ? back : std::isnan(back) ? forth : std::min(forth, back);
      if (std::isnan(slower) || !falls_short(slower, verdict.reference_bytes_s, spread, judging.threshold)) continue;
      if (explained(a, slower) || explained(b, slower)) continue;
      verdict.pairs.push_back({a, b, forth, back, slower / verdict.reference_bytes_s});
    }
  }
  std::sort(verdict.pairs.begin(), verdict.pairs.end(),
            [](const PairFinding& x, const PairFinding& y) { return x.share < y.share; });
}

// The switch rule (fabric_verdict.hpp). Directions that touch a named participant or pair are left out
// of what the switches are judged against, so that a slow node or cable is not taken for a switch.
class SwitchJudge {
 public:
  SwitchJudge(const FabricVerdict& verdict, std::span<const double> bytes_s, int n, std::span<const int> switch_of)
      : bytes_s_(bytes_s), n_(n), switch_of_(switch_of), named_(static_cast<std::size_t>(n), false) {
    for (const NodeFinding& node : verdict.nodes) named_[static_cast<std::size_t>(node.index)] = true;
    for (const PairFinding& pair : verdict.pairs) named_pairs_.insert({pair.a, pair.b});
  }

  void judge(FabricVerdict& verdict, double threshold) {
    std::vector<double> inside;
    for (int a = 0; a < n_; ++a) {
      for (int b = 0; b < n_; ++b) {
        if (a != b && same_switch(a, b) && !named_[index(a)] && !named_[index(b)] && !named_pair(a, b)) {
          inside.push_back(at(bytes_s_, n_, a, b));
        }
      }
    }
    verdict.inside_switch_bytes_s = comm::median_of_measured(inside);
    reference_ = verdict.inside_switch_bytes_s;
    if (std::isnan(reference_)) return;
    spread_ = robust_spread(inside, reference_);
    std::set<int> holding;
    for (int k = 0; k < n_; ++k) {
      if (switch_of_[index(k)] >= 0) holding.insert(switch_of_[index(k)]);
    }
    std::vector<SwitchFinding> slow;
    for (const int s : holding) {
      if (const auto leaving = slow_leaving(s, threshold)) slow.push_back({s, *leaving, *leaving / reference_});
    }
    // Every switch slow alike: no one switch's uplinks can be told from the rest.
    if (slow.size() >= 2 && slow.size() == holding.size()) {
      std::vector<double> crossing;
      for (int a = 0; a < n_; ++a) {
        for (int b = 0; b < n_; ++b) {
          if (a != b && usable_across(a, b)) crossing.push_back(at(bytes_s_, n_, a, b));
        }
      }
      const double between = comm::median_of_measured(crossing);
      slow = {{-1, between, between / reference_}};
    }
    // A named switch explains its members' slowness to their peers.
    std::erase_if(verdict.nodes, [&](const NodeFinding& node) {
      const int s = switch_of_[index(node.index)];
      return node.fault == NodeFault::slower_than_peers && s >= 0 &&
             std::any_of(slow.begin(), slow.end(),
                         [&](const SwitchFinding& f) { return f.switch_index == s || f.switch_index == -1; });
    });
    verdict.switches = std::move(slow);
  }

 private:
  std::size_t index(int k) const { return static_cast<std::size_t>(k); }
  bool same_switch(int a, int b) const {
    return switch_of_[index(a)] >= 0 && switch_of_[index(a)] == switch_of_[index(b)];
  }
  bool named_pair(int a, int b) const { return named_pairs_.contains({std::min(a, b), std::max(a, b)}); }
  // Between two known switches, neither end nor the pair named.
  bool usable_across(int a, int b) const {
    return switch_of_[index(a)] >= 0 && switch_of_[index(b)] >= 0 && !same_switch(a, b) && !named_[index(a)] &&
           !named_[index(b)] && !named_pair(a, b);
  }

  // The median of the directions leaving switch `s` when every member of it (2 or more) is slow to the
  // rest and not inside; none otherwise. A member may itself be named: that is what is judged.
  std::optional<double> slow_leaving(int s, double threshold) const {
    std::vector<int> members;
    for (int k = 0; k < n_; ++k) {
      if (switch_of_[index(k)] == s) members.push_back(k);
    }
    if (members.size() < 2) return std::nullopt;
    std::vector<double> all_leaving;
    for (const int m : members) {
      std::vector<double> leaving, inside;
      for (int peer = 0; peer < n_; ++peer) {
        if (peer == m || named_pair(m, peer)) continue;
        const int its = switch_of_[index(peer)];
        if (its == s) {
          inside.push_back(at(bytes_s_, n_, m, peer));
          inside.push_back(at(bytes_s_, n_, peer, m));
        } else if (its >= 0 && !named_[index(peer)]) {
          leaving.push_back(at(bytes_s_, n_, m, peer));
          leaving.push_back(at(bytes_s_, n_, peer, m));
        }
      }
      const double out = comm::median_of_measured(leaving), in = comm::median_of_measured(inside);
      if (std::isnan(out) || std::isnan(in) || !falls_short(out, reference_, spread_, threshold) ||
          falls_short(in, reference_, spread_, threshold)) {
        return std::nullopt;
      }
      all_leaving.insert(all_leaving.end(), leaving.begin(), leaving.end());
    }
    return comm::median_of_measured(all_leaving);
  }

  std::span<const double> bytes_s_;
  int n_;
  std::span<const int> switch_of_;
  std::vector<bool> named_;
  std::set<std::pair<int, int>> named_pairs_;
  double reference_ = 0.0, spread_ = 0.0;
};

}  // namespace

FabricVerdict judge_fabric(std::span<const double> bytes_s, int n, const FabricJudging& judging,
                           std::span<const int> switch_of) {
  FabricVerdict verdict;
  std::vector<double> directions;
  for (int from = 0; from < n; ++from) {
    for (int to = 0; to < n; ++to) {
      if (from != to && !std::isnan(at(bytes_s, n, from, to))) directions.push_back(at(bytes_s, n, from, to));
    }
  }
  if (directions.empty()) return verdict;
  verdict.median_bytes_s = comm::median_of_measured(directions);
  for (int k = 0; k < n; ++k) verdict.figure_bytes_s.push_back(figure_of(bytes_s, n, k));
  verdict.reference_bytes_s = comm::median_of_measured(verdict.figure_bytes_s);
  find_nodes(verdict, judging);
  find_pairs(verdict, bytes_s, n, judging);
  verdict.inside_switch_bytes_s = std::nan("");
  if (static_cast<int>(switch_of.size()) == n)
    SwitchJudge(verdict, bytes_s, n, switch_of).judge(verdict, judging.threshold);
  return verdict;
}

std::vector<std::pair<int, int>> suspect_pairs(const FabricVerdict& verdict, int n, std::span<const int> switch_of) {
  std::set<std::pair<int, int>> seen;
  std::vector<std::pair<int, int>> pairs;
  const auto add = [&](int a, int b) {
    const std::pair<int, int> pair{std::min(a, b), std::max(a, b)};
    if (seen.insert(pair).second) pairs.push_back(pair);
  };
  for (const NodeFinding& node : verdict.nodes) {
    for (int peer = 0; peer < n; ++peer) {
      if (peer != node.index) add(peer, node.index);
    }
  }
  for (const PairFinding& pair : verdict.pairs) add(pair.a, pair.b);
  for (const SwitchFinding& found : verdict.switches) {
    // Each member's peers outside (every switch's members across switches for -1), taken in turns.
    std::vector<int> members;
    std::vector<std::vector<int>> outside;  // per member
    std::size_t longest = 0;
    for (int a = 0; a < n; ++a) {
      const int s = switch_of[static_cast<std::size_t>(a)];
      if (s < 0 || (found.switch_index >= 0 && s != found.switch_index)) continue;
      std::vector<int> peers;
      for (int b = 0; b < n; ++b) {
        const int t = switch_of[static_cast<std::size_t>(b)];
        if (t >= 0 && t != s) peers.push_back(b);
      }
      longest = std::max(longest, peers.size());
      members.push_back(a);
      outside.push_back(std::move(peers));
    }
    for (std::size_t turn = 0; turn < longest; ++turn) {
      for (std::size_t m = 0; m < members.size(); ++m) {
        if (turn < outside[m].size()) add(members[m], outside[m][turn]);
      }
    }
  }
  return pairs;
}

}  // namespace scaleout::analysis
