#pragma once
// The communicators of a layout, made by splitting a duplicate of the world: one per channel
// (dp, tp, pp, ep, cp, expert dp), each ordered by the grid (members() in layout.hpp), and owned
// here for the life of the run.

#include <array>

#include "comm/communicator.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/mpi_executor.hpp"

namespace scaleout::parallelism {

class ProcessGroups {
 public:
  // Collective over `world`, whose size must be layout.world().
  ProcessGroups(const comm::Communicator& world, const Layout& layout);
  ProcessGroups(const ProcessGroups&) = delete;
  ProcessGroups& operator=(const ProcessGroups&) = delete;

  Groups view() const;
  const comm::Communicator& operator[](Channel channel) const {
    return communicators_[static_cast<std::size_t>(channel)];
  }

 private:
  std::array<comm::Communicator, channel_count> communicators_;
};

}  // namespace scaleout::parallelism
