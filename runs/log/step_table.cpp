#include "runs/log/step_table.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace scaleout::runs {

namespace {

using analysis::PassKind;
using analysis::StepRow;
using parallelism::Group;

// Per-group columns are named after the group: exposed_dp_s, ..., bytes_dp, ... (docs/run-log.md).
constexpr const char* exposed_column = "exposed_{}_s";
constexpr const char* bytes_column = "bytes_{}";
std::string group_column(const char* pattern, std::size_t group) {
  return fmt::format(fmt::runtime(pattern), to_string(static_cast<Group>(group)));
}
// Tiers (schema 5): exposed_dp_network_s, ... per group; overlapped_intra_node_s, overlapped_network_s.
constexpr const char* exposed_network_column = "exposed_{}_network_s";
constexpr const char* overlapped_column = "overlapped_{}_s";
std::string tier_column(const char* pattern, std::size_t tier) {
  return fmt::format(fmt::runtime(pattern), to_string(static_cast<parallelism::Tier>(tier)));
}
constexpr std::int64_t first_schema_with_tiers = 5;

// The time columns of a row but the per-group ones, named as /steps names them.
std::vector<std::pair<std::string, double StepRow::*>> time_columns() {
  return {{"step_s", &StepRow::step_s},
          {"compute_s", &StepRow::compute_s},
          {"compute_requested_s", &StepRow::compute_requested_s},
          {"bubble_s", &StepRow::bubble_s},
          {"overlapped_s", &StepRow::overlapped_s}};
}

// "0 training, 1 prefill, 2 decode"
std::string pass_names() {
  std::string names;
  for (const PassKind kind : {PassKind::training, PassKind::prefill, PassKind::decode}) {
    names += fmt::format("{}{} {}", names.empty() ? "" : ", ", static_cast<int>(kind), analysis::to_string(kind));
  }
  return names;
}

}  // namespace

h5::CompoundType step_row_type(std::int64_t schema) {
  h5::CompoundType t(sizeof(StepRow));
  t.SCALEOUT_FIELD(StepRow, step, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(StepRow, rank, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(StepRow, warmup, H5T_NATIVE_INT8)
      .SCALEOUT_FIELD(StepRow, pass, H5T_NATIVE_INT8)
      .SCALEOUT_FIELD(StepRow, token, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(StepRow, step_s, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(StepRow, compute_s, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(StepRow, compute_requested_s, H5T_NATIVE_DOUBLE);
  const auto per_group = [&](const char* pattern, std::size_t offset, std::size_t size, hid_t type) {
    for (std::size_t g = 0; g < parallelism::group_count; ++g) {
      t.field(group_column(pattern, g).c_str(), offset + g * size, type);
    }
  };
  per_group(exposed_column, offsetof(StepRow, exposed_s), sizeof(double), H5T_NATIVE_DOUBLE);
  t.SCALEOUT_FIELD(StepRow, bubble_s, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(StepRow, overlapped_s, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(StepRow, other_s, H5T_NATIVE_DOUBLE);
  per_group(bytes_column, offsetof(StepRow, bytes), sizeof(std::uint64_t), H5T_NATIVE_UINT64);
  t.SCALEOUT_FIELD(StepRow, wrong, H5T_NATIVE_UINT64);
  if (schema < first_schema_with_tiers) return t;
  per_group(exposed_network_column, offsetof(StepRow, exposed_network_s), sizeof(double), H5T_NATIVE_DOUBLE);
  for (std::size_t tier = 0; tier < parallelism::tier_count; ++tier) {
    t.field(tier_column(overlapped_column, tier).c_str(), offsetof(StepRow, overlapped_tier_s) + tier * sizeof(double),
            H5T_NATIVE_DOUBLE);
  }
  t.SCALEOUT_FIELD(StepRow, bytes_moved, H5T_NATIVE_UINT64).SCALEOUT_FIELD(StepRow, bytes_modelled, H5T_NATIVE_UINT64);
  return t;
}

// HDF5 would leave a missing column zero; unwritten rows read as zeros, and would be allocated whole.
void check_steps_dataset(hid_t steps, const h5::CompoundType& row) {
  const h5::Object stored(h5::check(H5Dget_type(steps), "/steps"), H5Tclose);
  if (H5Tget_class(stored.id()) != H5T_COMPOUND) throw h5::Error("/steps: not a table of rows");
  for (int member = 0; member < H5Tget_nmembers(row.id()); ++member) {
    char* name = H5Tget_member_name(row.id(), static_cast<unsigned>(member));
    const bool found = H5Tget_member_index(stored.id(), name) >= 0;
    const std::string column = name != nullptr ? name : "?";
    H5free_memory(name);
    if (!found) throw h5::Error(fmt::format("/steps: has no column {}", column));
  }
  h5::check_declared_rows(steps, "/steps");
}

void check_rows(const RunLog& log) {
  const auto columns = time_columns();
  std::array<std::string, parallelism::group_count> exposed;
  for (std::size_t g = 0; g < exposed.size(); ++g) exposed[g] = group_column(exposed_column, g);
  const auto time_problem = [](const std::string& column, double value) {
    return fmt::format("{} is {}; times are finite and not negative", column, value);
  };
  std::set<std::pair<std::int32_t, std::int32_t>> seen;
  for (std::size_t i = 0; i < log.steps.size(); ++i) {
    const auto& r = log.steps[i];
    const auto bad = [&](const std::string& why) {
      return h5::Error(fmt::format("/steps row {} (step {}, rank {}): {}", i, r.step, r.rank, why));
    };
    if (r.rank < 0 || static_cast<std::size_t>(r.rank) >= log.rank_rows) {
      throw bad(fmt::format("the rank is not one of the log's {} ranks", log.rank_rows));
    }
    if (r.step < 0) throw bad("the step is negative");
    if (r.pass < 0 || r.pass > static_cast<std::int8_t>(PassKind::decode)) {
      throw bad(fmt::format("pass {} is not a pass ({})", r.pass, pass_names()));
    }
    for (const auto& [column, member] : columns) {
      if (!std::isfinite(r.*member) || r.*member < 0) throw bad(time_problem(column, r.*member));
    }
    for (std::size_t g = 0; g < exposed.size(); ++g) {
      if (!std::isfinite(r.exposed_s[g]) || r.exposed_s[g] < 0) throw bad(time_problem(exposed[g], r.exposed_s[g]));
    }
    for (std::size_t g = 0; g < exposed.size(); ++g) {
      const double network = r.exposed_network_s[g];
      if (!std::isfinite(network) || network < 0 || network > r.exposed_s[g] * (1 + 1e-9))
        throw bad(fmt::format("{} is {}; it is a part of {} ({})", group_column(exposed_network_column, g), network,
                              exposed[g], r.exposed_s[g]));
    }
    for (std::size_t t = 0; t < r.overlapped_tier_s.size(); ++t) {
      if (!std::isfinite(r.overlapped_tier_s[t]) || r.overlapped_tier_s[t] < 0)
        throw bad(time_problem(tier_column(overlapped_column, t), r.overlapped_tier_s[t]));
    }
    if (!std::isfinite(r.other_s)) throw bad(fmt::format("other_s is {}", r.other_s));
    if (!seen.emplace(r.step, r.rank).second) throw bad("the rank's step comes twice");
  }
  // Rows are written a whole step at a time, every rank's together: a step short of some rank's row is
  // not one the run wrote (one rank's rows alone read as a run of that many ranks).
  std::map<std::int32_t, std::size_t> ranks_of_step;
  for (const auto& [step, rank] : seen) ++ranks_of_step[step];
  for (const auto& [step, ranks] : ranks_of_step) {
    if (ranks != log.rank_rows) {
      throw h5::Error(
          fmt::format("/steps: step {} has the rows of {} of the log's {} ranks", step, ranks, log.rank_rows));
    }
  }
}

}  // namespace scaleout::runs
