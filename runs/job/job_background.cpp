#include "runs/job/job_background.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "comm/background.hpp"
#include "comm/gather.hpp"
#include "runs/job/signals.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

std::vector<int> choose_background_ranks(std::span<const int> node_of, int per_node,
                                         const BackgroundOptionNames& names) {
  std::map<int, std::vector<int>> ranks_of_node;
  for (std::size_t rank = 0; rank < node_of.size(); ++rank)
    ranks_of_node[node_of[rank]].push_back(static_cast<int>(rank));
  std::vector<int> chosen;
  for (const auto& [node, ranks] : ranks_of_node) {
    if (static_cast<int>(ranks.size()) <= per_node) {
      throw UsageError(fmt::format(
          "{}: {} would leave node {} ({} rank{}) no rank to {}; use fewer, or start more ranks per node (for "
          "example mpirun --map-by ppr:{}:node)",
          names.ranks_per_node, per_node, node, ranks.size(), ranks.size() == 1 ? "" : "s", names.work, per_node + 1));
    }
    chosen.insert(chosen.end(), ranks.end() - per_node, ranks.end());
  }
  if (chosen.size() < 2) {
    throw UsageError(fmt::format(
        "{}: its {} rank (the last of the only node) cannot make traffic alone; it needs at least 2: use {} 2 or "
        "more nodes",
        names.pattern, chosen.size(), names.ranks_per_node));
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::optional<comm::BackgroundTraffic> parse_background(const std::string& pattern, const std::string& size,
                                                        int ranks_per_node) {
  const std::uint64_t bytes = parse_bytes(size, "--background-size");
  if (bytes < sizeof(float) || bytes % sizeof(float) != 0) {
    throw UsageError(
        fmt::format("--background-size: {} is not allowed; it must be a positive multiple of 4 bytes", size));
  }
  if (pattern.empty()) return std::nullopt;
  const auto known = comm::background_pattern(pattern);
  if (!known) {
    throw UsageError(
        fmt::format("--background: '{}' is not a pattern; allowed: {}", pattern, comm::background_patterns()));
  }
  return comm::BackgroundTraffic{.pattern = *known, .unit_bytes = bytes, .ranks_per_node = ranks_per_node};
}

JobBackground::JobBackground(const comm::Communicator& world, const std::optional<comm::BackgroundTraffic>& traffic,
                             const BackgroundOptionNames& names)
    : world_(world), traffic_(traffic) {
  if (!traffic_) return;
  const topology::NodeIdentity identity = topology::identify_node(world);
  const auto node_of = comm::allgather_values(world, identity.node);
  hosts_ = comm::allgather_strings(world, identity.hostname);
  ranks_ = choose_background_ranks(node_of, traffic_->ranks_per_node, names);  // alike on every rank
  for (const int rank : ranks_) node_of_team_.push_back(node_of[static_cast<std::size_t>(rank)]);
  serves_ = std::binary_search(ranks_.begin(), ranks_.end(), world.rank());
  own_side_ = world.split(serves_ ? 1 : 0, world.rank());
}

int JobBackground::serve() const {
  // A stop signal is the foreground's to act on; this rank goes on until it is ended.
  install_stop_handlers();
  const std::string problem = comm::broadcast_string(world_, "", 0);
  if (!problem.empty()) throw UsageError(problem);
  const comm::BackgroundLoad load =
      comm::serve_background(world_, own_side_, traffic_->pattern, traffic_->unit_bytes, 0, node_of_team_);
  (void)comm::gather_values(world_, load, 0);
  return std::stoi(comm::broadcast_string(world_, "", 0));
}

void JobBackground::release(const std::string& problem) const {
  if (active()) (void)comm::broadcast_string(world_, problem, 0);
}

void JobBackground::start() const {
  if (active() && world_.rank() == 0) comm::start_background(world_, ranks_.front());
}

void JobBackground::halt() const {
  if (active() && world_.rank() == 0) comm::halt_background(world_, ranks_.front());
}

std::vector<analysis::BackgroundRank> JobBackground::end() const {
  if (!active()) return {};
  if (world_.rank() == 0) comm::end_background(world_, ranks_.front());
  const auto loads = comm::gather_values(world_, comm::BackgroundLoad{}, 0);
  std::vector<analysis::BackgroundRank> background;
  if (world_.rank() != 0) return background;
  for (const int rank : ranks_) {
    background.push_back({rank, hosts_[static_cast<std::size_t>(rank)], loads[static_cast<std::size_t>(rank)]});
  }
  return background;
}

void JobBackground::share_exit(int status) const {
  if (active()) (void)comm::broadcast_string(world_, std::to_string(status), 0);
}

}  // namespace scaleout::runs
