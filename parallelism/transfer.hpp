#pragma once
// One communication op's data movement on its communicator, with its synthetic payload: how it is
// issued (non-blocking) or run (blocking) on a buffer, what each rank puts in, and what it must
// find afterwards. The executor (mpi_executor.hpp) decides when; this file decides what.
//
// Buffers: in place where MPI allows (allreduce, reduce-scatter, allgather); the first half sends
// and the second half receives for all-to-all and exchange (footprint() in program.hpp).

#include <array>
#include <cstdint>
#include <span>

#include "comm/communicator.hpp"
#include "comm/element_type.hpp"
#include "comm/payload.hpp"
#include "comm/request.hpp"
#include "comm/sum_op.hpp"
#include "parallelism/program.hpp"

namespace scaleout::parallelism {

struct TransferContext {
  const comm::Communicator& comm;
  comm::ElementType type;
  const comm::SumOp& sum;
};

// Issues `op` non-blocking; exchange needs both requests, everything else the first.
void issue_transfer(const Op& op, const TransferContext& context, std::span<std::byte> buffer,
                    std::array<comm::Request, 2>& requests);
// Runs `op` blocking; returns the seconds it took.
double run_transfer(const Op& op, const TransferContext& context, std::span<std::byte> buffer);

// The payload iteration of `op` in `step`: alike on every rank taking part, different every step.
int payload_iteration(int step, const Op& op);
void fill_transfer(const Op& op, const comm::Communicator& comm, const comm::Payload& payload, int iteration,
                   std::span<std::byte> buffer);
// Wrong elements of what `op` delivered to this rank.
std::uint64_t verify_transfer(const Op& op, const comm::Communicator& comm, const comm::Payload& payload, int iteration,
                              std::span<const std::byte> buffer);

}  // namespace scaleout::parallelism
