// A job's background ranks: the last of every node in world order, whatever order the launcher placed
// the nodes' ranks in, and a usage error naming the command's option when a node would keep no rank of
// the foreground or the background would be one rank.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runs/job/job_background.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {
namespace {

const BackgroundOptionNames names{
    .pattern = "--background", .ranks_per_node = "--background-ranks-per-node", .work = "measure"};

std::string refusal(const std::vector<int>& node_of, int per_node) {
  try {
    (void)choose_background_ranks(node_of, per_node, names);
    return "";
  } catch (const UsageError& error) {
    return error.what();
  }
}

TEST(BackgroundRanks, AreTheLastOfEveryNodeInWorldOrder) {
  // --map-by ppr:2:node: ranks 0,1 on node 0, 2,3 on node 1, ...
  EXPECT_EQ(choose_background_ranks(std::vector<int>{0, 0, 1, 1, 2, 2}, 1, names), (std::vector<int>{1, 3, 5}));
  // --map-by node: the nodes take turns.
  EXPECT_EQ(choose_background_ranks(std::vector<int>{0, 1, 0, 1, 0, 1}, 1, names), (std::vector<int>{4, 5}));
  EXPECT_EQ(choose_background_ranks(std::vector<int>{0, 1, 0, 1, 0, 1}, 2, names), (std::vector<int>{2, 3, 4, 5}));
  // One node: its last ranks, if at least 2.
  EXPECT_EQ(choose_background_ranks(std::vector<int>{0, 0, 0, 0}, 2, names), (std::vector<int>{2, 3}));
}

TEST(BackgroundRanks, ANodeKeepsATrainingRankAndTheBackgroundNeedsTwo) {
  EXPECT_EQ(refusal({0, 0, 1}, 1),
            "--background-ranks-per-node: 1 would leave node 1 (1 rank) no rank to measure; use fewer, or start "
            "more ranks per node (for example mpirun --map-by ppr:2:node)");
  EXPECT_EQ(refusal({0, 0, 0, 0}, 1),
            "--background: its 1 rank (the last of the only node) cannot make traffic alone; it needs at least 2: "
            "use --background-ranks-per-node 2 or more nodes");
  EXPECT_EQ(refusal({0, 0, 1, 1}, 1), "");
}

}  // namespace
}  // namespace scaleout::runs
