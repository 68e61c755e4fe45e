#include "comm/gather.hpp"

#include <gtest/gtest.h>

#include <string>

namespace scaleout::comm {
namespace {

std::string text_of(int rank) { return std::string(static_cast<std::size_t>(rank * 3), 'a' + static_cast<char>(rank)); }

TEST(Gather, StringsOfEveryLengthArriveInRankOrder) {
  const Communicator world = Communicator::world().duplicate();
  const int root = world.size() - 1;
  const auto gathered = gather_strings(world, text_of(world.rank()), root);
  if (world.rank() == root) {
    ASSERT_EQ(gathered.size(), static_cast<std::size_t>(world.size()));
    for (int r = 0; r < world.size(); ++r) EXPECT_EQ(gathered[static_cast<std::size_t>(r)], text_of(r));
  } else {
    EXPECT_TRUE(gathered.empty());
  }
  const auto everywhere = allgather_strings(world, text_of(world.rank()));
  ASSERT_EQ(everywhere.size(), static_cast<std::size_t>(world.size()));
  for (int r = 0; r < world.size(); ++r) EXPECT_EQ(everywhere[static_cast<std::size_t>(r)], text_of(r));
}

TEST(Gather, BroadcastStringReachesEveryRank) {
  const Communicator world = Communicator::world().duplicate();
  const std::string message = world.rank() == 0 ? std::string(100000, 'x') + "end" : "ignored";
  EXPECT_EQ(broadcast_string(world, message, 0), std::string(100000, 'x') + "end");
  EXPECT_EQ(broadcast_string(world, world.rank() == 0 ? "" : "ignored", 0), "");
}

}  // namespace
}  // namespace scaleout::comm
