// The device's modelled links (comm/device_links.hpp): a hop lasts latency + bytes / bandwidth, hops
// posted together share a device's links through a switch, and a pair's own bandwidth bounds each
// peer on a fabric of point-to-point links (MI300X's Infinity Fabric).
#include <gtest/gtest.h>

#include <stdexcept>

#include "comm/device_links.hpp"

namespace scaleout::comm {
namespace {

constexpr double gb = 1e9;

TEST(DeviceLinks, AHopLastsItsBytesOverTheBandwidthThenTheLatency) {
  DeviceLinks links({.latency = 3e-6, .bandwidth = 450 * gb, .pair_bandwidth = 450 * gb}, false);
  const auto hop = links.reserve(1, 45'000'000, 10.0);
  EXPECT_DOUBLE_EQ(hop.sent, 10.0 + 1e-4);
  EXPECT_DOUBLE_EQ(hop.arrives, 10.0 + 1e-4 + 3e-6);
}

TEST(DeviceLinks, HopsPostedTogetherThroughASwitchShareTheDevicesBandwidth) {
  DeviceLinks links({.latency = 0, .bandwidth = 100 * gb, .pair_bandwidth = 100 * gb}, false);
  const auto first = links.reserve(1, 100'000'000, 0.0);
  const auto second = links.reserve(2, 100'000'000, 0.0);
  EXPECT_DOUBLE_EQ(first.sent, 1e-3);
  EXPECT_DOUBLE_EQ(second.sent, 2e-3) << "two hops at once take twice as long as one";
  // Once the links are idle again, a hop starts when it is posted.
  EXPECT_DOUBLE_EQ(links.reserve(1, 100'000'000, 5.0).sent, 5.0 + 1e-3);
}

TEST(DeviceLinks, APairsBandwidthBoundsEachPeerOnPointToPointLinks) {
  // MI300X: 448 GB/s to all seven peers, 64 GB/s to one.
  DeviceLinks links({.latency = 0, .bandwidth = 448 * gb, .pair_bandwidth = 64 * gb}, false);
  double last = 0;
  for (int peer = 1; peer <= 7; ++peer) last = links.reserve(peer, 64'000'000, 0.0).sent;
  EXPECT_NEAR(last, 1e-3, 1e-15) << "seven peers at once each at the pair's rate, together at the device's";
  // Two hops to one peer queue on its link.
  DeviceLinks pair({.latency = 0, .bandwidth = 448 * gb, .pair_bandwidth = 64 * gb}, false);
  pair.reserve(3, 64'000'000, 0.0);
  EXPECT_DOUBLE_EQ(pair.reserve(3, 64'000'000, 0.0).sent, 2e-3);
}

TEST(DeviceLinks, ABadModelIsRefused) {
  EXPECT_THROW(DeviceLinks({.latency = 0, .bandwidth = 0, .pair_bandwidth = 1}, false), std::invalid_argument);
  EXPECT_THROW(DeviceLinks({.latency = -1, .bandwidth = 1, .pair_bandwidth = 1}, false), std::invalid_argument);
  EXPECT_TRUE(DeviceLinks({.latency = 0, .bandwidth = 1, .pair_bandwidth = 1}, true).move_bytes());
}

TEST(DeviceLinks, TheNodeClockAdvances) {
  const double before = node_clock();
  EXPECT_GT(before, 0.0);
  EXPECT_GE(node_clock(), before);
}

}  // namespace
}  // namespace scaleout::comm
