#pragma once
// How a step's operations are sized, per group: a histogram of the operations' sizes (as the
// collective benchmark defines them, program.hpp) in bins that double, with how many operations of
// each bin the job issues per step and their bytes. It says which sizes a benchmark of this cluster
// must cover for this workload, and whether a group moves many small messages (latency-bound) or few
// large ones (bandwidth-bound).

#include <array>
#include <cstdint>
#include <vector>

#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"

namespace scaleout::analysis {

struct SizeBin {
  std::uint64_t above = 0, upto = 0;  // sizes in (above, upto] bytes; upto a power of two
  double operations = 0;              // per step, over every rank of the job
  double bytes = 0;                   // their sizes, summed
};

// Per group (parallelism::Group), the bins holding any operation, smallest first.
using MessageSizes = std::array<std::vector<SizeBin>, parallelism::group_count>;

// The operations the ranks issue (start and blocking ops; a point-to-point message once, as its
// sender's) in one training step: program s is stage s's, which every rank of the stage runs
// (layout.world() / layout.pp ranks).
MessageSizes message_sizes(const std::vector<parallelism::Program>& programs, const parallelism::Layout& layout);

}  // namespace scaleout::analysis
