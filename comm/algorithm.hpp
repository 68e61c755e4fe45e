#pragma once
// Which algorithm moves a collective's bytes: scaleout's own implementations of what the training
// frameworks' libraries run (NCCL's and gloo's rings, NCCL's double binary tree, pairwise all-to-all;
// comm/collective_schedule.hpp), or the MPI library's own collectives (`library`), for people who study their
// MPI. No MPI here: the workload model, the analytical executor and the reports name them too.
//
// `auto` chooses as NCCL does (docs/benchmark.md, "Algorithms"): of the algorithms the collective has,
// the one whose predicted time, a latency per step plus the bytes over a bus bandwidth, is least.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace scaleout::comm {

// The collectives scaleout runs. Broadcast, reduce and sendrecv exist for the benchmark only and
// always run the library's.
enum class CollectiveKind { allreduce, reduce_scatter, allgather, alltoall, broadcast, reduce, sendrecv };
std::string_view name(CollectiveKind kind) noexcept;

// What moved an operation's bytes. `direct`: a point-to-point transfer (a send, a receive, a ring
// shift), which every library runs as one message.
enum class Algorithm { library, ring, tree, pairwise, direct };
inline constexpr int algorithm_count = 5;
std::string_view name(Algorithm algorithm) noexcept;
std::optional<Algorithm> parse_algorithm(std::string_view text) noexcept;
// Whether `algorithm` is one of scaleout's own (ring, tree, pairwise), run on MPI point-to-point.
constexpr bool is_own(Algorithm algorithm) noexcept {
  return algorithm != Algorithm::library && algorithm != Algorithm::direct;
}

// What a user asks for (`comm.algorithm`, `bench --algorithm`).
enum class AlgorithmChoice { automatic, ring, tree, library };
std::string_view name(AlgorithmChoice choice) noexcept;
std::optional<AlgorithmChoice> parse_algorithm_choice(std::string_view text) noexcept;
// Every choice's name, in the enum's order: what the config and `bench --algorithm` accept.
std::span<const std::string_view> algorithm_choice_names() noexcept;

// Where a group's ranks sit, as far as the choice is concerned.
struct Span {
  int ranks = 1;
  int nodes = 1;
};

// The algorithm that runs `kind` of `bytes` (S as the benchmark defines it) over `span` when the user
// asks for `choice`. A choice the collective does not have falls to the one it has: tree exists for
// allreduce only (NCCL's trees reduce and broadcast whole vectors), reduce-scatter and allgather run
// rings, all-to-all runs pairwise.
Algorithm choose_algorithm(AlgorithmChoice choice, CollectiveKind kind, Span span, std::uint64_t bytes) noexcept;

// The rule behind `auto` for allreduce: NCCL's predicted times of its ring and its tree (Simple
// protocol, network between nodes), in seconds; exposed for its tests and docs.
struct AutoEstimate {
  double ring_s = 0, tree_s = 0;
};
AutoEstimate auto_estimate(Span span, std::uint64_t bytes) noexcept;

}  // namespace scaleout::comm
