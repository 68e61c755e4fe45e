#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "comm/bench.hpp"
#include "comm/collective.hpp"

namespace scaleout::comm {
namespace {

const Collective& get(const char* name) {
  const Collective* c = find_collective(name);
  if (c == nullptr) throw std::runtime_error(std::string("no collective ") + name);
  return *c;
}

TEST(Collectives, AllAreFoundByName) {
  ASSERT_EQ(all_collectives().size(), 7u);
  for (const Collective* c : all_collectives()) EXPECT_EQ(find_collective(c->name()), c);
  EXPECT_EQ(find_collective("allreduc"), nullptr);
}

TEST(Collectives, BusFactorsFollowNcclTests) {
  for (const int n : {1, 2, 3, 4, 8}) {
    EXPECT_DOUBLE_EQ(get("allreduce").bus_factor(n), 2.0 * (n - 1) / n);
    EXPECT_DOUBLE_EQ(get("reduce_scatter").bus_factor(n), static_cast<double>(n - 1) / n);
    EXPECT_DOUBLE_EQ(get("allgather").bus_factor(n), static_cast<double>(n - 1) / n);
    EXPECT_DOUBLE_EQ(get("alltoall").bus_factor(n), static_cast<double>(n - 1) / n);
    EXPECT_DOUBLE_EQ(get("broadcast").bus_factor(n), 1.0);
    EXPECT_DOUBLE_EQ(get("reduce").bus_factor(n), 1.0);
    EXPECT_DOUBLE_EQ(get("sendrecv").bus_factor(n), 1.0);
  }
}

TEST(Collectives, WholeBufferShapesRoundDownToElements) {
  const Shape allreduce = get("allreduce").shape(4098, ElementType::fp32, 3);
  EXPECT_EQ(allreduce.send_count, 1024u);
  EXPECT_EQ(allreduce.recv_count, 1024u);
  EXPECT_EQ(allreduce.bytes, 4096u);
  const Shape broadcast = get("broadcast").shape(4096, ElementType::bf16, 3);
  EXPECT_EQ(broadcast.send_count, 0u);  // in place
  EXPECT_EQ(broadcast.recv_count, 2048u);
  const Shape sendrecv = get("sendrecv").shape(1, ElementType::fp32, 3);
  EXPECT_EQ(sendrecv.send_count, 1u);  // at least one element
  EXPECT_EQ(sendrecv.bytes, 4u);
}

TEST(Collectives, BlockShapesRoundDownToWholeBlocksPerRank) {
  // 4096 bytes of fp32 over 3 ranks: 341 elements per block, S = 3 * 341 * 4 = 4092.
  const Shape reduce_scatter = get("reduce_scatter").shape(4096, ElementType::fp32, 3);
  EXPECT_EQ(reduce_scatter.send_count, 1023u);
  EXPECT_EQ(reduce_scatter.recv_count, 341u);
  EXPECT_EQ(reduce_scatter.bytes, 4092u);
  EXPECT_EQ(reduce_scatter.blocks, 3u);
  const Shape allgather = get("allgather").shape(4096, ElementType::fp32, 3);
  EXPECT_EQ(allgather.send_count, 341u);
  EXPECT_EQ(allgather.recv_count, 1023u);
  EXPECT_EQ(allgather.bytes, 4092u);
  const Shape alltoall = get("alltoall").shape(4096, ElementType::fp32, 3);
  EXPECT_EQ(alltoall.send_count, 1023u);
  EXPECT_EQ(alltoall.recv_count, 1023u);
  EXPECT_EQ(alltoall.blocks, 3u);
  const Shape tiny = get("allgather").shape(4, ElementType::fp32, 4);
  EXPECT_EQ(tiny.send_count, 1u);
  EXPECT_EQ(tiny.bytes, 16u);
}

TEST(Collectives, LargestBytesIsBoundByIntCountsPerBlock) {
  EXPECT_EQ(largest_bytes(get("allreduce"), ElementType::fp32, 4), static_cast<std::size_t>(INT_MAX) * 4);
  EXPECT_EQ(largest_bytes(get("allgather"), ElementType::bf16, 4), static_cast<std::size_t>(INT_MAX) * 2 * 4);
}

TEST(BenchFigures, BandwidthsComeFromTheMedianTime) {
  BenchRecord record;
  record.bytes = 1'000'000;
  record.bus_factor = 1.5;
  record.seconds = {0.004, 0.001, 0.002, 0.003, 0.005};  // median 3 ms
  const BenchFigures f = figures(record);
  EXPECT_DOUBLE_EQ(f.time_us.p50, 3000.0);
  EXPECT_DOUBLE_EQ(f.time_us.min, 1000.0);
  EXPECT_DOUBLE_EQ(f.time_us.max, 5000.0);
  EXPECT_NEAR(f.algbw_gbs, 1e6 / 3e-3 / 1e9, 1e-12);
  EXPECT_NEAR(f.busbw_gbs, 1.5 * f.algbw_gbs, 1e-12);
}

}  // namespace
}  // namespace scaleout::comm
