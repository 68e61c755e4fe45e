#pragma once
// The communicators of a layout, made by splitting a duplicate of the world: one per channel
// (dp, tp, pp, ep, cp, expert dp), each ordered by the grid (members() in layout.hpp) and prepared
// for scaleout's own algorithms on the nodes its ranks sit on, and owned here for the life of the run.

#include <array>
#include <memory>
#include <vector>

#include "comm/collective_run.hpp"
#include "comm/communicator.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/mpi_executor.hpp"

namespace scaleout::parallelism {

class ProcessGroups {
 public:
  // Collective over `world`, whose size must be layout.world(); `node_of_rank` holds the node of
  // every world rank, alike on every rank.
  ProcessGroups(const comm::Communicator& world, const Layout& layout, const std::vector<int>& node_of_rank,
                comm::Chunking chunking = {});
  ProcessGroups(const ProcessGroups&) = delete;
  ProcessGroups& operator=(const ProcessGroups&) = delete;

  // Hops between ranks of one node in every group are modelled on `links` from now on (device_links.hpp),
  // which must outlive the groups. Collective over the world.
  void model_intra_node(comm::DeviceLinks& links);

  Groups view() const;
  const comm::Communicator& operator[](Channel channel) const {
    return communicators_[static_cast<std::size_t>(channel)];
  }

 private:
  std::array<comm::Communicator, channel_count> communicators_;
  std::array<std::unique_ptr<comm::AlgorithmComm>, channel_count> algorithms_;
};

}  // namespace scaleout::parallelism
