#pragma once
// One communication op's data movement on its communicator, with its synthetic payload: how it is
// issued (non-blocking) or run (blocking) on a buffer by the algorithm the op names (Op::algorithm:
// scaleout's own on the group's AlgorithmComm, or the MPI library's collective), what each rank puts
// in, and what it must find afterwards. The executor (mpi_executor.hpp) decides when; this file
// decides what.
//
// Buffers: in place where MPI allows (allreduce, reduce-scatter, allgather); the first half sends
// and the second half receives for all-to-all and exchange (footprint() in program.hpp). Own
// algorithms use the same layouts (comm/collective_schedule.hpp).
//
// Blocking ops wait through Request::wait and CollectiveRun::wait, which progress every own
// collective in flight: a rank blocked here must still post the next rounds of the collectives its
// peers in other groups are waiting on (MPI's blocking calls would not).
//
// Point-to-point transfers between ranks of one node are modelled hops when the group's AlgorithmComm
// models them (comm/device_links.hpp), as the hops of own collectives are.

#include <array>
#include <cstdint>
#include <span>

#include "comm/collective_run.hpp"
#include "comm/communicator.hpp"
#include "comm/element_type.hpp"
#include "comm/payload.hpp"
#include "comm/request.hpp"
#include "comm/sum_op.hpp"
#include "parallelism/program.hpp"

namespace scaleout::parallelism {

struct TransferContext {
  const comm::Communicator& comm;   // the group's: the library's collectives, point-to-point
  comm::AlgorithmComm& algorithms;  // the group's, for scaleout's own algorithms
  comm::ElementType type;
  const comm::SumOp& sum;
};

// One operation in flight: the MPI requests of a library collective or a point-to-point transfer
// (exchange needs two), or the run of an own algorithm. Reused from operation to operation.
class TransferInFlight {
 public:
  // Progresses once; true once the operation has completed.
  bool test();
  // Progresses until it has completed.
  void wait();
  bool pending() const noexcept;
  // MPI_Wtime when completion was observed; negative while pending.
  double completed_at() const noexcept;

 private:
  friend void issue_transfer(const Op& op, const TransferContext& context, std::span<std::byte> buffer,
                             TransferInFlight& in_flight);
  void send(const TransferContext& context, const void* data, std::size_t count, int peer, int tag);
  void receive(const TransferContext& context, void* data, std::size_t count, int peer, int tag);
  bool arrived();  // the modelled hops' node time has come (their messages have completed)
  void keep(std::span<const MPI_Request> posted);  // requests posted for a modelled hop

  std::array<comm::Request, 4> requests_;  // an exchange's two sides, each a header and its bytes when modelled
  int posted_ = 0;
  comm::CollectiveRun run_;
  bool own_ = false;  // the operation is run_'s
  // Modelled hops: a send's header, a receive's header, and the node time the transfer ends.
  std::array<double, 2> headers_{};
  bool modelled_receive_ = false, modelled_ = false;
  double not_before_ = 0, completed_at_ = -1;
};

// Issues `op` non-blocking into `in_flight`, which must not be pending.
void issue_transfer(const Op& op, const TransferContext& context, std::span<std::byte> buffer,
                    TransferInFlight& in_flight);
// Runs `op` blocking; returns the seconds it took. `in_flight` (not pending) runs it where it is
// not the library's blocking collective; reusing one keeps its chunks' scratch from op to op.
double run_transfer(const Op& op, const TransferContext& context, std::span<std::byte> buffer,
                    TransferInFlight& in_flight);

// The payload iteration of `op` in `step`: alike on every rank taking part, different every step.
int payload_iteration(int step, const Op& op);
void fill_transfer(const Op& op, const comm::Communicator& comm, const comm::Payload& payload, int iteration,
                   std::span<std::byte> buffer);
// Wrong elements of what `op` delivered to this rank.
std::uint64_t verify_transfer(const Op& op, const comm::Communicator& comm, const comm::Payload& payload, int iteration,
                              std::span<const std::byte> buffer);

}  // namespace scaleout::parallelism
