#include "comm/communicator.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include "comm/error.hpp"
#include "comm/operations.hpp"

namespace scaleout::comm {
namespace {

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}
int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

TEST(Communicator, WorldIsViewedNeverOwned) {
  {
    Communicator world = Communicator::world();
    EXPECT_FALSE(world.owns());
    EXPECT_EQ(world.native(), MPI_COMM_WORLD);
    EXPECT_EQ(world.rank(), world_rank());
    Communicator moved = std::move(world);
    EXPECT_TRUE(world.is_null());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  }
  // The views are gone; MPI_COMM_WORLD must still work.
  EXPECT_EQ(MPI_Barrier(MPI_COMM_WORLD), MPI_SUCCESS);
}

TEST(Communicator, DuplicateIsOwnedAndCongruent) {
  const Communicator dup = Communicator::world().duplicate();
  EXPECT_TRUE(dup.owns());
  EXPECT_NE(dup.native(), MPI_COMM_WORLD);
  EXPECT_EQ(dup.rank(), world_rank());
  EXPECT_EQ(dup.size(), world_size());
  int result = MPI_UNEQUAL;
  MPI_Comm_compare(dup.native(), MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);
  dup.barrier();
}

TEST(Communicator, MoveTransfersOwnershipAndFreesOnce) {
  Communicator a = Communicator::world().duplicate();
  const MPI_Comm handle = a.native();
  Communicator b = std::move(a);
  EXPECT_TRUE(a.is_null());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.native(), handle);
  Communicator c;
  c = std::move(b);
  EXPECT_EQ(c.native(), handle);
  EXPECT_EQ(c.size(), world_size());
}

TEST(Communicator, SplitByParity) {
  const Communicator world = Communicator::world().duplicate();
  const int rank = world.rank();
  const Communicator half = world.split(rank % 2, rank);
  EXPECT_EQ(half.size(), (world.size() + (rank % 2 == 0 ? 1 : 0)) / 2);
  EXPECT_EQ(half.rank(), rank / 2);
}

TEST(Communicator, SplitWithUndefinedColourIsNull) {
  const Communicator world = Communicator::world().duplicate();
  const Communicator only_zero = world.split(world.rank() == 0 ? 0 : MPI_UNDEFINED, 0);
  EXPECT_EQ(only_zero.is_null(), world.rank() != 0);
  if (!only_zero.is_null()) {
    EXPECT_EQ(only_zero.size(), 1);
  }
}

TEST(Communicator, SharedSplitHoldsThisMachinesRanks) {
  const Communicator world = Communicator::world().duplicate();
  const Communicator shared = world.split_shared(world.rank());
  // The tests run on one machine: every rank shares memory with every other.
  EXPECT_EQ(shared.size(), world.size());
  EXPECT_EQ(shared.rank(), world.rank());
}

TEST(Communicator, MpiErrorsBecomeExceptionsWithMpisText) {
  const Communicator world = Communicator::world().duplicate();
  float value = 0;
  try {
    broadcast(world, &value, 1, ElementType::fp32, world.size() + 5);  // no such root
    FAIL() << "an invalid root was accepted";
  } catch (const MpiError& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("MPI_Bcast failed: "), std::string::npos) << text;
    EXPECT_NE(text.find(error_string(error.code())), std::string::npos) << text;
    EXPECT_NE(error.code(), MPI_SUCCESS);
  }
  world.barrier();  // the communicator still works after the error
}

TEST(Communicator, CountsBeyondIntAreRefused) {
  EXPECT_THROW(mpi_count(static_cast<std::size_t>(1) << 31), std::length_error);
  EXPECT_EQ(mpi_count(5), 5);
}

}  // namespace
}  // namespace scaleout::comm
