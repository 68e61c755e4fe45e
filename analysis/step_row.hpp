#pragma once
// One rank's step (in serving, one pass) as the run log's /steps holds it: the one row type that the
// run writes, the log reader returns, and the summaries, the report, compare and predict read. Times
// in seconds, sizes in bytes, per-group figures indexed by parallelism::Group (docs/run-log.md names
// the columns: exposed_<group>_s and bytes_<group>; exposed_<group>_network_s per group and
// overlapped_<tier>_s per tier, indexed by parallelism::Tier).

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "parallelism/program.hpp"
#include "parallelism/step_record.hpp"

namespace scaleout::analysis {

// What one row is: a training step, or one forward pass of serving.
enum class PassKind : std::int8_t { training = 0, prefill = 1, decode = 2 };
const char* to_string(PassKind pass);

struct StepRow {
  std::int32_t step = 0;  // serving: the pass's index over the run
  std::int32_t rank = 0;
  std::int8_t warmup = 0;
  std::int8_t pass = 0;    // PassKind
  std::int32_t token = 0;  // serving: the output token the pass makes (1 by prefill); 0 in training
  double step_s = 0, compute_s = 0, compute_requested_s = 0;
  std::array<double, parallelism::group_count> exposed_s{};  // blocked on communication, per group
  double bubble_s = 0, overlapped_s = 0, other_s = 0;
  std::array<std::uint64_t, parallelism::group_count> bytes{};  // bytes of the operations issued, per group
  std::uint64_t wrong = 0;
  // Tiers (parallelism::Tier; docs/run.md, "Tiers"): of each group's exposed time, the part spent on
  // ops that cross the network; the compute time while an op of each tier was in flight; the bytes the
  // rank sent in hops, moved for real or modelled over the device's links.
  std::array<double, parallelism::group_count> exposed_network_s{};
  std::array<double, parallelism::tier_count> overlapped_tier_s{};
  std::uint64_t bytes_moved = 0, bytes_modelled = 0;

  double& exposed(parallelism::Group group) { return exposed_s[static_cast<std::size_t>(group)]; }
  double exposed(parallelism::Group group) const { return exposed_s[static_cast<std::size_t>(group)]; }
  double exposed(parallelism::Group group, parallelism::Tier tier) const;
  double exposed(parallelism::Tier tier) const;
  double overlapped(parallelism::Tier tier) const { return overlapped_tier_s[static_cast<std::size_t>(tier)]; }
  bool measured() const { return warmup == 0; }
  PassKind kind() const { return static_cast<PassKind>(pass); }
  double exposed_total() const;
};

// Where a row comes from: the step (or pass) it is, on which rank, and whether it is warm-up.
struct RowOrigin {
  int step = 0, rank = 0;
  bool warmup = false;
  PassKind pass = PassKind::training;
  int token = 0;
};

// The row of an executor's record (measured or simulated).
StepRow make_step_row(const RowOrigin& origin, const parallelism::StepRecord& record);

// The measured (not warm-up) rows, of one kind of pass when `pass` is given.
std::vector<StepRow> measured_rows(const std::vector<StepRow>& rows, std::optional<PassKind> pass = std::nullopt);

}  // namespace scaleout::analysis
