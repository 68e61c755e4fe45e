#include "parallelism/mpi_executor.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "comm/environment.hpp"
#include "comm/operations.hpp"
#include "parallelism/algorithms.hpp"
#include "parallelism/transfer.hpp"

namespace scaleout::parallelism {

const comm::Communicator& Groups::operator[](Channel channel) const {
  const auto* comm = of[static_cast<std::size_t>(channel)];
  if (comm == nullptr) throw std::logic_error(fmt::format("the layout has no {} group", to_string(channel)));
  return *comm;
}

comm::AlgorithmComm& Groups::algorithms_of_op(const Op& op) const {
  const Channel channel = channel_of(op);
  auto* prepared = algorithms[static_cast<std::size_t>(channel)];
  if (prepared == nullptr) throw std::logic_error(fmt::format("the layout has no {} group", to_string(channel)));
  return *prepared;
}

comm::AlgorithmComm::SentBytes Groups::sent() const {
  comm::AlgorithmComm::SentBytes total;
  for (const auto* prepared : algorithms) {
    if (prepared == nullptr) continue;
    total.moved += prepared->sent().moved;
    total.modelled += prepared->sent().modelled;
  }
  return total;
}

void MpiExecutor::check_sizes(const Program& program) const {
  const auto element = comm::size_of(options_.type);
  for (const auto& op : program.ops) {
    if (op.kind == OpKind::compute) continue;
    const auto group_size = static_cast<std::uint64_t>(groups_.of_op(op).size());
    const bool blocked = op.transfer == Transfer::reduce_scatter || op.transfer == Transfer::allgather ||
                         op.transfer == Transfer::alltoall;
    if (op.bytes % element != 0 || (blocked && op.bytes % (element * group_size) != 0)) {
      throw std::invalid_argument(fmt::format("{} {} of {} bytes is not whole {} elements for each of {} ranks",
                                              to_string(op.group), to_string(op.transfer), op.bytes,
                                              comm::name(options_.type), group_size));
    }
  }
}

MpiExecutor::MpiExecutor(Program program, Groups groups, ExecutorOptions options)
    : program_(std::move(program)), groups_(groups), options_(options), sum_(options.type) {
  check_sizes(program_);
  const LargestTransfers largest = program_.largest_transfers();
  const int buffers = largest.started == 0 ? 0 : std::max(options_.in_flight, 1);
  pool_.resize(static_cast<std::size_t>(buffers));
  for (auto& entry : pool_) entry.buffer = comm::Buffer(largest.started);
  if (largest.blocking > 0) blocking_buffer_ = comm::Buffer(largest.blocking);
  entry_of_slot_.assign(static_cast<std::size_t>(program_.slots), -1);
  tiers_ = tiers_of(program_);
}

std::vector<Tier> MpiExecutor::tiers_of(const Program& program) const {
  std::vector<Tier> tiers(program.ops.size(), Tier::intra_node);
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const Op& op = program.ops[i];
    if (op.kind == OpKind::compute) continue;
    const comm::AlgorithmComm& group = groups_.algorithms_of_op(op);
    tiers[i] = tier_of(op, group.rank(), group.node_of_rank());
  }
  return tiers;
}

void MpiExecutor::expose(StepRecord& record, int op, double seconds) const {
  record.expose(program_.ops[static_cast<std::size_t>(op)].group, tiers_[static_cast<std::size_t>(op)], seconds);
}

void MpiExecutor::load(Program program) {
  check_sizes(program);
  const LargestTransfers largest = program.largest_transfers();
  const bool pool_fits = largest.started == 0 || (!pool_.empty() && largest.started <= pool_.front().buffer.size());
  if (!pool_fits || largest.blocking > blocking_buffer_.size()) {
    throw std::logic_error("a program whose transfers outgrow the buffers of the one the executor was made for");
  }
  for (const auto& entry : pool_) {
    if (entry.slot >= 0) throw std::logic_error("a program loaded while operations are in flight");
  }
  tiers_ = tiers_of(program);
  program_ = std::move(program);
  entry_of_slot_.assign(static_cast<std::size_t>(program_.slots), -1);
}

void MpiExecutor::fill(comm::Buffer& buffer, const Op& op) {
  const auto& comm = groups_.of_op(op);
  const comm::Payload payload(options_.seed, options_.type, comm.size());
  fill_transfer(op, comm, payload, payload_iteration(step_, op), buffer.bytes());
}

std::uint64_t MpiExecutor::verify(const comm::Buffer& buffer, const Op& op) const {
  const auto& comm = groups_.of_op(op);
  const comm::Payload payload(options_.seed, options_.type, comm.size());
  return verify_transfer(op, comm, payload, payload_iteration(step_, op), buffer.bytes());
}

TransferContext MpiExecutor::context(const Op& op) const {
  return {groups_.of_op(op), groups_.algorithms_of_op(op), options_.type, sum_};
}

int MpiExecutor::progressed_op() const {
  // The oldest operation in flight: the one a progress call works on first.
  const InFlight* oldest = nullptr;
  for (const auto& entry : pool_) {
    if (entry.slot >= 0 && (oldest == nullptr || entry.issued_at < oldest->issued_at)) oldest = &entry;
  }
  return oldest == nullptr ? -1 : oldest->op;
}

MpiExecutor::TierSet MpiExecutor::progress() {
  TierSet outstanding{};
  for (auto& entry : pool_) {
    if (entry.slot >= 0 && entry.transfer.pending() && !entry.transfer.test())
      outstanding[static_cast<std::size_t>(tiers_[static_cast<std::size_t>(entry.op)])] = true;
  }
  return outstanding;
}

double MpiExecutor::complete(InFlight& entry) {
  if (!entry.transfer.pending()) return 0.0;
  const double begin = comm::now();
  entry.transfer.wait();
  return comm::now() - begin;
}

void MpiExecutor::release(InFlight& entry, StepRecord& record, double step_start) {
  const Op& op = program_.ops[static_cast<std::size_t>(entry.op)];
  if (options_.check) record.wrong += verify(entry.buffer, op);
  if (options_.trace) {
    record.ops[static_cast<std::size_t>(entry.op)].end = entry.transfer.completed_at() - step_start;
  }
  entry_of_slot_[static_cast<std::size_t>(op.slot)] = -1;
  entry.slot = -1;
  entry.op = -1;
}

MpiExecutor::InFlight& MpiExecutor::free_entry(int index, StepRecord& record, double step_start) {
  const auto free = std::find_if(pool_.begin(), pool_.end(), [](const InFlight& e) { return e.slot < 0; });
  if (free != pool_.end()) return *free;
  // Wait for the oldest operation, but never for a pipeline send: its receiver may be waiting for
  // this rank's next message (interleaved schedules make a ring of stages), so blocking on it before
  // posting that message could deadlock. Megatron-LM posts each send with the next receive for the
  // same reason. When every buffer holds a pipeline send, one that has completed gives its buffer
  // (its wait, later in the program, then finds it done); only when none has does the pool grow by
  // one. Neither waits, so the time is the same either way (the analytical executor's model); the
  // memory is not: interleaved schedules keep many sends outstanding until the step's end.
  InFlight* oldest = nullptr;
  for (auto& entry : pool_) {
    const Op& started = program_.ops[static_cast<std::size_t>(entry.op)];
    if (started.group == Group::pp && started.transfer == Transfer::send) continue;
    if (oldest == nullptr || entry.issued_at < oldest->issued_at) oldest = &entry;
  }
  if (oldest == nullptr) {
    for (auto& entry : pool_) {
      if (!entry.transfer.pending() || entry.transfer.test()) {
        release(entry, record, step_start);
        return entry;
      }
    }
    pool_.emplace_back();
    pool_.back().buffer = comm::Buffer(pool_.front().buffer.size());
    return pool_.back();
  }
  const double waited = complete(*oldest);
  expose(record, oldest->op, waited);
  if (options_.trace) record.ops[static_cast<std::size_t>(index)].waited = waited;
  release(*oldest, record, step_start);
  return *oldest;
}

void MpiExecutor::start(const Op& op, int index, StepRecord& record, double step_start) {
  InFlight* free = &free_entry(index, record, step_start);
  if (options_.check) fill(free->buffer, op);
  const double issuing = comm::now();
  issue_transfer(op, context(op), free->buffer.bytes(), free->transfer);
  // Issuing runs the library's first round of the operation: time spent in communication.
  expose(record, index, comm::now() - issuing);
  free->slot = op.slot;
  free->op = index;
  free->issued_at = issuing;
  entry_of_slot_[static_cast<std::size_t>(op.slot)] = static_cast<int>(free - pool_.data());
  record.bytes[static_cast<std::size_t>(op.group)] += op.bytes;
  if (options_.trace) record.ops[static_cast<std::size_t>(index)].begin = free->issued_at - step_start;
}

void MpiExecutor::blocking(const Op& op, int index, StepRecord& record) {
  if (options_.check) fill(blocking_buffer_, op);
  const double seconds = run_transfer(op, context(op), blocking_buffer_.bytes(), blocking_transfer_);
  if (is_bubble(op)) {
    record.bubble += seconds;
  } else {
    expose(record, index, seconds);
  }
  // Bytes count where they are sent (a receive is its sender's).
  if (op.transfer != Transfer::recv) record.bytes[static_cast<std::size_t>(op.group)] += op.bytes;
  if (options_.check) record.wrong += verify(blocking_buffer_, op);
}

void MpiExecutor::compute(const Op& op, double begin, StepRecord& record) {
  const auto in_flight = [](const TierSet& tiers) {
    return std::find(tiers.begin(), tiers.end(), true) != tiers.end();
  };
  const TierSet outstanding = progress();
  const bool any = in_flight(outstanding);
  // When the last outstanding operation of each tier, and of all, was seen complete.
  std::array<double, tier_count> tier_drained_at{};
  for (std::size_t t = 0; t < outstanding.size(); ++t) tier_drained_at[t] = outstanding[t] ? -1 : begin;
  double drained_at = any ? -1 : begin;
  double progressing = comm::now() - begin;  // time spent inside MPI progress calls
  std::function<bool()> poll;
  if (any) {
    poll = [&] {
      const double called = comm::now();
      const TierSet still = progress();
      const double returned = comm::now();
      progressing += returned - called;
      for (std::size_t t = 0; t < outstanding.size(); ++t) {
        if (!still[t] && tier_drained_at[t] < 0) tier_drained_at[t] = returned;
      }
      if (!in_flight(still)) drained_at = returned;
      return in_flight(still);
    };
  }
  const double seconds = op.seconds * options_.compute_slowdown;
  emulate_compute(seconds, options_.compute, poll, options_.timing);
  const double end = comm::now();
  // MPI progresses in this thread: a progress call that runs past the span's end (copying or
  // reducing a large message) is communication the rank could not hide, not compute.
  // Without anything in flight there is nothing to blame on communication.
  const double overrun = any ? std::min(std::max(end - begin - seconds, 0.0), progressing) : 0.0;
  if (const int oldest = progressed_op(); overrun > 0 && oldest >= 0) expose(record, oldest, overrun);
  record.compute += end - begin - overrun;
  record.compute_requested += seconds;
  const auto overlap = [&](double drained) { return std::max((drained < 0 ? end : drained) - begin - overrun, 0.0); };
  record.overlapped += overlap(drained_at);
  for (std::size_t t = 0; t < outstanding.size(); ++t) {
    if (outstanding[t]) record.overlapped_tier[t] += overlap(tier_drained_at[t]);
  }
}

StepRecord MpiExecutor::run_step(int step) {
  step_ = step;
  StepRecord record;
  if (options_.trace) {
    record.ops.resize(program_.ops.size());
    for (std::size_t i = 0; i < program_.ops.size(); ++i) record.ops[i].op = static_cast<int>(i);
  }
  const comm::AlgorithmComm::SentBytes sent_before = groups_.sent();
  const double step_start = comm::now();
  for (std::size_t i = 0; i < program_.ops.size(); ++i) {
    const Op& op = program_.ops[i];
    if (options_.marker != nullptr) options_.marker->mark(step, static_cast<int>(i));
    const double begin = comm::now();
    switch (op.kind) {
      case OpKind::compute: compute(op, begin, record); break;
      case OpKind::start: start(op, static_cast<int>(i), record, step_start); break;
      case OpKind::wait: {
        const int entry = entry_of_slot_[static_cast<std::size_t>(op.slot)];
        if (entry >= 0) {
          auto& in_flight = pool_[static_cast<std::size_t>(entry)];
          const double blocked = complete(in_flight);
          expose(record, static_cast<int>(i), blocked);
          if (options_.trace) record.ops[i].waited = blocked;
          release(in_flight, record, step_start);
        }
        break;
      }
      case OpKind::blocking: blocking(op, static_cast<int>(i), record); break;
    }
    if (options_.trace) {
      auto& trace = record.ops[i];
      if (op.kind != OpKind::start) {
        trace.begin = begin - step_start;
        trace.end = comm::now() - step_start;
      }
      // A wait's blocked time is its operation's completion (0 when a poll had seen it complete); a
      // blocking operation blocks for the whole call.
      if (op.kind == OpKind::blocking) trace.waited = trace.end - trace.begin;
    }
  }
  record.step = comm::now() - step_start;
  const comm::AlgorithmComm::SentBytes sent = groups_.sent();
  record.bytes_moved = sent.moved - sent_before.moved;
  record.bytes_modelled = sent.modelled - sent_before.modelled;
  return record;
}

}  // namespace scaleout::parallelism
