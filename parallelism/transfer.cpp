#include "parallelism/transfer.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "comm/collective.hpp"
#include "comm/environment.hpp"
#include "comm/operations.hpp"

namespace scaleout::parallelism {

namespace {

// MPI guarantees tags up to 32767; messages between one pair in one direction never overtake each
// other, and both ends post them in the same order, so tags only need to tell directions apart
// (their parity; 32768 is even).
int mpi_tag(const Op& op) { return op.tag % 32768; }

std::size_t elements(const Op& op, comm::ElementType type) { return op.bytes / comm::size_of(type); }

struct Ring {
  int next, previous;
};
Ring ring(const comm::Communicator& comm) {
  const int n = comm.size(), r = comm.rank();
  return {(r + 1) % n, (r + n - 1) % n};
}

}  // namespace

void issue_transfer(const Op& op, const TransferContext& c, std::span<std::byte> buffer,
                    std::array<comm::Request, 2>& requests) {
  const std::size_t count = elements(op, c.type);
  const auto n = static_cast<std::size_t>(c.comm.size());
  void* data = buffer.data();
  void* second_half = buffer.data() + op.bytes;
  switch (op.transfer) {
    case Transfer::allreduce: requests[0] = comm::iallreduce(c.comm, MPI_IN_PLACE, data, count, c.type, c.sum); return;
    case Transfer::reduce_scatter:
      requests[0] = comm::ireduce_scatter(c.comm, MPI_IN_PLACE, data, count / n, c.type, c.sum);
      return;
    case Transfer::allgather: requests[0] = comm::iallgather(c.comm, MPI_IN_PLACE, data, count / n, c.type); return;
    case Transfer::alltoall: requests[0] = comm::ialltoall(c.comm, data, second_half, count / n, c.type); return;
    case Transfer::exchange: {
      const Ring neighbours = ring(c.comm);
      requests[0] = comm::irecv(c.comm, second_half, count, c.type, neighbours.previous, mpi_tag(op));
      requests[1] = comm::isend(c.comm, data, count, c.type, neighbours.next, mpi_tag(op));
      return;
    }
    case Transfer::send: requests[0] = comm::isend(c.comm, data, count, c.type, op.peer, mpi_tag(op)); return;
    case Transfer::recv: requests[0] = comm::irecv(c.comm, data, count, c.type, op.peer, mpi_tag(op)); return;
  }
}

double run_transfer(const Op& op, const TransferContext& c, std::span<std::byte> buffer) {
  const std::size_t count = elements(op, c.type);
  const auto n = static_cast<std::size_t>(c.comm.size());
  void* data = buffer.data();
  switch (op.transfer) {
    case Transfer::allreduce: return comm::allreduce(c.comm, MPI_IN_PLACE, data, count, c.type, c.sum).seconds();
    case Transfer::reduce_scatter:
      return comm::reduce_scatter(c.comm, MPI_IN_PLACE, data, count / n, c.type, c.sum).seconds();
    case Transfer::allgather: return comm::allgather(c.comm, MPI_IN_PLACE, data, count / n, c.type).seconds();
    case Transfer::alltoall: return comm::alltoall(c.comm, data, buffer.data() + op.bytes, count / n, c.type).seconds();
    case Transfer::exchange: {
      const Ring neighbours = ring(c.comm);
      return comm::sendrecv(c.comm, data, count, neighbours.next, buffer.data() + op.bytes, count, neighbours.previous,
                            c.type, mpi_tag(op))
          .seconds();
    }
    case Transfer::send:
    case Transfer::recv: {
      const double begin = comm::now();
      std::array<comm::Request, 2> requests;
      issue_transfer(op, c, buffer, requests);
      requests[0].wait();
      return comm::now() - begin;
    }
  }
  throw std::logic_error("unknown transfer");
}

int payload_iteration(int step, const Op& op) {
  const bool p2p = op.transfer == Transfer::send || op.transfer == Transfer::recv;
  const std::uint64_t key = (static_cast<std::uint64_t>(step) << 33) ^ (static_cast<std::uint64_t>(p2p) << 32) ^
                            static_cast<std::uint32_t>(op.tag);
  return static_cast<int>(comm::mix64(key) & 0x3fffffffu);
}

void fill_transfer(const Op& op, const comm::Communicator& comm, const comm::Payload& payload, int iteration,
                   std::span<std::byte> buffer) {
  const int rank = comm.rank();
  switch (op.transfer) {
    case Transfer::allgather: {
      // Only this rank's block is its input; the rest is what it will receive.
      const std::size_t block = op.bytes / static_cast<std::size_t>(comm.size());
      payload.fill(buffer.subspan(static_cast<std::size_t>(rank) * block, block), iteration, rank, 0);
      return;
    }
    case Transfer::recv: return;
    default: payload.fill(buffer.first(op.bytes), iteration, rank, 0); return;
  }
}

std::uint64_t verify_transfer(const Op& op, const comm::Communicator& comm, const comm::Payload& payload, int iteration,
                              std::span<const std::byte> buffer) {
  const int rank = comm.rank(), n = comm.size();
  const std::size_t element = payload.element_size();
  switch (op.transfer) {
    case Transfer::allreduce: {
      const auto sums = payload.sums(iteration);
      return payload.count_wrong(buffer.first(op.bytes), [&](std::size_t i) { return sums(i); });
    }
    case Transfer::reduce_scatter: {
      const std::size_t block = op.bytes / element / static_cast<std::size_t>(n);
      const auto sums = payload.sums(iteration);
      return payload.count_wrong(buffer.first(block * element),
                                 [&](std::size_t i) { return sums(static_cast<std::size_t>(rank) * block + i); });
    }
    case Transfer::allgather: {
      const std::size_t block = op.bytes / element / static_cast<std::size_t>(n);
      const auto senders = comm::all_ranks(payload, iteration, n);
      return payload.count_wrong(buffer.first(op.bytes), [&](std::size_t i) { return senders[i / block](i % block); });
    }
    case Transfer::alltoall: {
      const std::size_t block = op.bytes / element / static_cast<std::size_t>(n);
      const auto senders = comm::all_ranks(payload, iteration, n);
      const std::size_t mine = static_cast<std::size_t>(rank) * block;
      return payload.count_wrong(buffer.subspan(op.bytes, op.bytes),
                                 [&](std::size_t i) { return senders[i / block](mine + i % block); });
    }
    case Transfer::exchange: {
      const auto sender = payload.values(iteration, ring(comm).previous);
      return payload.count_wrong(buffer.subspan(op.bytes, op.bytes), [&](std::size_t i) { return sender(i); });
    }
    case Transfer::recv: {
      const auto sender = payload.values(iteration, op.peer);
      return payload.count_wrong(buffer.first(op.bytes), [&](std::size_t i) { return sender(i); });
    }
    case Transfer::send: return 0;  // the receiver verifies
  }
  return 0;
}

}  // namespace scaleout::parallelism
