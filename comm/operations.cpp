#include "comm/operations.hpp"

#include <climits>
#include <stdexcept>

#include <fmt/format.h>

#include "comm/environment.hpp"
#include "comm/error.hpp"

namespace scaleout::comm {

int mpi_count(std::size_t count) {
  if (count > static_cast<std::size_t>(INT_MAX)) {
    throw std::length_error(fmt::format("{} elements exceed the largest count MPI accepts ({})", count, INT_MAX));
  }
  return static_cast<int>(count);
}

namespace {
// Runs one blocking MPI call and returns the interval it took.
template <class Call>
Interval timed(Call&& call, const char* name) {
  Interval interval;
  interval.begin = now();
  check(call(), name);
  interval.end = now();
  return interval;
}

// Issues one non-blocking MPI call and wraps its request with the issue time.
template <class Call>
Request issued(Call&& call, const char* name) {
  const double at = now();
  MPI_Request handle = MPI_REQUEST_NULL;
  check(call(&handle), name);
  return Request(handle, at);
}
}  // namespace

Interval allreduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                   const SumOp& sum) {
  const int n = mpi_count(count);
  return timed([&] { return MPI_Allreduce(send, recv, n, mpi_datatype(type), sum.native(), comm.native()); },
               "MPI_Allreduce");
}

Request iallreduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                   const SumOp& sum) {
  const int n = mpi_count(count);
  return issued(
      [&](MPI_Request* r) { return MPI_Iallreduce(send, recv, n, mpi_datatype(type), sum.native(), comm.native(), r); },
      "MPI_Iallreduce");
}

Interval reduce_scatter(const Communicator& comm, const void* send, void* recv, std::size_t recv_count,
                        ElementType type, const SumOp& sum) {
  const int n = mpi_count(recv_count);
  return timed([&] { return MPI_Reduce_scatter_block(send, recv, n, mpi_datatype(type), sum.native(), comm.native()); },
               "MPI_Reduce_scatter_block");
}

Request ireduce_scatter(const Communicator& comm, const void* send, void* recv, std::size_t recv_count,
                        ElementType type, const SumOp& sum) {
  const int n = mpi_count(recv_count);
  return issued(
      [&](MPI_Request* r) {
        return MPI_Ireduce_scatter_block(send, recv, n, mpi_datatype(type), sum.native(), comm.native(), r);
      },
      "MPI_Ireduce_scatter_block");
}

Interval allgather(const Communicator& comm, const void* send, void* recv, std::size_t send_count, ElementType type) {
  const int n = mpi_count(send_count);
  const MPI_Datatype t = mpi_datatype(type);
  return timed([&] { return MPI_Allgather(send, n, t, recv, n, t, comm.native()); }, "MPI_Allgather");
}

Request iallgather(const Communicator& comm, const void* send, void* recv, std::size_t send_count, ElementType type) {
  const int n = mpi_count(send_count);
  const MPI_Datatype t = mpi_datatype(type);
  return issued([&](MPI_Request* r) { return MPI_Iallgather(send, n, t, recv, n, t, comm.native(), r); },
                "MPI_Iallgather");
}

Interval alltoall(const Communicator& comm, const void* send, void* recv, std::size_t count_per_peer,
                  ElementType type) {
  const int n = mpi_count(count_per_peer);
  const MPI_Datatype t = mpi_datatype(type);
  return timed([&] { return MPI_Alltoall(send, n, t, recv, n, t, comm.native()); }, "MPI_Alltoall");
}

Request ialltoall(const Communicator& comm, const void* send, void* recv, std::size_t count_per_peer,
                  ElementType type) {
  const int n = mpi_count(count_per_peer);
  const MPI_Datatype t = mpi_datatype(type);
  return issued([&](MPI_Request* r) { return MPI_Ialltoall(send, n, t, recv, n, t, comm.native(), r); },
                "MPI_Ialltoall");
}

Interval broadcast(const Communicator& comm, void* buffer, std::size_t count, ElementType type, int root) {
  const int n = mpi_count(count);
  return timed([&] { return MPI_Bcast(buffer, n, mpi_datatype(type), root, comm.native()); }, "MPI_Bcast");
}

Request ibroadcast(const Communicator& comm, void* buffer, std::size_t count, ElementType type, int root) {
  const int n = mpi_count(count);
  return issued([&](MPI_Request* r) { return MPI_Ibcast(buffer, n, mpi_datatype(type), root, comm.native(), r); },
                "MPI_Ibcast");
}

Interval reduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                const SumOp& sum, int root) {
  const int n = mpi_count(count);
  return timed([&] { return MPI_Reduce(send, recv, n, mpi_datatype(type), sum.native(), root, comm.native()); },
               "MPI_Reduce");
}

Request ireduce(const Communicator& comm, const void* send, void* recv, std::size_t count, ElementType type,
                const SumOp& sum, int root) {
  const int n = mpi_count(count);
  return issued(
      [&](MPI_Request* r) {
        return MPI_Ireduce(send, recv, n, mpi_datatype(type), sum.native(), root, comm.native(), r);
      },
      "MPI_Ireduce");
}

Interval sendrecv(const Communicator& comm, const void* send, std::size_t send_count, int destination, void* recv,
                  std::size_t recv_count, int source, ElementType type, int tag) {
  const int ns = mpi_count(send_count);
  const int nr = mpi_count(recv_count);
  const MPI_Datatype t = mpi_datatype(type);
  return timed(
      [&] {
        return MPI_Sendrecv(send, ns, t, destination, tag, recv, nr, t, source, tag, comm.native(), MPI_STATUS_IGNORE);
      },
      "MPI_Sendrecv");
}

Request isend(const Communicator& comm, const void* send, std::size_t count, ElementType type, int destination,
              int tag) {
  const int n = mpi_count(count);
  return issued(
      [&](MPI_Request* r) { return MPI_Isend(send, n, mpi_datatype(type), destination, tag, comm.native(), r); },
      "MPI_Isend");
}

Request irecv(const Communicator& comm, void* recv, std::size_t count, ElementType type, int source, int tag) {
  const int n = mpi_count(count);
  return issued([&](MPI_Request* r) { return MPI_Irecv(recv, n, mpi_datatype(type), source, tag, comm.native(), r); },
                "MPI_Irecv");
}

}  // namespace scaleout::comm
