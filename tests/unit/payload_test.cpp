#include "comm/payload.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "comm/element_type.hpp"

namespace scaleout::comm {
namespace {

TEST(Payload, IsADeterministicFunctionOfSeedIterationRankAndIndex) {
  const Payload a(42, ElementType::fp32, 4);
  const Payload b(42, ElementType::fp32, 4);
  const Payload other_seed(43, ElementType::fp32, 4);
  int differs_by_seed = 0, differs_by_iteration = 0, differs_by_rank = 0, differs_by_index = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.value(3, 2, i), b.value(3, 2, i));
    differs_by_seed += a.value(3, 2, i) != other_seed.value(3, 2, i);
    differs_by_iteration += a.value(3, 2, i) != a.value(4, 2, i);
    differs_by_rank += a.value(3, 2, i) != a.value(3, 1, i);
    differs_by_index += a.value(3, 2, i) != a.value(3, 2, i + 1);
  }
  // With 2049 possible values, a coincidence is rare: nearly every element must change.
  EXPECT_GT(differs_by_seed, 990);
  EXPECT_GT(differs_by_iteration, 990);
  EXPECT_GT(differs_by_rank, 990);
  EXPECT_GT(differs_by_index, 990);
}

TEST(Payload, ValuesStayWithinTheMagnitudeAndSpreadOverIt) {
  for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
    const Payload payload(7, type, 4);
    std::set<std::int32_t> seen;
    for (int iteration = 0; iteration < 8; ++iteration) {
      for (int rank = 0; rank < 4; ++rank) {
        for (std::size_t i = 0; i < 5000; ++i) {
          const std::int32_t v = payload.value(iteration, rank, i);
          ASSERT_LE(std::abs(v), payload.magnitude());
          seen.insert(v);
        }
      }
    }
    // bf16 has 9 values in [-4, 4] and the ranks use them all: the extremes need a rank's offset B at
    // its own extreme, which over 32 (iteration, rank) pairs some draw. fp32 spreads over many hundreds.
    EXPECT_GE(seen.size(), type == ElementType::bf16 ? 9u : 800u) << name(type);
  }
}

TEST(Payload, ValuesOfARankAreTheSameThroughEveryAccessor) {
  const Payload payload(21, ElementType::fp32, 5);
  const Payload::Values rank3 = payload.values(2, 3);
  std::vector<std::byte> buffer(64 * 4);
  payload.fill(buffer, 2, 3, 1000);
  for (std::size_t i = 0; i < 64; ++i) {
    ASSERT_EQ(rank3(1000 + i), payload.value(2, 3, 1000 + i));
    float stored;
    std::memcpy(&stored, buffer.data() + 4 * i, 4);
    ASSERT_EQ(stored, static_cast<float>(rank3(1000 + i)));
  }
}

TEST(Payload, SumsAreTheSumsOverEveryRank) {
  for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
    for (const int ranks : {1, 2, 3, 4, 65, 1000, 20000}) {
      const Payload payload(9, type, ranks);
      const Payload::Sums sums = payload.sums(5);
      for (std::size_t i = 0; i < 100; ++i) {
        std::int64_t expected = 0;
        for (int r = 0; r < ranks; ++r) expected += payload.value(5, r, i);
        ASSERT_EQ(sums(i), expected) << name(type) << " ranks=" << ranks << " index=" << i;
      }
    }
  }
}

TEST(Payload, ContributorsThinOutOnlyBeyondTheExactRange) {
  EXPECT_EQ(Payload(1, ElementType::fp32, 16384).stride(), 1);
  EXPECT_EQ(Payload(1, ElementType::fp32, 16385).stride(), 2);
  EXPECT_EQ(Payload(1, ElementType::bf16, 64).stride(), 1);
  EXPECT_EQ(Payload(1, ElementType::bf16, 65).stride(), 2);
  // A rank that does not contribute at an index holds 0 there.
  const Payload thin(1, ElementType::bf16, 130);  // stride 3
  for (int r = 0; r < 130; ++r) {
    for (std::size_t i = 0; i < 12; ++i) {
      if ((static_cast<std::size_t>(r) + i) % 3 != 0) {
        ASSERT_EQ(thin.value(0, r, i), 0);
      }
    }
  }
}

TEST(Payload, AMissingContributionChangesTheSum) {
  // A reduction that lost one rank's element must not come out right by chance.
  const Payload payload(13, ElementType::fp32, 4);
  const Payload::Sums sums = payload.sums(0);
  int detected = 0;
  for (std::size_t i = 0; i < 10000; ++i) detected += sums(i) - payload.value(0, 2, i) != sums(i);
  EXPECT_GT(detected, 9900);
}

// The property the --check of every reduction rests on: whatever order the MPI library adds in, every
// partial sum is exact in the element type, so the result equals the exact integer sum.
TEST(Payload, SumsAreExactInAnyOrderInBf16EvenOnManyRanks) {
  for (const int ranks : {4, 64, 65, 300, 4096}) {
    const Payload payload(11, ElementType::bf16, ranks);
    const Payload::Sums sums = payload.sums(2);
    EXPECT_EQ(payload.stride(), std::max(1, (ranks + 63) / 64)) << ranks;
    std::mt19937 shuffle(static_cast<unsigned>(ranks));
    std::vector<int> order(static_cast<std::size_t>(ranks));
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = 0; i < 64; ++i) {
      std::shuffle(order.begin(), order.end(), shuffle);
      std::uint16_t accumulated = to_bf16(0.0f);
      for (const int r : order) {
        const std::uint16_t contribution = to_bf16(static_cast<float>(payload.value(2, r, i)));
        add_bf16(&contribution, &accumulated, 1);
      }
      ASSERT_EQ(accumulated, encode(ElementType::bf16, sums(i))) << ranks << " ranks, index " << i;
    }
  }
}

TEST(Payload, FillWritesTheValuesFromTheFirstIndexOn) {
  for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
    const Payload payload(3, type, 4);
    std::vector<std::byte> buffer(100 * payload.element_size());
    payload.fill(buffer, 6, 2, 500);
    EXPECT_EQ(payload.count_wrong(buffer, [&](std::size_t i) { return payload.value(6, 2, 500 + i); }), 0u);
    // Against the values from index 0 on, exactly the elements whose values differ are wrong.
    std::size_t differing = 0;
    for (std::size_t i = 0; i < 100; ++i) differing += payload.value(6, 2, 500 + i) != payload.value(6, 2, i);
    EXPECT_GT(differing, 50u);
    EXPECT_EQ(payload.count_wrong(buffer, [&](std::size_t i) { return payload.value(6, 2, i); }), differing);
  }
}

TEST(Payload, CountWrongCountsExactlyTheCorruptedElements) {
  const Payload payload(3, ElementType::fp32, 4);
  std::vector<std::byte> buffer(1000 * 4);
  payload.fill(buffer, 0, 0, 0);
  const float corrupt = 123456.0f;  // beyond the payload range, so never right by chance
  for (const std::size_t i : {0u, 17u, 999u}) std::memcpy(buffer.data() + 4 * i, &corrupt, 4);
  EXPECT_EQ(payload.count_wrong(buffer, [&](std::size_t i) { return payload.value(0, 0, i); }), 3u);
}

TEST(Payload, PoisonMakesEveryElementWrong) {
  for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
    const Payload payload(3, type, 2);
    std::vector<std::byte> buffer(257 * payload.element_size());
    payload.poison(buffer);
    EXPECT_EQ(payload.count_wrong(buffer, [](std::size_t) { return 0; }), 257u);
    EXPECT_EQ(payload.count_wrong(buffer, [&](std::size_t i) { return payload.value(0, 0, i); }), 257u);
  }
}

}  // namespace
}  // namespace scaleout::comm
