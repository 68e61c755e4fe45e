#pragma once
// Timed collectives and point-to-point transfers: thin checked wrappers over MPI. A blocking call
// returns the interval it ran in (MPI_Wtime); a non-blocking one returns a Request that records when
// it was issued and when it completed. Counts are in elements of `type`.

#include <cstddef>

#include "comm/communicator.hpp"
#include "comm/element_type.hpp"
#include "comm/request.hpp"
#include "comm/sum_op.hpp"

namespace scaleout::comm {

struct Interval {
  double begin = 0.0;
  double end = 0.0;
  double seconds() const noexcept { return end - begin; }
};

// MPI counts are ints: a count beyond INT_MAX is an error, never a silent truncation.
int mpi_count(std::size_t count);

Interval allreduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                   const SumOp& sum);
Request iallreduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                   const SumOp& sum);

// Every rank contributes size() * recv_count elements and receives its reduced block of recv_count.
Interval reduce_scatter(const Communicator& comm, const void* send, void* recv, std::size_t recv_count,
                        ElementType type, const SumOp& sum);
Request ireduce_scatter(const Communicator& comm, const void* send, void* recv, std::size_t recv_count,
                        ElementType type, const SumOp& sum);

// Every rank contributes send_count elements and receives size() * send_count.
Interval allgather(const Communicator& comm, const void* send, void* recv, std::size_t send_count, ElementType type);
Request iallgather(const Communicator& comm, const void* send, void* recv, std::size_t send_count, ElementType type);

// Every rank sends count_per_peer elements to each rank (itself included).
Interval alltoall(const Communicator& comm, const void* send, void* recv, std::size_t count_per_peer, ElementType type);
Request ialltoall(const Communicator& comm, const void* send, void* recv, std::size_t count_per_peer, ElementType type);

Interval broadcast(const Communicator& comm, void* buffer, std::size_t count, ElementType type, int root);
Request ibroadcast(const Communicator& comm, void* buffer, std::size_t count, ElementType type, int root);

// recv matters on `root` only.
Interval reduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                const SumOp& sum, int root);
Request ireduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                const SumOp& sum, int root);

Interval sendrecv(const Communicator& comm, const void* send, std::size_t send_count, int destination, void* recv,
                  std::size_t recv_count, int source, ElementType type, int tag);
Request isend(const Communicator& comm, const void* send, std::size_t count, ElementType type, int destination,
              int tag);
Request irecv(const Communicator& comm, void* recv, std::size_t count, ElementType type, int source, int tag);

}  // namespace scaleout::comm
