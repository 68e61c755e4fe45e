#include "parallelism/layout.hpp"

#include <fmt/format.h>

#include <set>
#include <stdexcept>

namespace scaleout::parallelism {

const char* to_string(Schedule schedule) {
  switch (schedule) {
    case Schedule::gpipe: return "gpipe";
    case Schedule::one_f_one_b: return "1f1b";
    case Schedule::interleaved: return "interleaved";
  }
  return "?";
}

const char* to_string(Channel channel) {
  switch (channel) {
    case Channel::dp: return "dp";
    case Channel::tp: return "tp";
    case Channel::pp: return "pp";
    case Channel::ep: return "ep";
    case Channel::cp: return "cp";
    case Channel::expert_dp: return "expert dp";
    case Channel::embedding: return "embedding";
  }
  return "?";
}

Channel channel_of(const Op& op) {
  switch (op.group) {
    case Group::dp: return op.expert ? Channel::expert_dp : Channel::dp;
    case Group::tp: return Channel::tp;
    case Group::pp: return op.embedding ? Channel::embedding : Channel::pp;
    case Group::ep: return Channel::ep;
    case Group::cp: return Channel::cp;
  }
  return Channel::dp;
}

const char* to_string(Recompute recompute) {
  switch (recompute) {
    case Recompute::none: return "none";
    case Recompute::selective: return "selective";
    case Recompute::full: return "full";
  }
  return "none";
}

std::string describe(const Layout& l) {
  std::string text = fmt::format("dp {}", l.dp);
  if (l.tp > 1) text += fmt::format(" x tp {}{}", l.tp, l.sequence_parallel ? " (sp)" : "");
  if (l.cp > 1) text += fmt::format(" x cp {}", l.cp);
  if (l.pp > 1) {
    text += fmt::format(" x pp {} ({}{})", l.pp, to_string(l.schedule),
                        l.virtual_stages > 1 ? fmt::format(", {} chunks", l.virtual_stages) : "");
  }
  if (l.ep > 1) text += fmt::format(", ep {}", l.ep);
  if (l.zero_stage > 0) text += fmt::format(", zero {}", l.zero_stage);
  if (l.recompute != Recompute::none) text += fmt::format(", {} recompute", to_string(l.recompute));
  return text;
}

GridPosition position_of(const Layout& l, int rank) {
  if (rank < 0 || rank >= l.world()) throw std::out_of_range(fmt::format("rank {} is outside the grid", rank));
  GridPosition p;
  p.rank = rank;
  p.tp = rank % l.tp;
  p.cp = rank / l.tp % l.cp;
  p.dp = rank / (l.tp * l.cp) % l.dp;
  p.pp = rank / (l.tp * l.cp * l.dp);
  p.ep = p.dp % l.ep;
  return p;
}

int rank_at(const Layout& l, int dp, int tp, int pp, int cp) { return ((pp * l.dp + dp) * l.cp + cp) * l.tp + tp; }

int channel_size(const Layout& l, Channel channel) {
  switch (channel) {
    case Channel::tp: return l.tp;
    case Channel::cp: return l.cp;
    case Channel::pp: return l.pp;
    case Channel::dp: return l.gradient_group_size();
    case Channel::ep: return l.ep;
    case Channel::expert_dp: return l.expert_gradient_group_size();
    case Channel::embedding: return l.pp > 1 ? 2 : 1;  // on the first and the last stage
  }
  return 1;
}

std::vector<int> members(const Layout& l, int rank, Channel channel) {
  const GridPosition p = position_of(l, rank);
  std::vector<int> ranks;
  switch (channel) {
    case Channel::tp:
      for (int t = 0; t < l.tp; ++t) ranks.push_back(rank_at(l, p.dp, t, p.pp, p.cp));
      break;
    case Channel::cp:
      for (int c = 0; c < l.cp; ++c) ranks.push_back(rank_at(l, p.dp, p.tp, p.pp, c));
      break;
    case Channel::pp:
      for (int s = 0; s < l.pp; ++s) ranks.push_back(rank_at(l, p.dp, p.tp, s, p.cp));
      break;
    case Channel::dp:  // gradients: every DP and CP rank of this (tp, pp) position
      for (int d = 0; d < l.dp; ++d) {
        for (int c = 0; c < l.cp; ++c) ranks.push_back(rank_at(l, d, p.tp, p.pp, c));
      }
      break;
    case Channel::ep: {
      const int first = p.dp / l.ep * l.ep;
      for (int d = first; d < first + l.ep; ++d) ranks.push_back(rank_at(l, d, p.tp, p.pp, p.cp));
      break;
    }
    case Channel::expert_dp:
      for (int d = p.dp % l.ep; d < l.dp; d += l.ep) {
        for (int c = 0; c < l.cp; ++c) ranks.push_back(rank_at(l, d, p.tp, p.pp, c));
      }
      break;
    case Channel::embedding:
      if (l.pp > 1 && (p.pp == 0 || p.pp == l.pp - 1)) {
        ranks = {rank_at(l, p.dp, p.tp, 0, p.cp), rank_at(l, p.dp, p.tp, l.pp - 1, p.cp)};
      } else {
        ranks = {rank};
      }
      break;
  }
  return ranks;
}

std::vector<PlacementWarning> placement_warnings(const Layout& l, const std::vector<int>& node_of_rank) {
  std::vector<PlacementWarning> warnings;
  for (const Channel channel : {Channel::tp, Channel::cp}) {
    const int size = channel == Channel::tp ? l.tp : l.cp;
    if (size == 1) continue;
    std::set<int> leaders;
    int spanning = 0;
    for (int rank = 0; rank < l.world(); ++rank) {
      const auto group = members(l, rank, channel);
      if (!leaders.insert(group.front()).second) continue;
      std::set<int> nodes;
      for (const int member : group) nodes.insert(node_of_rank.at(static_cast<std::size_t>(member)));
      if (nodes.size() > 1) ++spanning;
    }
    if (spanning == 0) continue;
    const int groups = static_cast<int>(leaders.size());
    warnings.push_back(
        {channel, groups, spanning,
         fmt::format("{} of {} {} groups (of {} ranks) span nodes: their {} traffic crosses the network; place at "
                     "least {} ranks on each node, or lower parallel.{}",
                     spanning, groups, to_string(channel), size, to_string(channel),
                     channel == Channel::tp ? l.tp : l.tp * l.cp, to_string(channel))});
  }
  return warnings;
}

std::vector<int> divisors(int n) {
  std::vector<int> result;
  for (int d = 1; d <= n; ++d) {
    if (n % d == 0) result.push_back(d);
  }
  return result;
}

}  // namespace scaleout::parallelism
