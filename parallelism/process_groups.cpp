#include "parallelism/process_groups.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "parallelism/algorithms.hpp"

namespace scaleout::parallelism {

ProcessGroups::ProcessGroups(const comm::Communicator& world, const Layout& layout,
                             const std::vector<int>& node_of_rank, comm::Chunking chunking) {
  if (world.size() != layout.world()) {
    throw std::invalid_argument(
        fmt::format("the layout needs {} ranks; the communicator has {}", layout.world(), world.size()));
  }
  if (node_of_rank.size() != static_cast<std::size_t>(world.size())) {
    throw std::invalid_argument(
        fmt::format("{} nodes given for a communicator of {} ranks", node_of_rank.size(), world.size()));
  }
  for (int c = 0; c < channel_count; ++c) {
    const auto channel = static_cast<Channel>(c);
    const auto group = members(layout, world.rank(), channel);
    // The group's lowest rank names it; the position in the grid orders it.
    const int key = static_cast<int>(std::find(group.begin(), group.end(), world.rank()) - group.begin());
    communicators_[static_cast<std::size_t>(c)] = world.split(*std::min_element(group.begin(), group.end()), key);
    algorithms_[static_cast<std::size_t>(c)] =
        std::make_unique<comm::AlgorithmComm>(communicators_[static_cast<std::size_t>(c)],
                                              group_nodes(layout, world.rank(), channel, node_of_rank), chunking);
  }
}

void ProcessGroups::model_intra_node(comm::DeviceLinks& links) {
  for (auto& prepared : algorithms_) prepared->model_intra_node(links);
}

Groups ProcessGroups::view() const {
  Groups groups;
  for (int c = 0; c < channel_count; ++c) {
    groups.set(static_cast<Channel>(c), communicators_[static_cast<std::size_t>(c)],
               *algorithms_[static_cast<std::size_t>(c)]);
  }
  return groups;
}

}  // namespace scaleout::parallelism
