// The link rate NICs report in sysfs, read from a made-up sysfs tree: Ethernet's Mb/s, InfiniBand's
// per-port rate, and none where the driver does not know (a virtual NIC's -1).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "topology/nic_speed.hpp"

namespace scaleout::topology {
namespace {

Nic nic(const std::string& name, const std::string& kind) {
  Nic made;
  made.name = name;
  made.kind = kind;
  return made;
}

class NicSpeed : public ::testing::Test {
 protected:
  void SetUp() override {
    // One tree per test: ctest runs the tests of this suite at once.
    root_ = std::filesystem::temp_directory_path() /
            (std::string("scaleout-nic-speed-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    write("class/net/eth0/speed", "25000\n");
    write("class/net/eth1/speed", "-1\n");
    write("class/infiniband/mlx5_0/ports/1/rate", "100 Gb/sec (4X EDR)\n");
    write("class/infiniband/mlx5_0/ports/2/rate", "200 Gb/sec (4X HDR)\n");
    write("class/infiniband/mlx5_1/ports/1/rate", "garbage\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  std::filesystem::path root_;
};

TEST_F(NicSpeed, EthernetInMegabitsAndInfinibandAsItsFastestPort) {
  EXPECT_DOUBLE_EQ(*nic_link_bits_s(nic("eth0", "network"), root_), 25e9);
  EXPECT_DOUBLE_EQ(*nic_link_bits_s(nic("mlx5_0", "openfabrics"), root_), 200e9);
  EXPECT_FALSE(nic_link_bits_s(nic("eth1", "network"), root_)) << "the driver does not know";
  EXPECT_FALSE(nic_link_bits_s(nic("mlx5_1", "openfabrics"), root_));
  EXPECT_FALSE(nic_link_bits_s(nic("eth9", "network"), root_)) << "no such device";
}

TEST_F(NicSpeed, TheFastestNicThatReportsARate) {
  const auto fastest =
      fastest_nic({nic("eth1", "network"), nic("eth0", "network"), nic("mlx5_0", "openfabrics")}, root_);
  ASSERT_TRUE(fastest);
  EXPECT_EQ(fastest->nic, "mlx5_0");
  EXPECT_FALSE(fastest_nic({nic("eth1", "network")}, root_));
  EXPECT_FALSE(fastest_nic({}, root_));
}

}  // namespace
}  // namespace scaleout::topology
