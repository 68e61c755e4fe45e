#pragma once
// Background traffic for `scaleout fabric --background` (docs/fabric.md "Congestion") and a run's
// emulation.background (docs/run.md "Background traffic"): the ranks that
// do not measure load the fabric with one pattern, unit after unit, until the measuring side tells
// them to stop, as GPCNeT's congestors do while its canaries measure. Each rank counts the bytes it
// put on the fabric, so that the load the background achieved is reported beside the slowdown it
// caused ("no congestion" told apart from "did not load the fabric").

#include <cstddef>
#include <span>

#include "comm/background_record.hpp"
#include "comm/communicator.hpp"

namespace scaleout::comm {

// Runs on every rank of `team` (the background ranks, at least 2), each unit moving `bytes` per rank
// (alltoall: `bytes` split into one block per team rank, itself included, as MPI_Alltoall does);
// `node_of[k]` is the node of team rank k, so that only bytes between nodes are counted. Until
// `leader` (a world rank outside the team) calls
// stop_background. After the first unit the team's first rank tells the leader that the load is on
// (wait_for_background returns). The team agrees after each unit whether to go on.
BackgroundLoad load_fabric(const Communicator& world, const Communicator& team, BackgroundPattern pattern,
                           std::size_t bytes, int leader, std::span<const int> node_of);
// On the leader: block until the team whose first rank is the world rank `team_first` has completed a
// unit; then tell it to stop (it ends after the unit in flight).
void wait_for_background(const Communicator& world, int team_first);
void stop_background(const Communicator& world, int team_first);

// A job's background (a run's emulation.background, bench --background), on every rank of `team`: idle
// until the leader starts it, then load_fabric until the leader stops it, again and again until the
// leader ends it. The load summed over the loaded periods (its seconds are theirs, not the idle ones).
BackgroundLoad serve_background(const Communicator& world, const Communicator& team, BackgroundPattern pattern,
                                std::size_t bytes, int leader, std::span<const int> node_of);
// On the leader of a served team: start returns once the team has completed a unit; halt once every
// team rank has stopped (no byte of the background is in flight after it); end lets serve_background
// return.
void start_background(const Communicator& world, int team_first);
void halt_background(const Communicator& world, int team_first);
void end_background(const Communicator& world, int team_first);

}  // namespace scaleout::comm
