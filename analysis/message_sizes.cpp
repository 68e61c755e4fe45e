#include "analysis/message_sizes.hpp"

#include <algorithm>
#include <bit>
#include <map>

namespace scaleout::analysis {

MessageSizes message_sizes(const std::vector<parallelism::Program>& programs, const parallelism::Layout& layout) {
  const double ranks_per_stage = static_cast<double>(layout.world()) / std::max(layout.pp, 1);
  std::array<std::map<std::uint64_t, SizeBin>, parallelism::group_count> bins;
  for (const auto& program : programs) {
    for (const auto& op : program.ops) {
      if (op.kind != parallelism::OpKind::start && op.kind != parallelism::OpKind::blocking) continue;
      // A message counts once, as its sender's (a receive is the other end of a send).
      if (op.bytes == 0 || op.transfer == parallelism::Transfer::recv) continue;
      const std::uint64_t upto = std::bit_ceil(op.bytes);
      SizeBin& bin = bins[static_cast<std::size_t>(op.group)][upto];
      bin.upto = upto;
      bin.above = upto / 2;
      bin.operations += ranks_per_stage;
      bin.bytes += ranks_per_stage * static_cast<double>(op.bytes);
    }
  }
  MessageSizes sizes;
  for (std::size_t g = 0; g < bins.size(); ++g) {
    for (const auto& [upto, bin] : bins[g]) sizes[g].push_back(bin);
  }
  return sizes;
}

}  // namespace scaleout::analysis
