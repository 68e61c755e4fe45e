#include "comm/bench.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <thread>

#include "comm/environment.hpp"
#include "comm/error.hpp"

namespace scaleout::comm {

namespace {

// Progresses an operation until it is done: waits, or (polled) tests every interval, sleeping between.
template <class Test, class Wait>
void complete(const BenchOptions& options, Test test, Wait wait) {
  if (options.poll_interval.count() == 0) return wait();
  for (bool done = false; !done;) {
    std::this_thread::sleep_for(options.poll_interval);
    done = test();
  }
}

// One of scaleout's own algorithms on one size: the working buffer its in-place layout needs.
struct OwnCall {
  std::shared_ptr<const CollectiveSchedule> schedule;
  Buffer work;
  CollectiveRun run;
};

// Copies the call's inputs into the in-place layout (untimed).
void stage_inputs(CollectiveKind kind, int rank, Call& call, OwnCall& own) {
  const std::size_t element = size_of(call.type);
  switch (kind) {
    case CollectiveKind::allreduce:
    case CollectiveKind::reduce_scatter: std::memcpy(own.work.data(), call.send.data(), call.send.size()); return;
    case CollectiveKind::allgather:
      std::memcpy(own.work.data() + static_cast<std::size_t>(rank) * call.shape.send_count * element, call.send.data(),
                  call.send.size());
      return;
    default: return;  // all-to-all reads the send buffer itself
  }
}

// Copies the results out of the in-place layout to where the library's collective leaves them (untimed).
void collect_outputs(CollectiveKind kind, Call& call, OwnCall& own) {
  if (kind == CollectiveKind::alltoall) return;  // written into the receive buffer itself
  std::memcpy(call.recv.data(), own.work.data(), call.recv.size());
}

double timed_own_iteration(CollectiveKind kind, AlgorithmComm& comm, Call& call, OwnCall& own,
                           const BenchOptions& options) {
  const bool in_place = kind != CollectiveKind::alltoall;
  const std::span<const std::byte> input = in_place ? std::span<const std::byte>(own.work.bytes()) : call.send.bytes();
  const std::span<std::byte> output = in_place ? own.work.bytes() : call.recv.bytes();
  const double begin = now();
  own.run.start(comm, own.schedule, input, output, call.type);
  complete(
      options, [&] { return own.run.test(); }, [&] { own.run.wait(); });
  return now() - begin;
}

// One iteration's timed region; everything around it (fill, poison, barrier, verify) is untimed.
double timed_iteration(const Collective& collective, const Communicator& comm, Call& call,
                       std::vector<Request>& requests, const BenchOptions& options) {
  if (!options.nonblocking) return collective.run(comm, call).seconds();
  requests.clear();
  const double begin = now();
  collective.start(comm, call, requests);
  complete(
      options,
      [&] {
        bool done = true;
        for (Request& request : requests) done = request.test() && done;
        return done;
      },
      [&] {
        for (Request& request : requests) request.wait();
      });
  return now() - begin;
}

// The busiest node's bytes to the network and the busiest rank's inside its node, of one operation.
BenchRecord::TierBytes tier_bytes(const Traffic& traffic, const std::vector<int>& node_of_rank) {
  BenchRecord::TierBytes tiers;
  std::map<int, std::uint64_t> per_node;
  for (std::size_t r = 0; r < traffic.ranks.size(); ++r) {
    per_node[node_of_rank.at(r)] += traffic.ranks[r].to_other_nodes;
    tiers.intra_node_per_rank = std::max(tiers.intra_node_per_rank, traffic.ranks[r].to_same_node);
  }
  for (const auto& [node, bytes] : per_node) tiers.network_per_node = std::max(tiers.network_per_node, bytes);
  return tiers;
}

}  // namespace

std::size_t own_algorithm_bytes(CollectiveKind kind, Algorithm algorithm, std::size_t bytes, const Chunking& chunking) {
  if (!is_own(algorithm)) return 0;
  return (kind == CollectiveKind::alltoall ? 0 : bytes) + scratch_bound(kind, algorithm, chunking);
}

BenchRecord measure(const Collective& collective, const Communicator& comm, AlgorithmComm& own_comm,
                    std::size_t requested_bytes, const BenchOptions& options) {
  const int rank = comm.rank();
  const int ranks = comm.size();
  const Shape shape = collective.shape(requested_bytes, options.type, ranks);
  Call call(shape, options.type);
  const Algorithm algorithm = choose_algorithm(options.algorithm, collective.kind(), own_comm.span(), shape.bytes);
  OwnCall own_call;
  if (is_own(algorithm)) {
    own_call.schedule =
        own_comm.schedule(collective.kind(), algorithm, shape.bytes / size_of(options.type), size_of(options.type));
    if (collective.kind() != CollectiveKind::alltoall) own_call.work = Buffer(shape.bytes);
  }
  const Payload payload(options.seed, options.type, ranks);
  std::vector<Request> requests;
  requests.reserve(2);

  BenchRecord record;
  record.collective = std::string(collective.name());
  record.algorithm = std::string(name(algorithm));
  record.bytes = shape.bytes;
  record.requested_bytes = requested_bytes;
  record.ranks = ranks;
  record.bus_factor = collective.bus_factor(ranks);
  record.seconds.reserve(static_cast<std::size_t>(options.iterations));
  if (own_call.schedule) record.tiers = tier_bytes(own_call.schedule->traffic(), own_comm.node_of_rank());

  // Without --check the inputs are written once: the content does not change the timing.
  if (!options.check) collective.fill(payload, 0, rank, call);
  std::uint64_t wrong = 0;
  const int total = options.warmup + options.iterations;
  for (int iteration = 0; iteration < total; ++iteration) {
    if (options.check) {
      payload.poison(call.recv.bytes());
      collective.fill(payload, iteration, rank, call);
    }
    double seconds = 0;
    if (is_own(algorithm)) {
      stage_inputs(collective.kind(), rank, call, own_call);
      comm.barrier();
      seconds = timed_own_iteration(collective.kind(), own_comm, call, own_call, options);
      collect_outputs(collective.kind(), call, own_call);
    } else {
      comm.barrier();
      seconds = timed_iteration(collective, comm, call, requests, options);
    }
    if (options.check) wrong += collective.verify(payload, iteration, rank, ranks, call);
    if (iteration >= options.warmup) record.seconds.push_back(seconds);
  }

  // An iteration lasts until its slowest rank is done.
  check(MPI_Allreduce(MPI_IN_PLACE, record.seconds.data(), static_cast<int>(record.seconds.size()), MPI_DOUBLE, MPI_MAX,
                      comm.native()),
        "MPI_Allreduce");
  if (options.check) {
    check(MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_UINT64_T, MPI_SUM, comm.native()), "MPI_Allreduce");
    record.wrong = wrong;
  }
  return record;
}

BenchFigures figures(const BenchRecord& record) {
  BenchFigures result;
  std::vector<double> microseconds(record.seconds.size());
  for (std::size_t i = 0; i < microseconds.size(); ++i) microseconds[i] = record.seconds[i] * 1e6;
  result.time_us = percentiles(microseconds);
  if (result.time_us.p50 > 0.0) {
    result.algbw_gbs = static_cast<double>(record.bytes) / (result.time_us.p50 * 1e-6) / 1e9;
    result.busbw_gbs = result.algbw_gbs * record.bus_factor;
    if (record.tiers) {
      result.network_gbs = static_cast<double>(record.tiers->network_per_node) / (result.time_us.p50 * 1e-6) / 1e9;
      result.intra_node_gbs =
          static_cast<double>(record.tiers->intra_node_per_rank) / (result.time_us.p50 * 1e-6) / 1e9;
    }
  }
  return result;
}

std::size_t largest_bytes(const Collective& collective, ElementType type, int ranks) noexcept {
  // MPI's count argument is one block (a whole buffer where the operation has no blocks).
  const std::size_t blocks = collective.shape(size_of(type), type, ranks).blocks;
  return static_cast<std::size_t>(INT_MAX) * size_of(type) * blocks;
}

}  // namespace scaleout::comm
