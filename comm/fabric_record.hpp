#pragma once
// What `scaleout fabric` measures between pairs of ranks, as plain data (no MPI), so the verdicts
// (analysis/fabric_verdict.hpp), the log writer and the reporters read it without the MPI library.
// The schedule: rounds of disjoint pairs, every pair of participants once (a round-robin tournament,
// the circle method: n - 1 rounds for n even, n for n odd, one participant resting in each).

#include <cstdint>
#include <utility>
#include <vector>

namespace scaleout::comm {

// One round: pairs of participant indices, no index twice.
using PairRound = std::vector<std::pair<int, int>>;

// Every pair of 0..n-1 exactly once, in n - 1 rounds (n even) or n (n odd): participant 0 stays, the
// others turn one place per round. Empty for n < 2.
std::vector<PairRound> round_robin(int n);

struct FabricOptions {
  std::vector<std::uint64_t> sizes;  // bytes each way per exchange, ascending
  int iterations = 10;               // measured exchanges per pair and size
  int warmup = 2;                    // exchanges run first and not measured
  // Each way's payload goes as messages of at most this many bytes, all posted at once (a window,
  // as OSU's osu_bibw keeps). Messages that need a rendezvous make Open MPI's TCP transport run the
  // two directions in turn: between two virtual nodes, 4 MiB as four 1 MiB messages took exactly
  // twice as long one way as the other, 4 MiB as 32 KiB messages (eager: under the 64 KiB limit)
  // the same both ways (docs/fabric.md).
  std::uint64_t message_bytes = std::uint64_t{32} << 10;
};

// The samples of one run of rounds over `participants` (world ranks; index k is participant k).
// receive_s[size][from][to][iteration]: seconds from `to`'s start (after a zero-byte handshake, before
// it told `from` to go) until `to` had received `size` bytes from `from`, while `to` sent as many to
// `from` (both directions at once); round_trip_s[a][b][iteration]: an 8-byte ping-pong's round trip, the same both
// ways. Entries of pairs not measured are NaN.
struct FabricSamples {
  std::vector<int> participants;
  std::vector<std::uint64_t> sizes;
  int iterations = 0;
  std::uint64_t message_bytes = 0;  // the largest message of an exchange (FabricOptions)
  std::vector<double> receive_s;
  std::vector<double> round_trip_s;
  std::vector<int> round_of;  // [a][b]: the round that measured the pair; -1 when none did
  double elapsed_s = 0.0;     // wall time of every round (rank 0's clock)

  int count() const noexcept { return static_cast<int>(participants.size()); }
  std::size_t receive_index(std::size_t size, int from, int to, int iteration) const noexcept;
  std::size_t round_trip_index(int a, int b, int iteration) const noexcept;
  // The median receive time of `from` -> `to` at size index `size`; NaN when not measured.
  double median_receive_s(std::size_t size, int from, int to) const;
  // Half the median round trip: the one-way latency; NaN when not measured.
  double latency_s(int a, int b) const;
};

// An empty record shaped for `participants`, `sizes` and `iterations` (every sample NaN).
FabricSamples empty_samples(std::vector<int> participants, std::vector<std::uint64_t> sizes, int iterations);

}  // namespace scaleout::comm
