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

TEST(Payload, ValuesStayWithinTheMagnitudeAndUseItsRange) {
  for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
    const Payload payload(7, type, 4);
    std::set<std::int32_t> seen;
    for (std::size_t i = 0; i < 20000; ++i) {
      const std::int32_t v = payload.value(0, 1, i);
      ASSERT_LE(std::abs(v), payload.magnitude());
      seen.insert(v);
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(2 * payload.magnitude() + 1)) << name(type);
  }
}

TEST(Payload, SumIsTheSumOverEveryRank) {
  for (const ElementType type : {ElementType::fp32, ElementType::bf16}) {
    for (const int ranks : {1, 3, 4, 65, 1000}) {
      const Payload payload(9, type, ranks);
      for (std::size_t i = 0; i < 200; ++i) {
        std::int64_t expected = 0;
        for (int r = 0; r < ranks; ++r) expected += payload.value(5, r, i);
        ASSERT_EQ(payload.sum(5, i), expected) << name(type) << " ranks=" << ranks << " index=" << i;
      }
    }
  }
}

// The property the --check of every reduction rests on: whatever order the MPI library adds in, every
// partial sum is exact in the element type, so the result equals the exact integer sum.
TEST(Payload, SumsAreExactInAnyOrderInBf16EvenOnManyRanks) {
  for (const int ranks : {4, 64, 65, 300, 4096}) {
    const Payload payload(11, ElementType::bf16, ranks);
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
      ASSERT_EQ(accumulated, encode(ElementType::bf16, payload.sum(2, i))) << ranks << " ranks, index " << i;
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
