#include "runs/job/nic_rates.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "comm/gather.hpp"
#include "runs/printable.hpp"
#include "runs/usage_error.hpp"
#include "topology/nic_speed.hpp"
#include "topology/summary.hpp"

namespace scaleout::runs {

std::vector<analysis::NodeNicRate> gather_nic_rates(const comm::Communicator& world,
                                                    const topology::NodeIdentity& identity) {
  std::string mine;
  if (identity.local_rank == 0) {
    const topology::NodeSummary node = topology::summarize(topology::Topology::discover(), identity.hostname);
    if (const auto fastest = topology::fastest_nic(node.nics)) {
      mine = fmt::format("{} {}", fastest->nic, fastest->bits_s);
    } else {
      std::vector<std::string> names;
      for (const auto& nic : node.nics) names.push_back(nic.name);
      mine = fmt::format("!{} reports no link rate for its NICs ({})", printable(identity.hostname),
                         names.empty() ? "hwloc found none" : fmt::format("{}", fmt::join(names, ", ")));
    }
  }
  const auto all = comm::gather_strings(world, mine, 0);
  const auto hosts = comm::gather_strings(world, identity.hostname, 0);
  std::vector<analysis::NodeNicRate> rates;
  std::string problem;
  for (std::size_t rank = 0; rank < all.size(); ++rank) {
    if (all[rank].empty()) continue;
    if (all[rank].front() == '!') {
      problem = fmt::format("--expect-rate nic: {}; give the rate instead (for example --expect-rate 100gbit)",
                            all[rank].substr(1));
      break;
    }
    const std::size_t space = all[rank].find(' ');
    rates.push_back({hosts[rank], all[rank].substr(0, space), std::stod(all[rank].substr(space + 1))});
  }
  problem = comm::broadcast_string(world, problem, 0);
  if (!problem.empty()) throw UsageError(problem);
  return rates;
}

}  // namespace scaleout::runs
