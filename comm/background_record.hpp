#pragma once
// What `scaleout fabric --background`, `bench --background` and a run's emulation.background load the
// fabric with and what each background rank did, without MPI: the analysis and the log read these (comm/background.hpp
// runs the load).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scaleout::comm {

// incast: every rank of the team sends to the team's first rank; alltoall: every rank to every other;
// bisection: each rank of the first half with its partner in the second, both ways; allreduce: the MPI
// library's allreduce over the team.
enum class BackgroundPattern { incast, alltoall, bisection, allreduce };
const char* to_string(BackgroundPattern pattern) noexcept;
std::optional<BackgroundPattern> background_pattern(std::string_view name) noexcept;
// "incast, alltoall, bisection, allreduce", for messages.
const char* background_patterns() noexcept;
// The same names, one per pattern, for an option's choices.
std::vector<std::string> background_pattern_names();

// Rank `me`'s partner in a bisection of `n` ranks: me + n/2 (mod n); -1 for the last rank when n is
// odd (it rests).
int bisection_partner(int me, int n) noexcept;

// What a job's background is asked to make (a run's emulation.background, bench --background): the
// pattern, made by the last `ranks_per_node` ranks of every node, `unit_bytes` per background rank and
// unit (runs/job/job_background.hpp).
struct BackgroundTraffic {
  BackgroundPattern pattern = BackgroundPattern::alltoall;
  std::uint64_t unit_bytes = 0;
  int ranks_per_node = 1;
};

// What one background rank did: the bytes it sent to and received from ranks on other nodes (what
// crossed its node's link; an allreduce counts a ring's 2 (n-1)/n of the vector both ways, whatever
// algorithm the library chose).
struct BackgroundLoad {
  std::uint64_t bytes_sent = 0, bytes_received = 0;
  double seconds = 0.0;  // from its first unit's start to its last unit's end
  std::int64_t units = 0;
};

}  // namespace scaleout::comm
