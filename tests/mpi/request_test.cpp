#include "comm/request.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "comm/communicator.hpp"
#include "comm/environment.hpp"
#include "comm/operations.hpp"

namespace scaleout::comm {
namespace {

TEST(Request, RingExchangeRecordsIssueCompletionAndWait) {
  const Communicator world = Communicator::world().duplicate();
  const int rank = world.rank();
  const int size = world.size();
  const float sent = static_cast<float>(rank + 1);
  float received = -1;
  const double before = now();
  Request receive = irecv(world, &received, 1, ElementType::fp32, (rank + size - 1) % size, 3);
  Request send = isend(world, &sent, 1, ElementType::fp32, (rank + 1) % size, 3);
  EXPECT_TRUE(receive.pending());
  EXPECT_GE(receive.issued_at(), before);
  EXPECT_LT(receive.completed_at(), 0.0);
  receive.wait();
  send.wait();
  EXPECT_FALSE(receive.pending());
  EXPECT_EQ(received, static_cast<float>((rank + size - 1) % size + 1));
  EXPECT_GE(receive.completed_at(), receive.issued_at());
  EXPECT_GE(receive.waited_seconds(), 0.0);
  EXPECT_LE(receive.waited_seconds(), receive.completed_at() - receive.issued_at() + 1e-9);
  receive.wait();  // waiting on a completed request is harmless
}

TEST(Request, TestPollsUntilComplete) {
  const Communicator world = Communicator::world().duplicate();
  const int rank = world.rank();
  const int size = world.size();
  std::vector<float> out(1000, static_cast<float>(rank)), in(1000, -1);
  Request receive = irecv(world, in.data(), in.size(), ElementType::fp32, (rank + size - 1) % size, 4);
  Request send = isend(world, out.data(), out.size(), ElementType::fp32, (rank + 1) % size, 4);
  while (!receive.test()) {
  }
  send.wait();
  EXPECT_GE(receive.completed_at(), receive.issued_at());
  EXPECT_EQ(receive.waited_seconds(), 0.0);  // never blocked in wait
  EXPECT_EQ(in.front(), static_cast<float>((rank + size - 1) % size));
}

TEST(Request, DestructorCompletesAnOperationInFlight) {
  const Communicator world = Communicator::world().duplicate();
  const int rank = world.rank();
  const int size = world.size();
  float received = -1;
  const float sent = static_cast<float>(rank);
  {
    Request send = isend(world, &sent, 1, ElementType::fp32, (rank + 1) % size, 5);
    Request receive = irecv(world, &received, 1, ElementType::fp32, (rank + size - 1) % size, 5);
    // Both go out of scope pending: their destructors must wait, not leak or free them.
  }
  EXPECT_EQ(received, static_cast<float>((rank + size - 1) % size));
}

TEST(Request, MoveKeepsTheOperationAndItsTimes) {
  const Communicator world = Communicator::world().duplicate();
  Request barrier_like = iallreduce(world, MPI_IN_PLACE, nullptr, 0, ElementType::fp32, SumOp(ElementType::fp32));
  const double issued = barrier_like.issued_at();
  Request moved = std::move(barrier_like);
  EXPECT_FALSE(barrier_like.pending());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.issued_at(), issued);
  moved.wait();
  EXPECT_FALSE(moved.pending());
}

}  // namespace
}  // namespace scaleout::comm
