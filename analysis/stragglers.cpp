#include "analysis/stragglers.hpp"

#include <algorithm>
#include <map>

#include "comm/stats.hpp"

namespace scaleout::analysis {

namespace {
double busy(const StepRow& s) {
  const double exposed = s.exposed_total();
  return s.step_s - exposed - s.bubble_s;
}
double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0.0 : comm::quantile(values, 0.5);
}
}  // namespace

std::vector<StragglerNode> straggler_nodes(const std::vector<Straggler>& stragglers,
                                           const std::vector<int>& node_of_rank) {
  std::map<int, StragglerNode> nodes;
  for (const auto& s : stragglers) {
    if (s.node < 0) continue;
    StragglerNode& node = nodes[s.node];
    node.node = s.node;
    ++node.stragglers;
    node.excess = std::max(node.excess, s.excess);
  }
  std::vector<StragglerNode> list;
  for (auto& [id, node] : nodes) {
    node.ranks = static_cast<int>(std::count(node_of_rank.begin(), node_of_rank.end(), id));
    list.push_back(node);
  }
  std::sort(list.begin(), list.end(),
            [](const StragglerNode& a, const StragglerNode& b) { return a.excess > b.excess; });
  return list;
}

std::vector<Straggler> find_stragglers(const std::vector<StepRow>& rows, const std::vector<int>& node_of_rank,
                                       double threshold, double persistence) {
  std::map<int, std::vector<const StepRow*>> by_step;
  for (const auto& s : rows) by_step[s.step].push_back(&s);
  std::map<int, std::vector<double>> excess_of_rank;  // per rank, its busy time above the median, per step
  for (const auto& [step, rows] : by_step) {
    if (rows.size() < 2) continue;
    std::vector<double> times;
    for (const auto* row : rows) times.push_back(busy(*row));
    const double median = median_of(times);
    for (const auto* row : rows) excess_of_rank[row->rank].push_back(median > 0 ? busy(*row) / median - 1 : 0.0);
  }
  std::vector<Straggler> stragglers;
  for (const auto& [rank, excesses] : excess_of_rank) {
    const auto late = std::count_if(excesses.begin(), excesses.end(), [&](double e) { return e > threshold; });
    const double share = static_cast<double>(late) / static_cast<double>(excesses.size());
    if (share < persistence) continue;
    Straggler s;
    s.rank = rank;
    s.node = static_cast<std::size_t>(rank) < node_of_rank.size() ? node_of_rank[static_cast<std::size_t>(rank)] : -1;
    s.late_share = share;
    // In seconds: the rank's busy time above the median busy time of its steps.
    std::vector<double> seconds;
    for (const auto& [step, rows] : by_step) {
      std::vector<double> times;
      double mine = -1;
      for (const auto* row : rows) {
        times.push_back(busy(*row));
        if (row->rank == rank) mine = busy(*row);
      }
      if (mine >= 0) seconds.push_back(mine - median_of(times));
    }
    s.excess = median_of(seconds);
    stragglers.push_back(s);
  }
  std::sort(stragglers.begin(), stragglers.end(),
            [](const Straggler& a, const Straggler& b) { return a.excess > b.excess; });
  return stragglers;
}

}  // namespace scaleout::analysis
