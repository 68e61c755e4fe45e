#include "comm/collective_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>

#include "comm/environment.hpp"
#include "comm/error.hpp"
#include "comm/gather.hpp"
#include "comm/operations.hpp"
#include "comm/sum_op.hpp"

namespace scaleout::comm {

namespace {

// The largest tag (an attribute of MPI_COMM_WORLD only, by the standard).
long long tag_upper_bound() {
  int* value = nullptr;
  int found = 0;
  check(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, static_cast<void*>(&value), &found), "MPI_Comm_get_attr");
  return found != 0 && value != nullptr ? *value : 32767;  // the least the standard allows
}

// The runs in flight in this process (one thread drives them): registered when they start, cleared
// when they finish; progress_runs() drops the cleared entries after its pass.
std::vector<CollectiveRun*>& runs_in_flight() {
  static std::vector<CollectiveRun*> runs;
  return runs;
}

void forget(const CollectiveRun* run) noexcept {
  for (auto*& entry : runs_in_flight()) {
    if (entry == run) entry = nullptr;
  }
}

}  // namespace

bool progress_runs() {
  auto& runs = runs_in_flight();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i] != nullptr) runs[i]->test();
  }
  runs.erase(std::remove(runs.begin(), runs.end(), nullptr), runs.end());
  return !runs.empty();
}

std::size_t scratch_bound(CollectiveKind kind, Algorithm algorithm, const Chunking& chunking) noexcept {
  const bool reduces = kind == CollectiveKind::allreduce || kind == CollectiveKind::reduce_scatter;
  if (!reduces || (algorithm != Algorithm::ring && algorithm != Algorithm::tree)) return 0;
  const std::size_t slots = algorithm == Algorithm::tree ? 3 : 1;
  return slots * static_cast<std::size_t>(chunking.window) * chunking.chunk_bytes;
}

AlgorithmComm::AlgorithmComm(const Communicator& comm, std::vector<int> node_of_rank, Chunking chunking)
    : comm_(comm.duplicate()), node_of_rank_(std::move(node_of_rank)), rank_(comm_.rank()), chunking_(chunking) {
  if (static_cast<int>(node_of_rank_.size()) != comm_.size()) {
    throw std::invalid_argument(
        fmt::format("{} nodes given for a communicator of {} ranks", node_of_rank_.size(), comm_.size()));
  }
  std::vector<int> distinct = node_of_rank_;
  std::sort(distinct.begin(), distinct.end());
  nodes_ = static_cast<int>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
  operations_in_tags_ = static_cast<int>(std::max(1LL, (tag_upper_bound() + 1) / chunking_.window));
}

void AlgorithmComm::model_intra_node(DeviceLinks& links) {
  world_ranks_ = allgather_values(comm_, Communicator::world().rank());
  links_ = &links;
}

int post_modelled_send(DeviceLinks& links, const ModelledMessage& m, const void* data, int world_peer, double& header,
                       double& not_before, MPI_Request* requests) {
  const DeviceLinks::Timing timing = links.reserve(world_peer, m.bytes, node_clock());
  header = timing.arrives;
  not_before = std::max(not_before, timing.sent);
  check(MPI_Isend(&header, 1, MPI_DOUBLE, m.peer, m.tag, m.comm, &requests[0]), "MPI_Isend");
  if (!links.move_bytes()) return 1;
  check(MPI_Isend(data, m.count, m.datatype, m.peer, m.tag, m.comm, &requests[1]), "MPI_Isend");
  return 2;
}

int post_modelled_receive(const DeviceLinks& links, const ModelledMessage& m, void* data, double& header,
                          MPI_Request* requests) {
  check(MPI_Irecv(&header, 1, MPI_DOUBLE, m.peer, m.tag, m.comm, &requests[0]), "MPI_Irecv");
  if (!links.move_bytes()) return 1;
  check(MPI_Irecv(data, m.count, m.datatype, m.peer, m.tag, m.comm, &requests[1]), "MPI_Irecv");
  return 2;
}

std::shared_ptr<const CollectiveSchedule> AlgorithmComm::schedule(CollectiveKind kind, Algorithm algorithm,
                                                                  std::uint64_t count, std::size_t element_size) {
  auto& kept = schedules_[{kind, algorithm, count, element_size}];
  if (!kept)
    kept = std::make_shared<const CollectiveSchedule>(
        ScheduleSpec{kind, algorithm, count, element_size, node_of_rank_, chunking_});
  return kept;
}

int AlgorithmComm::begin_operation() {
  if (in_flight_ >= operations_in_tags_) {
    throw std::logic_error(fmt::format("more than {} collectives in flight on one communicator", operations_in_tags_));
  }
  ++in_flight_;
  return static_cast<int>(started_++ % operations_in_tags_) * chunking_.window;
}

CollectiveRun::~CollectiveRun() { cancel_in_destructor(); }

CollectiveRun::CollectiveRun(CollectiveRun&& other) noexcept { *this = std::move(other); }

CollectiveRun& CollectiveRun::operator=(CollectiveRun&& other) noexcept {
  if (this != &other) {
    cancel_in_destructor();
    if (other.comm_ != nullptr) {
      for (auto*& entry : runs_in_flight()) {
        if (entry == &other) entry = this;
      }
    }
    comm_ = std::exchange(other.comm_, nullptr);
    schedule_ = std::move(other.schedule_);
    input_ = other.input_;
    output_ = other.output_;
    type_ = other.type_;
    tag_base_ = other.tag_base_;
    next_chain_ = other.next_chain_;
    completed_at_ = other.completed_at_;
    lanes_ = std::move(other.lanes_);
    requests_ = std::move(other.requests_);
    scratch_ = std::move(other.scratch_);
  }
  return *this;
}

// An operation in flight has MPI writing into buffers its owner is about to release: wait for it, as
// Request does (collectives cannot be cancelled, and the peers' messages must be matched).
void CollectiveRun::cancel_in_destructor() noexcept {
  if (comm_ == nullptr || !Environment::active()) return;
  try {
    wait();
  } catch (...) {
    finish();
  }
}

void CollectiveRun::start(AlgorithmComm& comm, std::shared_ptr<const CollectiveSchedule> schedule,
                          std::span<const std::byte> input, std::span<std::byte> output, ElementType type) {
  if (comm_ != nullptr) throw std::logic_error("an operation started on a run still in flight");
  // As many lanes as chains can be in flight, each with the scratch its chain's reductions need.
  const auto lanes = static_cast<std::size_t>(std::clamp(schedule->chains(), 1, comm.chunking().window));
  const std::size_t scratch_bytes = lanes * static_cast<std::size_t>(schedule->scratch_slots()) *
                                    static_cast<std::size_t>(schedule->slot_count()) * size_of(type);
  if (scratch_.size() < scratch_bytes) scratch_ = Buffer(scratch_bytes);
  lanes_.resize(lanes);
  for (auto& lane : lanes_) {
    lane.chain = -1;
    lane.round = lane.requests = 0;
  }
  requests_.assign(lanes * requests_per_lane, MPI_REQUEST_NULL);
  tag_base_ = comm.begin_operation();
  comm_ = &comm;
  schedule_ = std::move(schedule);
  input_ = input;
  output_ = output;
  type_ = type;
  next_chain_ = 0;
  completed_at_ = -1;
  runs_in_flight().push_back(this);
  try {
    fill_lanes();
  } catch (...) {
    finish();
    throw;
  }
}

std::byte* CollectiveRun::scratch(std::size_t lane, int slot) noexcept {
  const std::size_t chunk = static_cast<std::size_t>(schedule_->slot_count()) * size_of(type_);
  return scratch_.data() +
         (lane * static_cast<std::size_t>(schedule_->scratch_slots()) + static_cast<std::size_t>(slot)) * chunk;
}

void CollectiveRun::fill_lanes() {
  // A chain starts once every chain a window before it has completed here (the tags' rule). A chain
  // whose rounds hold nothing for this rank completes as it starts and frees its lane again.
  const int window = static_cast<int>(lanes_.size());
  for (bool started = true; started && next_chain_ < schedule_->chains();) {
    started = false;
    int oldest = next_chain_;
    for (const auto& lane : lanes_) {
      if (lane.chain >= 0) oldest = std::min(oldest, lane.chain);
    }
    for (std::size_t l = 0; l < lanes_.size() && next_chain_ < schedule_->chains(); ++l) {
      if (lanes_[l].chain >= 0 || next_chain_ >= oldest + window) continue;
      lanes_[l].chain = next_chain_++;
      lanes_[l].round = 0;
      post(l);
      started = true;
    }
  }
}

void CollectiveRun::post(std::size_t l) {
  Lane& lane = lanes_[l];
  const MPI_Datatype datatype = mpi_datatype(type_);
  const std::size_t element = size_of(type_);
  const int tag = tag_base_ + lane.chain % static_cast<int>(lanes_.size());
  const MPI_Comm native = comm_->comm().native();
  MPI_Request* requests = requests_.data() + l * requests_per_lane;
  for (; lane.round < schedule_->rounds(); ++lane.round) {
    lane.hops.clear();
    schedule_->hops(comm_->rank(), lane.chain, lane.round, lane.hops);
    if (lane.hops.size() > static_cast<std::size_t>(hops_per_round))
      throw std::logic_error(fmt::format("a round of {} hops", lane.hops.size()));
    lane.requests = 0;
    lane.not_before = 0;
    for (std::size_t h = 0; h < lane.hops.size(); ++h) {
      const Hop& hop = lane.hops[h];
      const int count = mpi_count(hop.count);
      std::byte* const into =
          hop.kind == Hop::Kind::reduce ? scratch(l, hop.slot) : output_.data() + hop.offset * element;
      if (hop.kind != Hop::Kind::local_copy && comm_->modelled(hop.peer)) {
        DeviceLinks& links = *comm_->links();
        if (hop.kind == Hop::Kind::send) comm_->count_sent(hop.count * element, true);
        const ModelledMessage message{native, hop.peer, tag, count, datatype, hop.count * element};
        lane.requests +=
            hop.kind == Hop::Kind::send
                ? post_modelled_send(links, message, input_.data() + hop.offset * element, comm_->world_rank(hop.peer),
                                     lane.headers[h], lane.not_before, &requests[lane.requests])
                : post_modelled_receive(links, message, into, lane.headers[h], &requests[lane.requests]);
        continue;
      }
      switch (hop.kind) {
        case Hop::Kind::send:
          comm_->count_sent(hop.count * element, false);
          check(MPI_Isend(input_.data() + hop.offset * element, count, datatype, hop.peer, tag, native,
                          &requests[lane.requests++]),
                "MPI_Isend");
          break;
        case Hop::Kind::receive:
        case Hop::Kind::reduce:
          check(MPI_Irecv(into, count, datatype, hop.peer, tag, native, &requests[lane.requests++]), "MPI_Irecv");
          break;
        case Hop::Kind::local_copy:
          std::memmove(output_.data() + hop.offset * element, input_.data() + hop.from * element, hop.count * element);
          break;
      }
    }
    if (lane.requests > 0) return;
  }
  lane.chain = -1;  // every round done
}

bool CollectiveRun::round_done(std::size_t l) {
  Lane& lane = lanes_[l];
  int done = 0;
  check(MPI_Testall(lane.requests, requests_.data() + l * requests_per_lane, &done, MPI_STATUSES_IGNORE),
        "MPI_Testall");
  if (done == 0) return false;
  if (comm_->links() == nullptr) return true;
  // Every header has arrived: the round ends when the last of its modelled bytes has.
  for (std::size_t h = 0; h < lane.hops.size(); ++h) {
    const Hop& hop = lane.hops[h];
    if (hop.kind != Hop::Kind::send && hop.kind != Hop::Kind::local_copy && comm_->modelled(hop.peer))
      lane.not_before = std::max(lane.not_before, lane.headers[h]);
  }
  return node_clock() >= lane.not_before;
}

void CollectiveRun::finish_round(std::size_t l) {
  const std::size_t element = size_of(type_);
  for (const Hop& hop : lanes_[l].hops) {
    // A modelled hop whose bytes stayed put brought nothing to add (the device would add on its own
    // cores, within the hop's time).
    const bool received = !comm_->modelled(hop.peer) || comm_->links()->move_bytes();
    if (hop.kind == Hop::Kind::reduce && received)
      add_elements(type_, output_.data() + hop.offset * element, scratch(l, hop.slot), hop.count);
  }
  ++lanes_[l].round;
  post(l);
}

bool CollectiveRun::test() {
  if (comm_ == nullptr) return true;
  try {
    for (std::size_t l = 0; l < lanes_.size(); ++l) {
      if (lanes_[l].chain >= 0 && round_done(l)) finish_round(l);
    }
    fill_lanes();
  } catch (...) {
    finish();
    throw;
  }
  const bool busy = std::any_of(lanes_.begin(), lanes_.end(), [](const Lane& lane) { return lane.chain >= 0; });
  if (busy || next_chain_ < schedule_->chains()) return false;
  completed_at_ = now();
  finish();
  return true;
}

void CollectiveRun::wait() {
  while (pending()) progress_runs();
}

void CollectiveRun::finish() noexcept {
  if (comm_ != nullptr) comm_->end_operation();
  comm_ = nullptr;
  forget(this);
}

}  // namespace scaleout::comm
