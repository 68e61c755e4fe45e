// scaleout's own algorithms (ring, double binary tree, pairwise) run on MPI point-to-point: exact
// results on every rank for fp32 and bf16, at counts that divide neither by the ranks nor by the
// chunks, with chunks small enough that many chains and windows are in flight, on placements where
// the ranks pretend to sit on one node, on one node each, and on nodes in blocks or interleaved.

#include <gtest/gtest.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "comm/collective_run.hpp"
#include "comm/device_links.hpp"
#include "comm/payload.hpp"

namespace scaleout::comm {
namespace {

struct Case {
  CollectiveKind kind;
  Algorithm algorithm;
};

std::vector<std::vector<int>> placements(int n) {
  std::vector<int> one(static_cast<std::size_t>(n), 0), each(static_cast<std::size_t>(n)), blocks(each), stripes(each);
  for (int r = 0; r < n; ++r) {
    each[static_cast<std::size_t>(r)] = r;
    blocks[static_cast<std::size_t>(r)] = r / 2;
    stripes[static_cast<std::size_t>(r)] = r % 2;
  }
  return {one, each, blocks, stripes};
}

// One operation's buffers on this rank: its input written, its output poisoned where it receives.
struct Buffers {
  std::vector<std::byte> input, output;
  bool in_place = true;
  std::span<const std::byte> source() const { return in_place ? std::span(output) : std::span(input); }
};

Buffers prepare(const Case& c, const Payload& payload, std::uint64_t count, int iteration, int rank, int n) {
  const std::size_t element = payload.element_size();
  Buffers b;
  b.in_place = c.kind != CollectiveKind::alltoall;
  b.input.resize(count * element);
  b.output.resize(count * element);
  const std::uint64_t block = count / static_cast<std::uint64_t>(n);
  if (c.kind == CollectiveKind::allgather) {
    payload.poison(b.output);
    payload.fill(std::span(b.output).subspan(rank * block * element, block * element), iteration, rank, 0);
    return b;
  }
  payload.fill(b.input, iteration, rank, 0);
  if (b.in_place) {
    b.output = b.input;
  } else {
    payload.poison(b.output);
  }
  return b;
}

std::uint64_t wrong_elements(const Case& c, const Payload& payload, std::uint64_t count, int iteration, int rank, int n,
                             const Buffers& b) {
  const std::size_t element = payload.element_size();
  const std::uint64_t block = count / static_cast<std::uint64_t>(n);
  const auto sums = payload.sums(iteration);
  std::vector<Payload::Values> senders;
  for (int r = 0; r < n; ++r) senders.push_back(payload.values(iteration, r));
  switch (c.kind) {
    case CollectiveKind::allreduce: return payload.count_wrong(b.output, [&](std::size_t i) { return sums(i); });
    case CollectiveKind::reduce_scatter:
      return payload.count_wrong(std::span(b.output).first(block * element),
                                 [&](std::size_t i) { return sums(rank * block + i); });
    case CollectiveKind::allgather:
      return payload.count_wrong(b.output, [&](std::size_t i) { return senders[i / block](i % block); });
    case CollectiveKind::alltoall:
      return payload.count_wrong(b.output, [&](std::size_t i) { return senders[i / block](rank * block + i % block); });
    default: return count;
  }
}

std::uint64_t summed_over_ranks(std::uint64_t value) {
  MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  return value;
}

class OwnAlgorithms : public testing::TestWithParam<Case> {};

TEST_P(OwnAlgorithms, ResultsAreExactOnEveryRankAndPlacement) {
  const Case& c = GetParam();
  const Communicator world = Communicator::world();
  const int n = world.size();
  for (const auto& nodes : placements(n)) {
    // Chunks of 3 fp32 elements (6 bf16) and a window of 2: many chains, the window's rule exercised.
    AlgorithmComm comm(world, nodes, Chunking{12, 2});
    for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
      const Payload payload(5, type, n);
      for (const std::uint64_t base : {1ull, 7ull, 50ull}) {
        const std::uint64_t count =
            c.kind == CollectiveKind::allreduce ? base * 3 + 1 : base * static_cast<std::uint64_t>(n);
        for (const bool blocking_wait : {false, true}) {
          const int iteration = static_cast<int>(base) + (blocking_wait ? 100 : 0);
          Buffers b = prepare(c, payload, count, iteration, comm.rank(), n);
          CollectiveRun run;
          run.start(comm, comm.schedule(c.kind, c.algorithm, count, payload.element_size()), b.source(), b.output,
                    type);
          if (blocking_wait) {
            run.wait();
          } else {
            while (!run.test()) {
            }
          }
          EXPECT_FALSE(run.pending());
          EXPECT_EQ(summed_over_ranks(wrong_elements(c, payload, count, iteration, comm.rank(), n, b)), 0u)
              << name(c.kind) << " " << name(c.algorithm) << " " << name(type) << " count " << count << " nodes "
              << testing::PrintToString(nodes) << (blocking_wait ? " waited" : " tested");
        }
      }
    }
  }
}

TEST_P(OwnAlgorithms, ManyInFlightOnOneCommunicatorStayApart) {
  const Case& c = GetParam();
  const Communicator world = Communicator::world();
  const int n = world.size();
  AlgorithmComm comm(world, placements(n)[2], Chunking{8, 3});
  const Payload payload(9, ElementType::fp32, n);
  const std::uint64_t count = 24ull * static_cast<std::uint64_t>(n);
  std::vector<Buffers> buffers;
  for (int k = 0; k < 5; ++k) buffers.push_back(prepare(c, payload, count, k, comm.rank(), n));
  std::vector<CollectiveRun> runs(buffers.size());
  for (std::size_t k = 0; k < runs.size(); ++k) {
    runs[k].start(comm, comm.schedule(c.kind, c.algorithm, count, 4), buffers[k].source(), buffers[k].output,
                  ElementType::fp32);
  }
  // Waited for in the reverse of their order: each wait progresses only its own operation's rounds.
  for (std::size_t k = runs.size(); k-- > 0;) runs[k].wait();
  std::uint64_t wrong = 0;
  for (std::size_t k = 0; k < runs.size(); ++k)
    wrong += wrong_elements(c, payload, count, static_cast<int>(k), comm.rank(), n, buffers[k]);
  EXPECT_EQ(summed_over_ranks(wrong), 0u);
}

// With the device's links modelled (device_links.hpp): the hops inside a node carry their bytes too when
// asked (emulation.check), so the results stay exact; without, every hop is counted where it went,
// and no run ends before its modelled hops could have arrived.
TEST_P(OwnAlgorithms, ModelledHopsInsideANodeAreExactCountedAndTimed) {
  const Case& c = GetParam();
  const Communicator world = Communicator::world();
  const int n = world.size();
  // 1 GB/s and 200 us a hop: slow enough that the model, not the host, decides the time.
  const LinkModel model{.latency = 200e-6, .bandwidth = 1e9, .pair_bandwidth = 1e9};
  for (const auto& nodes : placements(n)) {
    for (const bool move_bytes : {true, false}) {
      DeviceLinks links(model, move_bytes);
      AlgorithmComm comm(world, nodes, Chunking{64, 2});
      comm.model_intra_node(links);
      const Payload payload(7, ElementType::fp32, n);
      const std::uint64_t count = c.kind == CollectiveKind::allreduce ? 301 : 75ull * static_cast<std::uint64_t>(n);
      Buffers b = prepare(c, payload, count, 3, comm.rank(), n);
      const auto schedule = comm.schedule(c.kind, c.algorithm, count, payload.element_size());
      world.barrier();
      const double begin = node_clock();
      CollectiveRun run;
      run.start(comm, schedule, b.source(), b.output, ElementType::fp32);
      run.wait();
      // From the first rank's start to the last rank's end, on the clock the ranks of a host share.
      double first = begin, last = node_clock();
      MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, &last, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      const double took = last - first;
      const std::string where = std::string(name(c.kind)) + " " + std::string(name(c.algorithm)) + " nodes " +
                                testing::PrintToString(nodes) + (move_bytes ? " moving" : " modelled");
      if (move_bytes) {
        EXPECT_EQ(summed_over_ranks(wrong_elements(c, payload, count, 3, comm.rank(), n, b)), 0u) << where;
      }
      const Traffic traffic = schedule->traffic();
      const auto& mine = traffic.ranks[static_cast<std::size_t>(comm.rank())];
      EXPECT_EQ(comm.sent().modelled, mine.to_same_node) << where;
      EXPECT_EQ(comm.sent().moved, mine.to_other_nodes) << where;
      // Inside one node, every round on the critical path lasts at least a hop's latency.
      if (traffic.intra_rounds > 0 && traffic.network_rounds == 0) {
        EXPECT_GE(took, traffic.intra_rounds * model.latency) << where;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(, OwnAlgorithms,
                         testing::Values(Case{CollectiveKind::allreduce, Algorithm::ring},
                                         Case{CollectiveKind::allreduce, Algorithm::tree},
                                         Case{CollectiveKind::reduce_scatter, Algorithm::ring},
                                         Case{CollectiveKind::allgather, Algorithm::ring},
                                         Case{CollectiveKind::alltoall, Algorithm::pairwise}),
                         [](const auto& info) {
                           return std::string(name(info.param.kind)) + "_" + std::string(name(info.param.algorithm));
                         });

}  // namespace
}  // namespace scaleout::comm
