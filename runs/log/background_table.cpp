#include "runs/log/background_table.hpp"

#include <string>

#include "runs/log/hdf5.hpp"

namespace scaleout::runs {

void write_background_pattern(hid_t group, comm::BackgroundPattern pattern, std::uint64_t unit_bytes) {
  h5::write_attribute(group, "pattern", std::string(comm::to_string(pattern)));
  h5::write_attribute(group, "unit_bytes", static_cast<std::int64_t>(unit_bytes));
}

void write_background_ranks(hid_t group, const std::vector<analysis::BackgroundRank>& ranks) {
  std::vector<std::int64_t> rank_numbers, bytes, received, units;
  std::vector<double> seconds;
  std::vector<std::string> hosts;
  for (const auto& rank : ranks) {
    rank_numbers.push_back(rank.rank);
    hosts.push_back(rank.host);
    bytes.push_back(static_cast<std::int64_t>(rank.load.bytes_sent));
    received.push_back(static_cast<std::int64_t>(rank.load.bytes_received));
    seconds.push_back(rank.load.seconds);
    units.push_back(rank.load.units);
  }
  const auto n = static_cast<hsize_t>(ranks.size());
  h5::write_array(group, "rank", rank_numbers, {n}, "");
  h5::write_strings(group, "host", hosts);
  h5::write_array(group, "bytes_sent", bytes, {n}, "bytes");
  h5::write_array(group, "bytes_received", received, {n}, "bytes");
  h5::write_array(group, "seconds", seconds, {n}, "s");
  h5::write_array(group, "units", units, {n}, "");
}

}  // namespace scaleout::runs
