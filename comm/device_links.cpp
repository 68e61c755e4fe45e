#include "comm/device_links.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace scaleout::comm {

DeviceLinks::DeviceLinks(LinkModel model, bool move_bytes) : model_(model), move_bytes_(move_bytes) {
  if (!(model_.bandwidth > 0) || !(model_.pair_bandwidth > 0) || !(model_.latency >= 0)) {
    throw std::invalid_argument(
        fmt::format("device links need positive bandwidths and a latency of at least 0 "
                    "(given {} and {} bytes/s, {} s)",
                    model_.bandwidth, model_.pair_bandwidth, model_.latency));
  }
}

DeviceLinks::Timing DeviceLinks::reserve(int peer, std::uint64_t bytes, double at) {
  const auto size = static_cast<double>(bytes);
  const double links_start = std::max(at, free_at_);
  free_at_ = links_start + size / model_.bandwidth;
  double& pair_free = pair_free_at_[peer];
  const double pair_start = std::max(at, pair_free);
  pair_free = pair_start + size / model_.pair_bandwidth;
  const double sent = std::max(free_at_, pair_free);
  return {sent, sent + model_.latency};
}

double node_clock() noexcept {
  timespec time{};
  clock_gettime(CLOCK_MONOTONIC, &time);
  return static_cast<double>(time.tv_sec) + 1e-9 * static_cast<double>(time.tv_nsec);
}

}  // namespace scaleout::comm
