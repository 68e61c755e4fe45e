// Schedules as data: the traffic the cost model reads equals the sum of every rank's hops, every
// message has a matching receive, rings cross each node boundary once, trees are complementary, and
// what cannot run is refused.

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "comm/algorithm.hpp"
#include "comm/collective_schedule.hpp"

namespace scaleout::comm {
namespace {

struct Shape {
  CollectiveKind kind;
  Algorithm algorithm;
};
constexpr Shape shapes[] = {{CollectiveKind::allreduce, Algorithm::ring},
                            {CollectiveKind::allreduce, Algorithm::tree},
                            {CollectiveKind::reduce_scatter, Algorithm::ring},
                            {CollectiveKind::allgather, Algorithm::ring},
                            {CollectiveKind::alltoall, Algorithm::pairwise}};

std::vector<std::vector<int>> placements(int n) {
  std::vector<std::vector<int>> all;
  for (const int per_node : {1, 2, 3, n}) {
    std::vector<int> blocks(static_cast<std::size_t>(n)), stripes(blocks);
    for (int r = 0; r < n; ++r) {
      blocks[static_cast<std::size_t>(r)] = r / per_node;
      stripes[static_cast<std::size_t>(r)] = r % std::max(1, n / per_node);
    }
    all.push_back(blocks);
    all.push_back(stripes);
  }
  return all;
}

CollectiveSchedule make(Shape s, std::uint64_t count, const std::vector<int>& nodes, Chunking chunking = {16, 3}) {
  return CollectiveSchedule({s.kind, s.algorithm, count, 4, nodes, chunking});
}

Traffic summed_hops(const CollectiveSchedule& schedule) {
  Traffic sum;
  sum.ranks.resize(static_cast<std::size_t>(schedule.ranks()));
  const auto& nodes = schedule.spec().node_of_rank;
  std::vector<Hop> hops;
  for (int rank = 0; rank < schedule.ranks(); ++rank) {
    for (int chain = 0; chain < schedule.chains(); ++chain) {
      for (int round = 0; round < schedule.rounds(); ++round) {
        hops.clear();
        schedule.hops(rank, chain, round, hops);
        for (const Hop& hop : hops) {
          if (hop.kind != Hop::Kind::send) continue;
          const std::uint64_t bytes = hop.count * 4;
          if (nodes[rank] == nodes[hop.peer]) {
            sum.ranks[rank].to_same_node += bytes;
          } else {
            sum.ranks[rank].to_other_nodes += bytes;
            sum.ranks[hop.peer].from_other_nodes += bytes;
          }
        }
      }
    }
  }
  return sum;
}

TEST(CollectiveSchedule, TrafficIsTheSumOfEveryRanksHops) {
  for (const Shape s : shapes) {
    for (int n = 1; n <= 9; ++n) {
      for (const auto& nodes : placements(n)) {
        for (const std::uint64_t base : {1ull, 5ull, 37ull}) {
          const std::uint64_t count =
              s.kind == CollectiveKind::allreduce ? base * 7 + 2 : base * static_cast<std::uint64_t>(n);
          const CollectiveSchedule schedule = make(s, count, nodes);
          EXPECT_EQ(schedule.traffic().ranks, summed_hops(schedule).ranks)
              << name(s.kind) << " " << name(s.algorithm) << " n " << n << " count " << count;
        }
      }
    }
  }
}

// Each round's sends on one rank are received by their peer in the same chain and round, with the
// same count (a send in round k of chain c meets a receive of round j of chain c, in order).
TEST(CollectiveSchedule, EverySendMeetsOneReceiveOfTheSameChainAndSize) {
  for (const Shape s : shapes) {
    for (int n = 1; n <= 7; ++n) {
      for (const auto& nodes : placements(n)) {
        const std::uint64_t count = s.kind == CollectiveKind::allreduce ? 53 : 11ull * static_cast<std::uint64_t>(n);
        const CollectiveSchedule schedule = make(s, count, nodes);
        // (from, to, chain) -> the counts sent in order, and the counts expected in order.
        std::map<std::tuple<int, int, int>, std::vector<std::uint64_t>> sent, received;
        std::vector<Hop> hops;
        for (int rank = 0; rank < n; ++rank) {
          for (int chain = 0; chain < schedule.chains(); ++chain) {
            for (int round = 0; round < schedule.rounds(); ++round) {
              hops.clear();
              schedule.hops(rank, chain, round, hops);
              for (const Hop& hop : hops) {
                if (hop.kind == Hop::Kind::send) sent[{rank, hop.peer, chain}].push_back(hop.count);
                if (hop.kind == Hop::Kind::receive || hop.kind == Hop::Kind::reduce)
                  received[{hop.peer, rank, chain}].push_back(hop.count);
                EXPECT_LE(hop.count, schedule.chunk_count() * (s.algorithm == Algorithm::pairwise ? count : 1));
              }
            }
          }
        }
        EXPECT_EQ(sent, received) << name(s.kind) << " " << name(s.algorithm) << " n " << n;
      }
    }
  }
}

TEST(CollectiveSchedule, ARingCrossesEachNodeBoundaryOnceWhateverTheRankOrder) {
  // Ranks striped over two nodes: a ring in rank order would cross the network at every hop.
  const std::vector<int> striped = {0, 1, 0, 1, 0, 1, 0, 1};
  const CollectiveSchedule ring = make(shapes[0], 800, striped);
  const Traffic traffic = ring.traffic();
  int crossing = 0;
  for (const auto& rank : traffic.ranks) crossing += rank.to_other_nodes > 0;
  EXPECT_EQ(crossing, 2);
  // 2(n-1) rounds per chain; 25 chains of 4 elements run 3 at a time: 9 batches one after another.
  EXPECT_EQ(ring.chains(), 25);
  EXPECT_EQ(traffic.network_rounds, 2 * 7 * 9);
  EXPECT_EQ(traffic.intra_rounds, 0);
}

TEST(CollectiveSchedule, TheTwoTreesShareTheLoadOfTheirInnerNodes) {
  // Seven nodes of one rank: tree 0's inner nodes are tree 1's leaves but for one.
  std::vector<int> nodes = {0, 1, 2, 3, 4, 5, 6};
  const CollectiveSchedule tree = make(shapes[1], 7000, nodes, {1 << 20, 8});
  const Traffic traffic = tree.traffic();
  std::uint64_t most = 0, least = ~0ull;
  for (const auto& rank : traffic.ranks) {
    most = std::max(most, rank.to_other_nodes);
    least = std::min(least, rank.to_other_nodes);
  }
  // Every rank sends about the whole vector (its half up one tree, halves down to its children).
  EXPECT_LE(most, 2 * 7000 * 4u);
  EXPECT_GE(least, 3500 * 4u / 2);
  EXPECT_EQ(traffic.network_rounds, 2 * 2);  // depth 2 up and down, one batch
}

TEST(CollectiveSchedule, RefusesWhatTheAlgorithmDoesNotRun) {
  const std::vector<int> nodes = {0, 0, 1};
  EXPECT_THROW(make({CollectiveKind::reduce_scatter, Algorithm::tree}, 30, nodes), std::invalid_argument);
  EXPECT_THROW(make({CollectiveKind::alltoall, Algorithm::ring}, 30, nodes), std::invalid_argument);
  EXPECT_THROW(make({CollectiveKind::allgather, Algorithm::ring}, 31, nodes), std::invalid_argument);
  EXPECT_THROW(make({CollectiveKind::allreduce, Algorithm::ring}, 31, {}), std::invalid_argument);
  EXPECT_NO_THROW(make({CollectiveKind::allreduce, Algorithm::ring}, 31, nodes));
}

TEST(CollectiveSchedule, ChunksBoundTheScratchWhateverTheSize) {
  const std::vector<int> nodes = {0, 0, 1, 1};
  const CollectiveSchedule small = make(shapes[0], 1000, nodes, {512 * 1024, 8});
  const CollectiveSchedule large = make(shapes[0], 1ull << 30, nodes, {512 * 1024, 8});
  EXPECT_EQ(large.chunk_count(), 128u * 1024);
  EXPECT_EQ(large.scratch_slots(), 1);
  EXPECT_EQ(large.chains(), (1 << 28) / (128 * 1024));
  EXPECT_EQ(small.chains(), 1);
}

TEST(Algorithms, NamesParseBack) {
  for (int i = 0; i < algorithm_count; ++i) {
    const auto algorithm = static_cast<Algorithm>(i);
    EXPECT_EQ(parse_algorithm(name(algorithm)), algorithm);
  }
  for (const auto* text : {"auto", "ring", "tree", "library"}) {
    ASSERT_TRUE(parse_algorithm_choice(text).has_value()) << text;
    EXPECT_EQ(name(*parse_algorithm_choice(text)), text);
  }
  EXPECT_FALSE(parse_algorithm_choice("bcube").has_value());
}

TEST(Algorithms, ChoicesFallToWhatTheCollectiveHas) {
  const Span span{16, 4};
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::tree, CollectiveKind::allgather, span, 1 << 20), Algorithm::ring);
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::ring, CollectiveKind::alltoall, span, 1 << 20), Algorithm::pairwise);
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::library, CollectiveKind::allreduce, span, 1 << 20), Algorithm::library);
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::tree, CollectiveKind::allreduce, span, 1 << 20), Algorithm::tree);
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::automatic, CollectiveKind::broadcast, span, 1 << 20), Algorithm::library);
}

TEST(Algorithms, AutoTakesTreesForSmallMessagesAcrossManyNodesAndRingsForLargeOnes) {
  const Span wide{512, 64};
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::automatic, CollectiveKind::allreduce, wide, 64 * 1024), Algorithm::tree);
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::automatic, CollectiveKind::allreduce, wide, 1ull << 30), Algorithm::ring);
  // Inside one node, or on two ranks, a ring.
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::automatic, CollectiveKind::allreduce, {8, 1}, 64 * 1024),
            Algorithm::ring);
  EXPECT_EQ(choose_algorithm(AlgorithmChoice::automatic, CollectiveKind::allreduce, {2, 2}, 1024), Algorithm::ring);
}

}  // namespace
}  // namespace scaleout::comm
