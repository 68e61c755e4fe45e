#pragma once
// The link rate a node's NICs report to Linux, for `scaleout fabric --expect-rate nic`: an Ethernet
// device's /sys/class/net/NAME/speed (Mb/s; -1 or unreadable when the driver does not know, as a
// virtual NIC's), an InfiniBand or RoCE device's /sys/class/infiniband/NAME/ports/*/rate ("100 Gb/sec
// (4X EDR)"). No hwloc here: the NICs are the ones hwloc found (topology/summary.hpp).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "topology/summary.hpp"

namespace scaleout::topology {

// Bits per second each way, or none when sysfs under `sysfs` gives no rate for it.
std::optional<double> nic_link_bits_s(const Nic& nic, const std::filesystem::path& sysfs = "/sys");

// The fastest of the node's NICs that report a rate (the fabric's NIC is a node's fastest), or none.
struct NicRate {
  std::string nic;
  double bits_s = 0.0;
};
std::optional<NicRate> fastest_nic(const std::vector<Nic>& nics, const std::filesystem::path& sysfs = "/sys");

}  // namespace scaleout::topology
