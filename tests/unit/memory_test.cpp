#include "topology/memory.hpp"

#include <gtest/gtest.h>

namespace scaleout::topology {
namespace {

TEST(Memory, ParsesMemAvailable) {
  const std::string meminfo = "MemTotal:       24684084 kB\nMemFree:        23000000 kB\nMemAvailable:   22000000 kB\n";
  EXPECT_EQ(parse_mem_available(meminfo), 22000000ull * 1024);
  EXPECT_FALSE(parse_mem_available("MemTotal: 1 kB\n"));
  EXPECT_FALSE(parse_mem_available(""));
}

TEST(Memory, ThisMachineHasSomeAvailable) {
  const auto available = available_memory_bytes();
  ASSERT_TRUE(available);
  EXPECT_GT(*available, 0u);
}

}  // namespace
}  // namespace scaleout::topology
