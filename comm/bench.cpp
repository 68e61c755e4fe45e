#include "comm/bench.hpp"

#include <climits>
#include <thread>

#include "comm/environment.hpp"
#include "comm/error.hpp"

namespace scaleout::comm {

namespace {

// One iteration's timed region; everything around it (fill, poison, barrier, verify) is untimed.
double timed_iteration(const Collective& collective, const Communicator& comm, Call& call,
                       std::vector<Request>& requests, const BenchOptions& options) {
  if (!options.nonblocking) return collective.run(comm, call).seconds();
  requests.clear();
  const double begin = now();
  collective.start(comm, call, requests);
  if (options.poll_interval.count() == 0) {
    for (Request& request : requests) request.wait();
  } else {
    for (bool pending = true; pending;) {
      std::this_thread::sleep_for(options.poll_interval);
      pending = false;
      for (Request& request : requests) pending = (request.pending() && !request.test()) || pending;
    }
  }
  return now() - begin;
}

}  // namespace

BenchRecord measure(const Collective& collective, const Communicator& comm, std::size_t requested_bytes,
                    const BenchOptions& options) {
  const int rank = comm.rank();
  const int ranks = comm.size();
  const Shape shape = collective.shape(requested_bytes, options.type, ranks);
  Call call(shape, options.type);
  const Payload payload(options.seed, options.type, ranks);
  std::vector<Request> requests;
  requests.reserve(2);

  BenchRecord record;
  record.collective = std::string(collective.name());
  record.bytes = shape.bytes;
  record.requested_bytes = requested_bytes;
  record.ranks = ranks;
  record.bus_factor = collective.bus_factor(ranks);
  record.seconds.reserve(static_cast<std::size_t>(options.iterations));

  // Without --check the inputs are written once: the content does not change the timing.
  if (!options.check) collective.fill(payload, 0, rank, call);
  std::uint64_t wrong = 0;
  const int total = options.warmup + options.iterations;
  for (int iteration = 0; iteration < total; ++iteration) {
    if (options.check) {
      payload.poison(call.recv.bytes());
      collective.fill(payload, iteration, rank, call);
    }
    comm.barrier();
    const double seconds = timed_iteration(collective, comm, call, requests, options);
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
  }
  return result;
}

std::size_t largest_bytes(const Collective& collective, ElementType type, int ranks) noexcept {
  // MPI's count argument is one block (a whole buffer where the operation has no blocks).
  const std::size_t blocks = collective.shape(size_of(type), type, ranks).blocks;
  return static_cast<std::size_t>(INT_MAX) * size_of(type) * blocks;
}

}  // namespace scaleout::comm
