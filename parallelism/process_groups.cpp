#include "parallelism/process_groups.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace scaleout::parallelism {

ProcessGroups::ProcessGroups(const comm::Communicator& world, const Layout& layout) {
  if (world.size() != layout.world()) {
    throw std::invalid_argument(
        fmt::format("the layout needs {} ranks; the communicator has {}", layout.world(), world.size()));
  }
  for (int c = 0; c < channel_count; ++c) {
    const auto channel = static_cast<Channel>(c);
    const auto group = members(layout, world.rank(), channel);
    // The group's lowest rank names it; the position in the grid orders it.
    const int key = static_cast<int>(std::find(group.begin(), group.end(), world.rank()) - group.begin());
    communicators_[static_cast<std::size_t>(c)] = world.split(*std::min_element(group.begin(), group.end()), key);
  }
}

Groups ProcessGroups::view() const {
  Groups groups;
  for (int c = 0; c < channel_count; ++c) {
    groups.set(static_cast<Channel>(c), communicators_[static_cast<std::size_t>(c)]);
  }
  return groups;
}

}  // namespace scaleout::parallelism
