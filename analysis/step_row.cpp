#include "analysis/step_row.hpp"

#include <algorithm>
#include <numeric>

namespace scaleout::analysis {

const char* to_string(PassKind pass) {
  switch (pass) {
    case PassKind::training: return "training";
    case PassKind::prefill: return "prefill";
    case PassKind::decode: return "decode";
  }
  return "?";
}

double StepRow::exposed_total() const { return std::accumulate(exposed_s.begin(), exposed_s.end(), 0.0); }

double StepRow::exposed(parallelism::Group group, parallelism::Tier tier) const {
  const double network = exposed_network_s[static_cast<std::size_t>(group)];
  return tier == parallelism::Tier::network ? network : std::max(exposed(group) - network, 0.0);
}

double StepRow::exposed(parallelism::Tier tier) const {
  double sum = 0;
  for (int g = 0; g < parallelism::group_count; ++g) sum += exposed(static_cast<parallelism::Group>(g), tier);
  return sum;
}

StepRow make_step_row(const RowOrigin& origin, const parallelism::StepRecord& record) {
  StepRow row;
  row.step = origin.step;
  row.rank = origin.rank;
  row.warmup = origin.warmup ? 1 : 0;
  row.pass = static_cast<std::int8_t>(origin.pass);
  row.token = origin.token;
  row.step_s = record.step;
  row.compute_s = record.compute;
  row.compute_requested_s = record.compute_requested;
  row.exposed_s = record.exposed;
  row.bubble_s = record.bubble;
  row.overlapped_s = record.overlapped;
  row.other_s = record.other();
  row.bytes = record.bytes;
  row.wrong = record.wrong;
  row.exposed_network_s = record.exposed_network;
  row.overlapped_tier_s = record.overlapped_tier;
  row.bytes_moved = record.bytes_moved;
  row.bytes_modelled = record.bytes_modelled;
  return row;
}

std::vector<StepRow> measured_rows(const std::vector<StepRow>& rows, std::optional<PassKind> pass) {
  std::vector<StepRow> measured;
  for (const auto& row : rows) {
    if (row.measured() && (!pass || row.kind() == *pass)) measured.push_back(row);
  }
  return measured;
}

}  // namespace scaleout::analysis
