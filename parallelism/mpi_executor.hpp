#pragma once
// The MPI executor: runs a step program for real. Compute spans are emulated (compute_emulation.hpp)
// while MPI progresses outstanding operations; collectives run on real buffers of the exact sizes.
// It produces records only; reporting and logging consume them elsewhere.
//
// Each op runs the algorithm it names (Op::algorithm, chosen before: algorithms.hpp).
//
// Buffers: a pool of `in_flight` buffers of the largest non-blocking operation, reused by every one,
// and one buffer for blocking operations, so memory is bounded by in_flight x largest message
// whatever the model's size. When an operation starts and every buffer is in flight, the executor
// waits for the oldest (as a real framework's communication stream runs its operations in order);
// that wait is exposed communication of the oldest's group. Pipeline sends are never waited for
// there (it could deadlock a ring of stages): when only they are in flight, the pool grows, by as
// many buffers as sends the schedule keeps outstanding.
//
// Time: a blocking operation is exposed communication of its group, except the pipeline's (a receive,
// and the stages' meeting after backward), whose wait is the bubble: the stage idles until its
// neighbour's activation or gradient arrives (transfer included), or until the other stages drain.
// docs/parallelism.md says how each group's time is attributed.

#include <array>
#include <cstdint>
#include <vector>

#include "comm/buffer.hpp"
#include "comm/communicator.hpp"
#include "comm/element_type.hpp"
#include "comm/payload.hpp"
#include "comm/request.hpp"
#include "comm/sum_op.hpp"
#include "parallelism/compute_emulation.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"
#include "parallelism/progress_marker.hpp"
#include "parallelism/step_record.hpp"
#include "parallelism/transfer.hpp"

namespace scaleout::parallelism {

// The communicator of each channel, and its preparation for own algorithms (null where a layout has
// none).
struct Groups {
  std::array<const comm::Communicator*, channel_count> of{};
  std::array<comm::AlgorithmComm*, channel_count> algorithms{};
  void set(Channel channel, const comm::Communicator& comm, comm::AlgorithmComm& prepared) {
    of[static_cast<std::size_t>(channel)] = &comm;
    algorithms[static_cast<std::size_t>(channel)] = &prepared;
  }
  const comm::Communicator& operator[](Channel channel) const;
  const comm::Communicator& of_op(const Op& op) const { return (*this)[channel_of(op)]; }
  comm::AlgorithmComm::SentBytes sent() const;  // over every group
  comm::AlgorithmComm& algorithms_of_op(const Op& op) const;
};

struct ExecutorOptions {
  ComputeMode compute = ComputeMode::sleep;
  comm::ElementType type = comm::ElementType::bf16;
  int in_flight = 4;
  bool check = false;  // fill every operation's input and verify every result
  std::uint64_t seed = 1;
  bool trace = false;  // keep one record per op
  // Every compute span lasts this many times what the program asks: the rank plays a slower device
  // (emulation.test_slow_rank); what it requests counts the same.
  double compute_slowdown = 1;
  EmulationTiming timing{};
  ProgressMarker* marker = nullptr;  // marked before every op (for a watchdog), when given
};

class MpiExecutor {
 public:
  MpiExecutor(Program program, Groups groups, ExecutorOptions options);
  MpiExecutor(const MpiExecutor&) = delete;
  MpiExecutor& operator=(const MpiExecutor&) = delete;

  // Runs one step; the caller synchronizes the ranks before (outside the timed region).
  StepRecord run_step(int step);
  // Replaces the program between steps (serving's passes) with one whose transfers fit the buffers
  // of the program the executor was made with; std::logic_error otherwise.
  void load(Program program);
  const Program& program() const noexcept { return program_; }
  std::size_t buffers() const noexcept { return pool_.size(); }  // the in-flight pool, grown or not

 private:
  struct InFlight {
    comm::Buffer buffer;
    TransferInFlight transfer;
    int slot = -1;  // the program's slot using this buffer; -1 when free
    int op = -1;    // index of the start op
    double issued_at = 0;
  };

  void check_sizes(const Program& program) const;  // whole elements for every rank of each group
  void start(const Op& op, int index, StepRecord& record, double step_start);
  InFlight& free_entry(int index, StepRecord& record, double step_start);
  double complete(InFlight& entry);  // waits; returns the time blocked
  void release(InFlight& entry, StepRecord& record, double step_start);
  TransferContext context(const Op& op) const;
  std::vector<Tier> tiers_of(const Program& program) const;
  void expose(StepRecord& record, int op, double seconds) const;  // exposed time of op's group and tier
  int progressed_op() const;  // the op a progress call works on first; -1 when none is in flight
  void blocking(const Op& op, int index, StepRecord& record);
  void compute(const Op& op, double begin, StepRecord& record);
  using TierSet = std::array<bool, tier_count>;
  TierSet progress();  // the tiers with an operation still in flight
  void fill(comm::Buffer& buffer, const Op& op);
  std::uint64_t verify(const comm::Buffer& buffer, const Op& op) const;

  Program program_;
  Groups groups_;
  std::vector<Tier> tiers_;  // per op of the program
  ExecutorOptions options_;
  comm::SumOp sum_;
  std::vector<InFlight> pool_;
  comm::Buffer blocking_buffer_;
  TransferInFlight blocking_transfer_;
  std::vector<int> entry_of_slot_;
  int step_ = 0;
};

}  // namespace scaleout::parallelism
