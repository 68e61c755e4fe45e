#pragma once
// Background traffic for `scaleout fabric --background` (docs/fabric.md "Congestion"): the ranks that
// do not measure load the fabric with one pattern, unit after unit, until the measuring side tells
// them to stop, as GPCNeT's congestors do while its canaries measure. Each rank counts the bytes it
// put on the fabric, so that the load the background achieved is reported beside the slowdown it
// caused ("no congestion" told apart from "did not load the fabric").

#include <cstdint>
#include <optional>
#include <string_view>

#include "comm/communicator.hpp"

namespace scaleout::comm {

// incast: every rank of the team sends to the team's first rank; alltoall: every rank to every other;
// bisection: each rank of the first half with its partner in the second, both ways; allreduce: the MPI
// library's allreduce over the team.
enum class BackgroundPattern { incast, alltoall, bisection, allreduce };
const char* to_string(BackgroundPattern pattern) noexcept;
std::optional<BackgroundPattern> background_pattern(std::string_view name) noexcept;
// "incast, alltoall, bisection, allreduce", for messages.
const char* background_patterns() noexcept;

// Rank `me`'s partner in a bisection of `n` ranks: me + n/2 (mod n); -1 for the last rank when n is
// odd (it rests).
int bisection_partner(int me, int n) noexcept;

// What one background rank did.
struct BackgroundLoad {
  std::uint64_t bytes_sent = 0;  // put on the fabric (allreduce: a ring's 2 (n-1)/n of the vector)
  double seconds = 0.0;          // from its first unit's start to its last unit's end
  std::int64_t units = 0;
};

// Runs on every rank of `team` (the background ranks, at least 2), each unit moving `bytes` per rank
// (alltoall: `bytes` split over the peers), until `leader` (a world rank outside the team) calls
// stop_background. After the first unit the team's first rank tells the leader that the load is on
// (wait_for_background returns). The team agrees after each unit whether to go on.
BackgroundLoad load_fabric(const Communicator& world, const Communicator& team, BackgroundPattern pattern,
                           std::size_t bytes, int leader);
// On the leader: block until the team whose first rank is the world rank `team_first` has completed a
// unit; then tell it to stop (it ends after the unit in flight).
void wait_for_background(const Communicator& world, int team_first);
void stop_background(const Communicator& world, int team_first);

}  // namespace scaleout::comm
