#pragma once
// Runs one rank's part of a schedule (comm/collective_schedule.hpp) on MPI non-blocking point-to-point: posts
// the hops of each chain's round, and the next round once they have completed and what was received
// has been added. Progress is made by test() and wait(), so a run advances exactly when the rank polls,
// as a training framework's communication advances while its compute runs (the executor polls).
//
// An AlgorithmComm is a group's communicator prepared for these runs, made once per group: a duplicate
// (so their messages never match the pipeline's or the library's on the group's own communicator),
// the node of every rank, and the sequence of operations started on it, which names their messages:
// every rank starts the same operations in the same order, so the k-th names the same on each.
// Messages of one operation carry tag base + chain % window; a chain starts only when every chain a
// window before it has completed on this rank, so two messages of one direction between two ranks
// with the same tag are matched in the order they were posted on both sides.

#include <mpi.h>

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <tuple>
#include <vector>

#include "comm/algorithm.hpp"
#include "comm/buffer.hpp"
#include "comm/collective_schedule.hpp"
#include "comm/communicator.hpp"
#include "comm/element_type.hpp"

namespace scaleout::comm {

class AlgorithmComm {
 public:
  // Collective over `comm`, with the node of each rank (topology/cluster_discovery.hpp says which
  // ranks form a node; tests place ranks of one host on several "nodes"); `node_of_rank` must be
  // alike on every rank.
  AlgorithmComm(const Communicator& comm, std::vector<int> node_of_rank, Chunking chunking = {});
  AlgorithmComm(const AlgorithmComm&) = delete;
  AlgorithmComm& operator=(const AlgorithmComm&) = delete;

  const Communicator& comm() const noexcept { return comm_; }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return static_cast<int>(node_of_rank_.size()); }
  const std::vector<int>& node_of_rank() const noexcept { return node_of_rank_; }
  int nodes() const noexcept { return nodes_; }
  Span span() const noexcept { return {size(), nodes_}; }
  const Chunking& chunking() const noexcept { return chunking_; }

  // The schedule of an operation, made once per distinct operation and kept.
  std::shared_ptr<const CollectiveSchedule> schedule(CollectiveKind kind, Algorithm algorithm, std::uint64_t count,
                                                     std::size_t element_size);

  // Names the next operation's messages; std::logic_error when more operations are in flight on this
  // communicator than tags can tell apart.
  int begin_operation();
  void end_operation() noexcept { --in_flight_; }

 private:
  Communicator comm_;
  std::vector<int> node_of_rank_;
  int rank_ = 0, nodes_ = 1;
  Chunking chunking_;
  int operations_in_tags_ = 1;  // how many operations' tags fit below MPI_TAG_UB
  long long started_ = 0;
  int in_flight_ = 0;
  std::map<std::tuple<CollectiveKind, Algorithm, std::uint64_t, std::size_t>, std::shared_ptr<const CollectiveSchedule>>
      schedules_;
};

// One operation in flight. Reused: start() again once it has completed keeps its buffers.
//
// Waiting progresses every run in flight in the process, not only the one waited for, as MPI's own
// progress engine advances all of its non-blocking collectives in any wait: a rank blocked on one
// operation must still post the next rounds of the others, which its peers may be waiting on.
// Request::wait does the same (comm/request.hpp).
class CollectiveRun {
 public:
  CollectiveRun() = default;
  ~CollectiveRun();
  CollectiveRun(const CollectiveRun&) = delete;
  CollectiveRun& operator=(const CollectiveRun&) = delete;
  CollectiveRun(CollectiveRun&&) noexcept;
  CollectiveRun& operator=(CollectiveRun&&) noexcept;

  // Posts the first rounds. `input` and `output` may be the same buffer (in place); they must hold the
  // operation's elements as schedule.hpp lays them out, and outlive the run.
  void start(AlgorithmComm& comm, std::shared_ptr<const CollectiveSchedule> schedule, std::span<const std::byte> input,
             std::span<std::byte> output, ElementType type);
  // Progresses; true once the operation has completed.
  bool test();
  // Progresses until it has completed.
  void wait();
  bool pending() const noexcept { return comm_ != nullptr; }
  // MPI_Wtime when completion was observed; negative before the first completes.
  double completed_at() const noexcept { return completed_at_; }

 private:
  struct Lane {
    int chain = -1, round = 0, requests = 0;
    std::vector<Hop> hops;  // of the round posted
  };
  static constexpr int requests_per_lane = 4;

  void fill_lanes();
  void post(std::size_t lane);          // posts the lane's rounds until one has a message in flight
  void finish_round(std::size_t lane);  // adds what the round received
  void finish() noexcept;
  void cancel_in_destructor() noexcept;
  std::byte* scratch(std::size_t lane, int slot) noexcept;

  AlgorithmComm* comm_ = nullptr;
  std::shared_ptr<const CollectiveSchedule> schedule_;
  std::span<const std::byte> input_;
  std::span<std::byte> output_;
  ElementType type_ = ElementType::fp32;
  int tag_base_ = 0, next_chain_ = 0;
  double completed_at_ = -1;
  std::vector<Lane> lanes_;
  std::vector<MPI_Request> requests_;  // requests_per_lane per lane
  Buffer scratch_;
};

// Tests every run in flight in this process once; true while any is.
bool progress_runs();

// The most scratch one run of `kind` by `algorithm` holds: a chunk per chain in flight for each block
// received before it is added (a ring's one, a tree node's up to three: its chain's next rank and two
// tree children); none for allgather and all-to-all, which receive in place.
std::size_t scratch_bound(CollectiveKind kind, Algorithm algorithm, const Chunking& chunking) noexcept;

}  // namespace scaleout::comm
