#pragma once
// The MPI executor: runs a step program for real. Compute spans are emulated (compute_emulation.hpp)
// while MPI progresses outstanding operations; collectives run on real buffers of the exact sizes.
// It produces records only; reporting and logging consume them elsewhere.
//
// Buffers: a pool of `in_flight` buffers of the largest message, reused by every operation, so memory
// is bounded by in_flight x largest message whatever the model's size. When an operation starts and
// every buffer is in flight, the executor waits for the oldest (as a real framework's communication
// stream runs its operations in order); that wait is exposed communication of the oldest's group.

#include <array>
#include <cstdint>
#include <vector>

#include "comm/buffer.hpp"
#include "comm/communicator.hpp"
#include "comm/element_type.hpp"
#include "comm/payload.hpp"
#include "comm/request.hpp"
#include "parallelism/compute_emulation.hpp"
#include "parallelism/program.hpp"

namespace scaleout::parallelism {

// The communicator of each group (null where a layout has none).
struct Groups {
  std::array<const comm::Communicator*, group_count> of{};
  const comm::Communicator& operator[](Group group) const;
};

struct ExecutorOptions {
  ComputeMode compute = ComputeMode::sleep;
  comm::ElementType type = comm::ElementType::bf16;
  int in_flight = 4;
  bool check = false;        // fill every operation's input and verify every result
  std::uint64_t seed = 1;
  bool trace = false;        // keep one record per op
  EmulationTiming timing{};
};

// One op as it ran, in seconds from the step's start. Compute: begin and end of the span. Start: issue
// and observed completion. Wait and blocking: begin and end of the call. `waited`: time blocked.
struct OpRecord {
  int op = 0;
  double begin = 0, end = 0, waited = 0;
};

// One rank's step, with the quantities of DESIGN section 4.
struct StepRecord {
  double step = 0;                // from the step's start to the end of the optimizer
  double compute = 0;             // measured compute spans
  double compute_requested = 0;   // what the program asked of them
  std::array<double, group_count> exposed{};  // blocked on communication, per group
  double overlapped = 0;          // communication in flight while computing
  std::array<std::uint64_t, group_count> bytes{};  // bytes of the operations issued, per group
  std::uint64_t wrong = 0;        // wrong elements (with check)
  std::vector<OpRecord> ops;      // with trace

  double exposed_total() const;
  double other() const { return step - compute - exposed_total(); }
};

class MpiExecutor {
 public:
  MpiExecutor(Program program, Groups groups, ExecutorOptions options);
  MpiExecutor(const MpiExecutor&) = delete;
  MpiExecutor& operator=(const MpiExecutor&) = delete;

  // Runs one step; the caller synchronizes the ranks before (outside the timed region).
  StepRecord run_step(int step);
  const Program& program() const noexcept { return program_; }

 private:
  struct InFlight {
    comm::Buffer buffer;
    comm::Request request;
    int slot = -1;  // the program's slot using this buffer; -1 when free
    int op = -1;    // index of the start op
    double issued_at = 0;
  };

  void start(const Op& op, int index, StepRecord& record, double step_start);
  double complete(InFlight& entry);  // waits; returns the time blocked
  void release(InFlight& entry, StepRecord& record, double step_start);
  Group progressed_group() const;
  void blocking(const Op& op, StepRecord& record);
  bool progress();
  void fill(comm::Buffer& buffer, const Op& op);
  std::uint64_t verify(const comm::Buffer& buffer, const Op& op) const;
  int iteration(const Op& op) const { return step_ * program_.slots + op.slot; }

  Program program_;
  Groups groups_;
  ExecutorOptions options_;
  comm::SumOp sum_;
  std::vector<InFlight> pool_;
  std::vector<int> entry_of_slot_;
  int step_ = 0;
};

}  // namespace scaleout::parallelism
