#pragma once
// What each background rank did, as the fabric log and the run log keep it under /background (pattern,
// unit_bytes and one array per column: rank, host, bytes_sent, bytes_received, seconds, units), so that
// docs/fabric.md and docs/run-log.md describe one layout.

#include <hdf5.h>

#include <cstdint>
#include <vector>

#include "analysis/background_effect.hpp"
#include "comm/background_record.hpp"

namespace scaleout::runs {

void write_background_pattern(hid_t group, comm::BackgroundPattern pattern, std::uint64_t unit_bytes);
void write_background_ranks(hid_t group, const std::vector<analysis::BackgroundRank>& ranks);

}  // namespace scaleout::runs
