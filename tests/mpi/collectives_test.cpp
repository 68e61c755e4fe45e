// Every collective, blocking and non-blocking, fp32 and bf16, by the library and by scaleout's own
// algorithms (on a pretended placement of two ranks per node), at sizes that do and do not divide
// evenly among the ranks or the chunks: the results are exact on every rank, and a corrupted result
// is caught.

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>
#include <string>
#include <vector>

#include "comm/bench.hpp"
#include "comm/collective.hpp"
#include "comm/gather.hpp"
#include "pretended_nodes.hpp"

namespace scaleout::comm {
namespace {

struct Case {
  const Collective* collective;
  ElementType type;
  bool nonblocking;
  AlgorithmChoice algorithm = AlgorithmChoice::library;
};

bool has_own_algorithms(const Collective& c) {
  return c.kind() == CollectiveKind::allreduce || c.kind() == CollectiveKind::reduce_scatter ||
         c.kind() == CollectiveKind::allgather || c.kind() == CollectiveKind::alltoall;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const Collective* c : all_collectives()) {
    for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
      for (const bool nonblocking : {false, true}) cases.push_back({c, type, nonblocking});
      if (!has_own_algorithms(*c)) continue;
      for (const auto choice : {AlgorithmChoice::ring, AlgorithmChoice::tree, AlgorithmChoice::automatic}) {
        cases.push_back({c, type, false, choice});
      }
    }
  }
  return cases;
}

// Chunks of 20 KiB with 3 in flight: the sizes below make many chains, some of a partial chunk.
AlgorithmComm prepared(const Communicator& world) {
  return AlgorithmComm(world, tests::two_per_node(world.size()), Chunking{20 * 1024, 3});
}

class EveryCollective : public testing::TestWithParam<Case> {};

TEST_P(EveryCollective, ResultsAreExactOnEveryRank) {
  const Case& c = GetParam();
  const Communicator world = Communicator::world().duplicate();
  AlgorithmComm own = prepared(world);
  BenchOptions options{3, 1, /*check=*/true, c.nonblocking, c.type, 17};
  options.algorithm = c.algorithm;
  for (const std::size_t bytes : {std::size_t{4}, std::size_t{1000}, std::size_t{65536 + 6}, std::size_t{1} << 20}) {
    const BenchRecord record = measure(*c.collective, world, own, bytes, options);
    const Algorithm expected = choose_algorithm(c.algorithm, c.collective->kind(), own.span(), record.bytes);
    EXPECT_EQ(record.algorithm, name(expected));
    if (c.algorithm != AlgorithmChoice::library) {
      EXPECT_NE(expected, Algorithm::library);
    }
    ASSERT_TRUE(record.wrong.has_value());
    EXPECT_EQ(*record.wrong, 0u) << c.collective->name() << " " << name(c.type) << " " << bytes << " bytes";
    EXPECT_EQ(record.seconds.size(), 3u);
    EXPECT_EQ(record.ranks, world.size());
    EXPECT_EQ(record.bytes, c.collective->shape(bytes, c.type, world.size()).bytes);
    for (const double s : record.seconds) EXPECT_GT(s, 0.0);
  }
}

TEST_P(EveryCollective, IterationTimesAreTheSameOnEveryRank) {
  const Case& c = GetParam();
  const Communicator world = Communicator::world().duplicate();
  AlgorithmComm own = prepared(world);
  BenchOptions options{4, 0, false, c.nonblocking, c.type, 1};
  options.algorithm = c.algorithm;
  const BenchRecord record = measure(*c.collective, world, own, 4096, options);
  EXPECT_FALSE(record.wrong.has_value());
  std::vector<double> at_root = record.seconds;
  MPI_Bcast(at_root.data(), static_cast<int>(at_root.size()), MPI_DOUBLE, 0, world.native());
  EXPECT_EQ(record.seconds, at_root);  // each is the maximum over ranks
}

TEST_P(EveryCollective, ACorruptedElementIsCounted) {
  const Case& c = GetParam();
  const Communicator world = Communicator::world().duplicate();
  const int rank = world.rank();
  const int ranks = world.size();
  const Payload payload(5, c.type, ranks);
  Call call(c.collective->shape(4096, c.type, ranks), c.type);
  c.collective->fill(payload, 0, rank, call);
  c.collective->run(world, call);
  EXPECT_EQ(c.collective->verify(payload, 0, rank, ranks, call), 0u);
  // Rank 0's output is checked by every collective (it is the root of broadcast and reduce).
  if (rank == 0) {
    const float far_off = 30000.0f;  // outside every payload sum
    const std::uint32_t bits = encode(c.type, static_cast<std::int64_t>(far_off));
    std::memcpy(call.recv.data() + call.recv.size() / 2 / size_of(c.type) * size_of(c.type), &bits, size_of(c.type));
    EXPECT_EQ(c.collective->verify(payload, 0, rank, ranks, call), 1u);
    // Results of another iteration are wrong almost everywhere.
    EXPECT_GT(c.collective->verify(payload, 1, rank, ranks, call), call.shape.recv_count / 2);
  }
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return std::string(info.param.collective->name()) + "_" + std::string(name(info.param.type)) +
         (info.param.nonblocking ? "_nonblocking" : "_blocking") + "_" + std::string(name(info.param.algorithm));
}

INSTANTIATE_TEST_SUITE_P(Collectives, EveryCollective, testing::ValuesIn(all_cases()), case_name);

TEST(Bf16Reduction, SumsRoundToBf16) {
  // Rank 0 gives 256, rank 1 gives 1, the rest 0: fp32 would hold 257, which bf16 cannot; the sum op
  // rounds like bf16 hardware (ties to even) to 256, in whatever order the library adds.
  const Communicator world = Communicator::world().duplicate();
  if (world.size() < 2) GTEST_SKIP() << "needs two ranks";
  const float mine = world.rank() == 0 ? 256.0f : world.rank() == 1 ? 1.0f : 0.0f;
  const std::uint16_t in = to_bf16(mine);
  std::uint16_t sum = 0;
  allreduce(world, &in, &sum, 1, ElementType::bf16, SumOp(ElementType::bf16));
  EXPECT_EQ(from_bf16(sum), 256.0f);
  float exact = 0;
  allreduce(world, &mine, &exact, 1, ElementType::fp32, SumOp(ElementType::fp32));
  EXPECT_EQ(exact, 257.0f);
}

}  // namespace
}  // namespace scaleout::comm
