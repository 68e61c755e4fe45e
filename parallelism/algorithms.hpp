#pragma once
// Which algorithm moves each communication op of a program (comm/algorithm.hpp): chosen per op from
// the user's choice (comm.algorithm), the collective, its size and where its group's ranks sit. Both
// executors choose the same way, the MPI one on the job's real placement and the analytical one on the
// placement it predicts, so a program runs and is costed with the same algorithms; the run log keeps
// the choice of every op (/program, column algorithm).

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "comm/algorithm.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"

namespace scaleout::parallelism {

// How many ranks and nodes each channel's group spans around one rank.
using ChannelSpans = std::array<comm::Span, channel_count>;

// The node of each member of `rank`'s group on `channel`, in group order, from the node of every world
// rank.
std::vector<int> group_nodes(const Layout& layout, int rank, Channel channel, const std::vector<int>& node_of_rank);
ChannelSpans group_spans(const Layout& layout, int rank, const std::vector<int>& node_of_rank);

// The collective an op's transfer is; exchange, send and receive are point-to-point (none).
std::optional<comm::CollectiveKind> collective_of(Transfer transfer) noexcept;

// The tier `op` crosses from `rank` of its group, whose members sit on `node_of_rank`: the network
// when any hop of the operation leaves a node (a collective whose group spans nodes, waited for as a
// whole; a send, receive or ring exchange whose peer is on another node), else the node's fabric.
Tier tier_of(const Op& op, int rank, const std::vector<int>& node_of_rank);

// The largest transfer of `program` that runs the MPI library's collective (0 when none does): the
// library allocates scratch of up to its size (Open MPI's reduce-scatter and allreduce of S bytes).
std::uint64_t largest_library_collective(const Program& program) noexcept;
// Whether any op runs one of scaleout's own algorithms (each in flight holds chunks of scratch).
bool runs_own_algorithms(const Program& program) noexcept;

// Sets Op::algorithm of every communication op: the choice for collectives, `direct` for
// point-to-point transfers.
void choose_algorithms(Program& program, comm::AlgorithmChoice choice, const ChannelSpans& spans);

}  // namespace scaleout::parallelism
