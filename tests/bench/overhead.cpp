// Does the benchmark add anything to what it measures? In one job, for each size, scaleout's own
// measurement (comm::measure, exactly what `scaleout bench` runs) alternates with a bare MPI loop
// written here from plain MPI calls: same collective, same bytes, same barrier-then-time pattern.
// Rounds rotate the order so that drift on a noisy machine falls on all alike. It prints the median
// iteration time of each and their ratio (scaleout / bare); the target is at most 1.03. A second,
// independent bare series gives the noise floor: the ratio of two identical loops (bare2 / bare),
// which is what the machine alone makes of "the same thing measured twice".
//
// With --algorithm ring (allreduce only), scaleout's own ring (comm/collective_run.hpp) is compared
// with a bare ring written here from the same MPI calls: per step, the block's chunks posted with
// MPI_Irecv and MPI_Isend to the ring's neighbours, MPI_Waitall, then the received chunks added.
//
// Not a test: a benchmark. Run it through tests/bench/overhead, which builds and launches it.

#include <mpi.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "comm/bench.hpp"
#include "comm/collective.hpp"
#include "comm/collective_schedule.hpp"
#include "comm/environment.hpp"
#include "comm/stats.hpp"
#include "runs/sizes.hpp"

namespace {

using scaleout::comm::Collective;
using scaleout::comm::Shape;

// One iteration of the bare loop: plain MPI on plain vectors, nothing from scaleout but the shape.
// Page-aligned like scaleout's buffers: alignment changes the speed of shared-memory copies, and the
// comparison is about the measurement, not the allocator.
struct AlignedFloats {
  explicit AlignedFloats(std::size_t count, float value)
      : size((std::max<std::size_t>(count, 1) * sizeof(float) + 4095) / 4096 * 4096),
        data(static_cast<float*>(std::aligned_alloc(4096, size))) {
    std::fill(data, data + size / sizeof(float), value);
  }
  ~AlignedFloats() { std::free(data); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  std::size_t size;
  float* data;
};

double bare_iteration(const std::string& name, MPI_Comm comm, const Shape& s, AlignedFloats& send_buffer,
                      AlignedFloats& recv_buffer) {
  float* const send = send_buffer.data;
  float* const recv = recv_buffer.data;
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int block = static_cast<int>(s.blocks > 1 ? std::max(s.send_count, s.recv_count) / s.blocks : s.recv_count);
  MPI_Barrier(comm);
  const double begin = MPI_Wtime();
  if (name == "allreduce") {
    MPI_Allreduce(send, recv, static_cast<int>(s.send_count), MPI_FLOAT, MPI_SUM, comm);
  } else if (name == "reduce_scatter") {
    MPI_Reduce_scatter_block(send, recv, block, MPI_FLOAT, MPI_SUM, comm);
  } else if (name == "allgather") {
    MPI_Allgather(send, block, MPI_FLOAT, recv, block, MPI_FLOAT, comm);
  } else if (name == "alltoall") {
    MPI_Alltoall(send, block, MPI_FLOAT, recv, block, MPI_FLOAT, comm);
  } else if (name == "broadcast") {
    MPI_Bcast(recv, static_cast<int>(s.recv_count), MPI_FLOAT, 0, comm);
  } else if (name == "reduce") {
    MPI_Reduce(send, recv, static_cast<int>(s.send_count), MPI_FLOAT, MPI_SUM, 0, comm);
  } else {  // sendrecv: the same ring shift
    MPI_Sendrecv(send, static_cast<int>(s.send_count), MPI_FLOAT, (rank + 1) % size, 7, recv,
                 static_cast<int>(s.recv_count), MPI_FLOAT, (rank + size - 1) % size, 7, comm, MPI_STATUS_IGNORE);
  }
  return MPI_Wtime() - begin;
}

// A ring allreduce in place on `data` (n blocks, the last ones one element shorter where n does not
// divide), chunks of `chunk` elements all in flight at once: n-1 steps of reduce-scatter, n-1 of
// allgather. What scaleout's ring does for a block of up to 8 chunks, without its bookkeeping.
double bare_ring_iteration(MPI_Comm comm, const Shape& s, AlignedFloats& data_buffer, AlignedFloats& scratch,
                           std::size_t chunk) {
  float* const data = data_buffer.data;
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const std::size_t n = static_cast<std::size_t>(size), count = s.send_count;
  const auto first = [&](std::size_t b) { return b * (count / n) + std::min(b, count % n); };
  const int next = (rank + 1) % size, previous = (rank + size - 1) % size;
  std::vector<MPI_Request> requests;
  MPI_Barrier(comm);
  const double begin = MPI_Wtime();
  for (int phase = 0; phase < 2 && size > 1; ++phase) {
    for (int step = 0; step < size - 1; ++step) {
      // Reduce-scatter sends block r - step and receives r - step - 1; allgather passes on one ahead.
      const std::size_t shift = static_cast<std::size_t>(phase == 0 ? step : step - 1 + size);
      const std::size_t out = (static_cast<std::size_t>(rank) + n * 2 - shift) % n;
      const std::size_t in = (out + n - 1) % n;
      requests.clear();
      for (std::size_t at = first(in); at < first(in + 1); at += chunk) {
        const int length = static_cast<int>(std::min(chunk, first(in + 1) - at));
        requests.emplace_back();
        MPI_Irecv(phase == 0 ? scratch.data + (at - first(in)) : data + at, length, MPI_FLOAT, previous, 3, comm,
                  &requests.back());
      }
      for (std::size_t at = first(out); at < first(out + 1); at += chunk) {
        const int length = static_cast<int>(std::min(chunk, first(out + 1) - at));
        requests.emplace_back();
        MPI_Isend(data + at, length, MPI_FLOAT, next, 3, comm, &requests.back());
      }
      MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
      if (phase == 0) {
        for (std::size_t i = first(in); i < first(in + 1); ++i) data[i] += scratch.data[i - first(in)];
      }
    }
  }
  return MPI_Wtime() - begin;
}

std::vector<double> bare_loop(const std::string& name, MPI_Comm comm, const Shape& s, int iterations, bool ring) {
  AlignedFloats send(s.send_count, 1.0f);
  AlignedFloats recv(s.recv_count, 0.0f);
  const std::size_t chunk = scaleout::comm::Chunking{}.chunk_bytes / sizeof(float);
  const auto once = [&] {
    return ring ? bare_ring_iteration(comm, s, send, recv, chunk) : bare_iteration(name, comm, s, send, recv);
  };
  once();  // warm-up, as scaleout's one
  std::vector<double> seconds;
  for (int i = 0; i < iterations; ++i) seconds.push_back(once());
  MPI_Allreduce(MPI_IN_PLACE, seconds.data(), iterations, MPI_DOUBLE, MPI_MAX, comm);
  return seconds;
}

double median(std::vector<double> sample) { return scaleout::comm::percentiles(sample).p50; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("scaleout's measurement against a bare MPI loop");
  std::string collective_name = "allreduce";
  std::string sizes_text = "4K:64M:2";
  int rounds = 60;
  double budget = 0.1;
  app.add_option("--collective", collective_name, "Collective to compare")->capture_default_str();
  app.add_option("--sizes", sizes_text, "Sizes, as scaleout bench takes them")->capture_default_str();
  app.add_option("--rounds", rounds, "Alternating rounds per size")->capture_default_str();
  app.add_option("--seconds", budget, "Time per round and side, roughly")->capture_default_str();
  std::string algorithm = "library";
  app.add_option("--algorithm", algorithm,
                 "library (against the bare MPI call) or ring (allreduce, against a bare ring)")
      ->capture_default_str()
      ->check(CLI::IsMember({"library", "ring"}));
  CLI11_PARSE(app, argc, argv);

  scaleout::comm::Environment environment(argc, argv);
  const Collective* collective = scaleout::comm::find_collective(collective_name);
  if (collective == nullptr) {
    fmt::print(stderr, "unknown collective {}\n", collective_name);
    return 2;
  }
  const bool ring = algorithm == "ring";
  if (ring && collective_name != "allreduce") {
    fmt::print(stderr, "--algorithm ring compares allreduce only\n");
    return 2;
  }
  const auto world = scaleout::comm::Communicator::world().duplicate();
  scaleout::comm::AlgorithmComm own(world, std::vector<int>(static_cast<std::size_t>(world.size()), 0));
  MPI_Comm bare = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &bare);
  const bool root = world.rank() == 0;
  if (root) {
    fmt::print("# {} ({}) on {} ranks: median iteration time of scaleout's measurement and of a bare {}\n",
               collective_name, algorithm, world.size(), ring ? "ring of MPI_Isend/MPI_Irecv" : "MPI loop");
    fmt::print("# {:>10} {:>8} {:>14} {:>14} {:>8} {:>7} {:>8}\n", "bytes", "iters", "scaleout_us", "bare_us", "ratio",
               "target", "noise");
  }
  double worst = 0.0;
  for (const std::uint64_t size : scaleout::runs::parse_sizes(sizes_text, "--sizes")) {
    const Shape shape = collective->shape(size, scaleout::comm::ElementType::fp32, world.size());
    // Iterations per round from a probe, so that every size gets about the same time.
    const std::vector<double> probe = bare_loop(collective_name, bare, shape, 3, ring);
    const int iterations = std::clamp(static_cast<int>(budget / std::max(median(probe), 1e-6)), 3, 2000);
    std::vector<double> tool, plain, again;
    for (int round = 0; round < rounds; ++round) {
      scaleout::comm::BenchOptions options{iterations, 1, false, false, scaleout::comm::ElementType::fp32, 1};
      options.algorithm = ring ? scaleout::comm::AlgorithmChoice::ring : scaleout::comm::AlgorithmChoice::library;
      const auto measure = [&] {
        const auto record = scaleout::comm::measure(*collective, world, own, size, options);
        tool.insert(tool.end(), record.seconds.begin(), record.seconds.end());
      };
      const auto loop = [&](std::vector<double>& into) {
        const auto seconds = bare_loop(collective_name, bare, shape, iterations, ring);
        into.insert(into.end(), seconds.begin(), seconds.end());
      };
      // All six orders of the three series, in turn.
      static constexpr int orders[6][3] = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}};
      for (const int series : orders[round % 6]) {
        if (series == 0) measure();
        if (series == 1) loop(plain);
        if (series == 2) loop(again);
      }
    }
    const double ratio = median(tool) / median(plain);
    const double noise = median(again) / median(plain);
    worst = std::max(worst, ratio);
    if (root) {
      fmt::print("  {:>10} {:>8} {:>14.1f} {:>14.1f} {:>8.3f} {:>7} {:>8.3f}\n", shape.bytes, iterations * rounds,
                 median(tool) * 1e6, median(plain) * 1e6, ratio, ratio <= 1.03 ? "<=1.03" : "MISSED", noise);
    }
  }
  if (root) {
    fmt::print("# worst ratio {:.3f} (target at most 1.03); noise = bare2 / bare, two identical loops\n", worst);
  }
  MPI_Comm_free(&bare);
  return 0;
}
