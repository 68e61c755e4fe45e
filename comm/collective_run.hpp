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
//
// Modelled hops (comm/device_links.hpp): once model_intra_node() is called, a hop between ranks of one
// node posts its header (and its bytes only when they move) and completes at its modelled time; hops
// between nodes stay real.

#include <mpi.h>

#include <array>
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
#include "comm/device_links.hpp"
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

  // From now on hops between ranks of one node are modelled on `links`, which must outlive this
  // communicator. Collective over the communicator (it learns its ranks' world ranks).
  void model_intra_node(DeviceLinks& links);
  DeviceLinks* links() const noexcept { return links_; }
  // True when a hop from this rank to `peer` is modelled rather than moved.
  bool modelled(int peer) const noexcept {
    return links_ != nullptr && peer != rank_ &&
           node_of_rank_[static_cast<std::size_t>(peer)] == node_of_rank_[static_cast<std::size_t>(rank_)];
  }
  int world_rank(int peer) const { return world_ranks_.at(static_cast<std::size_t>(peer)); }

  // The bytes this rank has sent on the communicator in hops (own algorithms, point-to-point transfers),
  // moved for real or modelled (over the device's links, whether their bytes travelled too or not).
  struct SentBytes {
    std::uint64_t moved = 0, modelled = 0;
  };
  const SentBytes& sent() const noexcept { return sent_; }
  void count_sent(std::uint64_t bytes, bool modelled) noexcept { (modelled ? sent_.modelled : sent_.moved) += bytes; }

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
  DeviceLinks* links_ = nullptr;
  std::vector<int> world_ranks_;
  SentBytes sent_;
};

// The messages of one modelled hop (device_links.hpp) on `comm`, tagged `tag`: its header, then its
// bytes when the links move them. Each returns the requests it wrote to `requests` (at most 2).
struct ModelledMessage {
  MPI_Comm comm = MPI_COMM_NULL;
  int peer = -1, tag = 0;  // a rank of `comm`
  int count = 0;
  MPI_Datatype datatype = MPI_BYTE;
  std::uint64_t bytes = 0;
};
// Reserves the links to `world_peer` now; `header` (which must outlive the requests) gets the node
// time the bytes arrive; the hop's sending side completes once `not_before` (raised to when its bytes
// have left) has passed.
int post_modelled_send(DeviceLinks& links, const ModelledMessage& message, const void* data, int world_peer,
                       double& header, double& not_before, MPI_Request* requests);
// The receiving side completes once its requests have and the node time in `header` has passed.
int post_modelled_receive(const DeviceLinks& links, const ModelledMessage& message, void* data, double& header,
                          MPI_Request* requests);

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
  static constexpr int hops_per_round = 4;  // the most one rank's round holds (a tree's inner node)
  struct Lane {
    int chain = -1, round = 0, requests = 0;
    std::vector<Hop> hops;  // of the round posted
    // Modelled hops: their headers (per hop of the round) and the node time the round may end.
    std::array<double, hops_per_round> headers{};
    double not_before = 0;
  };
  static constexpr int requests_per_lane = 2 * hops_per_round;  // a modelled hop may post two

  void fill_lanes();
  void post(std::size_t lane);          // posts the lane's rounds until one has a message in flight
  bool round_done(std::size_t lane);    // its requests have completed and its modelled hops have arrived
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
