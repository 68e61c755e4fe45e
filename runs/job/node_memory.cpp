#include "runs/job/node_memory.hpp"

#include <fmt/format.h>

#include "comm/gather.hpp"
#include "runs/usage_error.hpp"
#include "topology/memory.hpp"

namespace scaleout::runs {

void check_node_memory(const comm::Communicator& world, const topology::NodeIdentity& identity,
                       std::uint64_t per_rank_bytes, const std::string& what, const std::string& advice) {
  std::string shortfall;
  if (identity.local_rank == 0) {
    const std::uint64_t needed = per_rank_bytes * static_cast<std::uint64_t>(identity.local_size);
    const auto available = topology::available_memory_bytes();
    if (available && static_cast<double>(needed) > 0.9 * static_cast<double>(*available)) {
      shortfall = fmt::format(
          "{} needs {:.1f} GiB of buffers on node {} ({} rank{} x {:.1f} GiB), more than 90% of "
          "the {:.1f} GiB it has available; {}",
          what, static_cast<double>(needed) / (1ull << 30), identity.hostname, identity.local_size,
          identity.local_size == 1 ? "" : "s", static_cast<double>(per_rank_bytes) / (1ull << 30),
          static_cast<double>(*available) / (1ull << 30), advice);
    }
  }
  for (const std::string& reason : comm::allgather_strings(world, shortfall)) {
    if (!reason.empty()) throw UsageError(reason);
  }
}

}  // namespace scaleout::runs
