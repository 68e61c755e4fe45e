#include "topology/nic_speed.hpp"

#include <fstream>
#include <sstream>

namespace scaleout::topology {

namespace {

std::optional<std::string> first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

// "100 Gb/sec (4X EDR)" or "2.5 Gb/sec (1X SDR)": bits per second.
std::optional<double> infiniband_rate(const std::string& text) {
  std::istringstream in(text);
  double number = 0.0;
  std::string unit;
  if (!(in >> number >> unit) || number <= 0 || unit != "Gb/sec") return std::nullopt;
  return number * 1e9;
}

}  // namespace

std::optional<double> nic_link_bits_s(const Nic& nic, const std::filesystem::path& sysfs) {
  if (nic.kind == "network") {
    const auto text = first_line(sysfs / "class" / "net" / nic.name / "speed");
    if (!text) return std::nullopt;
    try {
      const long megabits = std::stol(*text);
      if (megabits > 0) return static_cast<double>(megabits) * 1e6;
    } catch (const std::exception&) {
    }
    return std::nullopt;
  }
  if (nic.kind == "openfabrics") {
    std::optional<double> fastest;
    std::error_code error;
    for (const auto& port :
         std::filesystem::directory_iterator(sysfs / "class" / "infiniband" / nic.name / "ports", error)) {
      const auto text = first_line(port.path() / "rate");
      const auto rate = text ? infiniband_rate(*text) : std::nullopt;
      if (rate && (!fastest || *rate > *fastest)) fastest = rate;
    }
    return fastest;
  }
  return std::nullopt;
}

std::optional<NicRate> fastest_nic(const std::vector<Nic>& nics, const std::filesystem::path& sysfs) {
  std::optional<NicRate> fastest;
  for (const Nic& nic : nics) {
    const auto rate = nic_link_bits_s(nic, sysfs);
    if (rate && (!fastest || *rate > fastest->bits_s)) fastest = NicRate{nic.name, *rate};
  }
  return fastest;
}

}  // namespace scaleout::topology
