#include "parallelism/transfer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "comm/collective.hpp"
#include "comm/device_links.hpp"
#include "comm/environment.hpp"
#include "comm/operations.hpp"
#include "parallelism/algorithms.hpp"

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

// A modelled hop of `count` elements to or from `peer` of the group.
comm::ModelledMessage modelled_message(const TransferContext& c, std::size_t count, int peer, int tag) {
  return {
      c.comm.native(), peer, tag, comm::mpi_count(count), comm::mpi_datatype(c.type), count * comm::size_of(c.type)};
}

}  // namespace

bool TransferInFlight::arrived() {
  if (modelled_receive_) not_before_ = std::max(not_before_, headers_[1]);
  if (comm::node_clock() < not_before_) return false;
  completed_at_ = comm::now();
  modelled_ = false;
  return true;
}

bool TransferInFlight::test() {
  if (own_) return run_.test();
  bool done = true;
  for (auto& request : requests_) done = request.test() && done;
  return done && (!modelled_ || arrived());
}

void TransferInFlight::wait() {
  if (own_) return run_.wait();
  for (auto& request : requests_) request.wait();
  while (modelled_ && !arrived()) comm::progress_runs();
}

bool TransferInFlight::pending() const noexcept {
  if (own_) return run_.pending();
  return modelled_ || std::any_of(requests_.begin(), requests_.end(), [](const auto& r) { return r.pending(); });
}

double TransferInFlight::completed_at() const noexcept {
  if (pending()) return -1;
  if (own_) return run_.completed_at();
  double last = completed_at_;
  for (const auto& request : requests_) last = std::max(last, request.completed_at());
  return last;
}

void TransferInFlight::keep(std::span<const MPI_Request> posted) {
  for (const MPI_Request request : posted)
    requests_[static_cast<std::size_t>(posted_++)] = comm::Request(request, comm::now());
}

void TransferInFlight::send(const TransferContext& c, const void* data, std::size_t count, int peer, int tag) {
  const bool modelled = c.algorithms.modelled(peer);
  c.algorithms.count_sent(count * comm::size_of(c.type), modelled);
  if (!modelled) {
    requests_[static_cast<std::size_t>(posted_++)] = comm::isend(c.comm, data, count, c.type, peer, tag);
    return;
  }
  std::array<MPI_Request, 2> posted{MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  const int n = comm::post_modelled_send(*c.algorithms.links(), modelled_message(c, count, peer, tag), data,
                                         c.algorithms.world_rank(peer), headers_[0], not_before_, posted.data());
  keep(std::span(posted).first(static_cast<std::size_t>(n)));
  modelled_ = true;
}

void TransferInFlight::receive(const TransferContext& c, void* data, std::size_t count, int peer, int tag) {
  if (!c.algorithms.modelled(peer)) {
    requests_[static_cast<std::size_t>(posted_++)] = comm::irecv(c.comm, data, count, c.type, peer, tag);
    return;
  }
  std::array<MPI_Request, 2> posted{MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  const int n = comm::post_modelled_receive(*c.algorithms.links(), modelled_message(c, count, peer, tag), data,
                                            headers_[1], posted.data());
  keep(std::span(posted).first(static_cast<std::size_t>(n)));
  modelled_ = modelled_receive_ = true;
}

void issue_transfer(const Op& op, const TransferContext& c, std::span<std::byte> buffer, TransferInFlight& in_flight) {
  if (in_flight.pending()) throw std::logic_error("a transfer issued into one still in flight");
  in_flight.requests_ = {};
  in_flight.posted_ = 0;
  in_flight.own_ = in_flight.modelled_ = in_flight.modelled_receive_ = false;
  in_flight.not_before_ = 0;
  in_flight.completed_at_ = -1;
  const std::size_t count = elements(op, c.type);
  const auto n = static_cast<std::size_t>(c.comm.size());
  void* data = buffer.data();
  void* second_half = buffer.data() + op.bytes;
  auto& requests = in_flight.requests_;
  if (const auto kind = collective_of(op.transfer); kind && comm::is_own(op.algorithm)) {
    const std::span<std::byte> first = buffer.first(op.bytes);
    const std::span<std::byte> output = op.transfer == Transfer::alltoall ? buffer.subspan(op.bytes, op.bytes) : first;
    in_flight.own_ = true;
    in_flight.run_.start(c.algorithms, c.algorithms.schedule(*kind, op.algorithm, count, comm::size_of(c.type)), first,
                         output, c.type);
    return;
  }
  switch (op.transfer) {
    case Transfer::allreduce: requests[0] = comm::iallreduce(c.comm, MPI_IN_PLACE, data, count, c.type, c.sum); return;
    case Transfer::reduce_scatter:
      requests[0] = comm::ireduce_scatter(c.comm, MPI_IN_PLACE, data, count / n, c.type, c.sum);
      return;
    case Transfer::allgather: requests[0] = comm::iallgather(c.comm, MPI_IN_PLACE, data, count / n, c.type); return;
    case Transfer::alltoall: requests[0] = comm::ialltoall(c.comm, data, second_half, count / n, c.type); return;
    case Transfer::exchange: {
      const Ring neighbours = ring(c.comm);
      in_flight.receive(c, second_half, count, neighbours.previous, mpi_tag(op));
      in_flight.send(c, data, count, neighbours.next, mpi_tag(op));
      return;
    }
    case Transfer::send: in_flight.send(c, data, count, op.peer, mpi_tag(op)); return;
    case Transfer::recv: in_flight.receive(c, data, count, op.peer, mpi_tag(op)); return;
  }
}

double run_transfer(const Op& op, const TransferContext& c, std::span<std::byte> buffer, TransferInFlight& in_flight) {
  const std::size_t count = elements(op, c.type);
  const auto n = static_cast<std::size_t>(c.comm.size());
  void* data = buffer.data();
  // The library's blocking collectives where the op runs the library's; everything else is issued
  // and waited for, so that the wait progresses the own collectives in flight.
  if (op.algorithm == comm::Algorithm::library) {
    switch (op.transfer) {
      case Transfer::allreduce: return comm::allreduce(c.comm, MPI_IN_PLACE, data, count, c.type, c.sum).seconds();
      case Transfer::reduce_scatter:
        return comm::reduce_scatter(c.comm, MPI_IN_PLACE, data, count / n, c.type, c.sum).seconds();
      case Transfer::allgather: return comm::allgather(c.comm, MPI_IN_PLACE, data, count / n, c.type).seconds();
      case Transfer::alltoall:
        return comm::alltoall(c.comm, data, buffer.data() + op.bytes, count / n, c.type).seconds();
      default: break;
    }
  }
  const double begin = comm::now();
  issue_transfer(op, c, buffer, in_flight);
  in_flight.wait();
  return comm::now() - begin;
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
