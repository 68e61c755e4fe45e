#include "runs/log/run_log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <utility>

#include "runs/input_file.hpp"
#include "runs/log/background_table.hpp"
#include "runs/log/hdf5.hpp"
#include "runs/log/op_tables.hpp"
#include "runs/log/step_table.hpp"
#include "runs/log/topology_table.hpp"
#include "runs/version.hpp"

namespace scaleout::runs {

struct RunLogWriter::File {
  h5::Object file;
  h5::Table steps, ops;  // declared after the file: closed before it
  h5::Object background;
  h5::Table isolated_steps;  // in background
};

namespace {

using analysis::PassKind;
using analysis::StepRow;

// Rows with strings: the pointers live in the strings the caller keeps while the rows are written.
struct RankRow {
  std::int32_t rank, node, local_rank;
  const char* hostname;
  const char* binding_pus;
  const char* binding_cores;
  std::int8_t bound;
  std::int32_t dp, tp, pp, ep, cp;  // grid coordinates
};

void write_ranks(hid_t file, const topology::ClusterMap& cluster, const parallelism::Layout& layout) {
  const h5::Object text = h5::string_type();
  h5::CompoundType type(sizeof(RankRow));
  type.SCALEOUT_FIELD(RankRow, rank, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, node, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, local_rank, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, hostname, text.id())
      .SCALEOUT_FIELD(RankRow, binding_pus, text.id())
      .SCALEOUT_FIELD(RankRow, binding_cores, text.id())
      .SCALEOUT_FIELD(RankRow, bound, H5T_NATIVE_INT8)
      .SCALEOUT_FIELD(RankRow, dp, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, tp, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, pp, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, ep, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(RankRow, cp, H5T_NATIVE_INT32);
  std::vector<RankRow> rows;
  for (const auto& r : cluster.ranks) {
    const parallelism::GridPosition p = parallelism::position_of(layout, r.rank);
    rows.push_back({r.rank, r.node, r.local_rank, r.hostname.c_str(), r.binding.pus.c_str(), r.binding.cores.c_str(),
                    static_cast<std::int8_t>(r.binding.bound), p.dp, p.tp, p.pp, p.ep, p.cp});
  }
  h5::Table(file, "ranks", type.id(), 256).append(rows.data(), rows.size());
}

}  // namespace

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::running: return "running";
    case RunStatus::complete: return "complete";
    case RunStatus::interrupted: return "interrupted";
    case RunStatus::failed: return "failed";
  }
  return "?";
}

namespace {
constexpr std::size_t step_chunk_rows = 1024, op_chunk_rows = 4096;
constexpr std::uint64_t mib = 1 << 20;

std::uint64_t chunked_bytes(std::uint64_t rows, std::uint64_t chunk_rows, std::uint64_t row_bytes) {
  const std::uint64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
  return chunks * (chunk_rows * row_bytes + 512);  // 512: the chunk's share of the index (a B-tree)
}
}  // namespace

std::uint64_t log_header_bound(int world_size, const std::vector<parallelism::Program>& programs) {
  std::uint64_t ops = 0;
  for (const auto& program : programs) ops += program.ops.size();
  // hwloc XML of a large node is under 1 MiB (../shared/topologies: 330 kB for 192 PUs); strings of
  // the variable-length columns go to the global heap, a few hundred bytes per row.
  return 4 * mib + static_cast<std::uint64_t>(world_size) * 2048 + ops * (program_row_bytes() + 256);
}

std::uint64_t log_growth_bound(std::uint64_t steps, std::uint64_t ranks, std::uint64_t op_rows_per_step) {
  const std::uint64_t tables = chunked_bytes(steps * ranks, step_chunk_rows, sizeof(StepRow)) +
                               chunked_bytes(steps * op_rows_per_step, op_chunk_rows, sizeof(OpRow));
  // A quarter more for the metadata HDF5 rewrites as tables grow, and a MiB for the summary and status.
  return tables + tables / 4 + mib;
}

RunLogWriter::RunLogWriter(const std::string& path, const RunHeader& header, const topology::ClusterMap& cluster,
                           const parallelism::Layout& layout, const std::vector<parallelism::Program>& programs,
                           std::uint64_t growth_bytes)
    : file_(std::make_unique<File>()) {
  file_->file = h5::create_file(path);
  const hid_t root = file_->file.id();
  h5::write_attribute(root, "schema_version", run_log_schema_version);
  h5::write_attribute(root, "tool_version", header.tool_version);
  h5::write_attribute(root, "git_revision", header.git_revision);
  h5::write_attribute(root, "created", utc_now());
  h5::write_attribute(root, "status", std::string(to_string(RunStatus::running)));
  h5::write_attribute(root, "command_line", header.command_line);
  h5::write_attribute(root, "config", header.config_yaml);
  for (const auto& [name, value] : header.workload) h5::write_attribute(root, name.c_str(), value);
  {
    const h5::Object environment = h5::create_group(root, "environment");
    for (const auto& [name, value] : header.environment) h5::write_attribute(environment.id(), name.c_str(), value);
  }
  write_topology(root, cluster);
  write_ranks(root, cluster, layout);
  write_program(root, programs, static_cast<std::size_t>(layout.pp));
  file_->steps = h5::Table(root, "steps", step_row_type().id(), step_chunk_rows);
  file_->ops = h5::Table(root, "ops", op_row_type().id(), op_chunk_rows);
  flush();
  hsize_t header_bytes = 0;
  h5::check(H5Fget_filesize(root, &header_bytes), "sizing the run log");
  try {
    reservation_ = DiskReservation(path, header_bytes + growth_bytes);
  } catch (const std::runtime_error&) {
    // A full disk between the run's check and now: no half-made log is left behind saying "running".
    file_.reset();  // the last handles: the file closes
    std::error_code ignored;
    if (std::filesystem::is_regular_file(path, ignored)) std::filesystem::remove(path, ignored);
    throw;
  }
}

RunLogWriter::~RunLogWriter() = default;

void RunLogWriter::append_steps(const std::vector<StepRow>& rows) { file_->steps.append(rows.data(), rows.size()); }
void RunLogWriter::append_ops(const std::vector<OpRow>& rows) { file_->ops.append(rows.data(), rows.size()); }
void RunLogWriter::flush() { h5::check(H5Fflush(file_->file.id(), H5F_SCOPE_GLOBAL), "flushing the run log"); }

void RunLogWriter::open_background(comm::BackgroundPattern pattern, std::uint64_t unit_bytes) {
  file_->background = h5::create_group(file_->file.id(), "background");
  write_background_pattern(file_->background.id(), pattern, unit_bytes);
  file_->isolated_steps = h5::Table(file_->background.id(), "isolated_steps", step_row_type().id(), step_chunk_rows);
  flush();
}

void RunLogWriter::append_isolated_steps(const std::vector<StepRow>& rows) {
  file_->isolated_steps.append(rows.data(), rows.size());
}

void RunLogWriter::write_background(const analysis::RunCongestion& congestion,
                                    const std::vector<analysis::BackgroundRank>& ranks) {
  const hid_t group = file_->background.id();
  write_background_ranks(group, ranks);
  for (const auto& [name, value] : congestion.figures()) h5::write_attribute(group, name.c_str(), value);
}

void RunLogWriter::write_summary(const std::map<std::string, double>& figures) {
  const h5::Object summary = h5::create_group(file_->file.id(), "summary");
  for (const auto& [name, value] : figures) h5::write_attribute(summary.id(), name.c_str(), value);
}

void RunLogWriter::close(RunStatus status, const std::string& message) {
  const hid_t root = file_->file.id();
  h5::write_attribute(root, "status", std::string(to_string(status)));
  if (!message.empty()) h5::write_attribute(root, "status_message", message);
  h5::write_attribute(root, "finished", utc_now());
  flush();
  reservation_.release();
}

namespace {

// The root's status and config, after checking that the file is a run log of this schema.
void read_header(hid_t root, RunLog& log) {
  if (!h5::has_attribute(root, "schema_version")) throw h5::Error("not a scaleout run log (no schema_version)");
  log.schema_version = h5::read_int_attribute(root, "schema_version");
  if (log.schema_version < oldest_readable_run_log_schema_version || log.schema_version > run_log_schema_version) {
    throw h5::Error(fmt::format("written with run-log schema version {}; this scaleout reads versions {} to {}",
                                log.schema_version, oldest_readable_run_log_schema_version, run_log_schema_version));
  }
  log.status = h5::read_string_attribute(root, "status");
  log.config_yaml = h5::read_string_attribute(root, "config");
  if (h5::has_attribute(root, "status_message")) log.status_message = h5::read_string_attribute(root, "status_message");
}

// /steps whole; of /ops, /program and /topology/nodes their row counts; of /ranks each rank's node.
// Every table's chunks are read, so that HDF5 checks their checksums where the log has them.
void read_tables(hid_t root, RunLog& log) {
  const h5::Object steps = h5::open_dataset(root, "steps");
  const h5::Object ops = h5::open_dataset(root, "ops");
  const h5::Object ranks = h5::open_dataset(root, "ranks");
  const h5::Object program = h5::open_dataset(root, "program");
  const h5::Object nodes = h5::open_dataset(h5::open_group(root, "topology").id(), "nodes");
  log.checksummed = true;
  for (const hid_t table : {steps.id(), ops.id(), ranks.id(), program.id(), nodes.id()}) {
    log.checksummed = log.checksummed && h5::has_checksums(table);
  }

  const h5::CompoundType row = step_row_type(log.schema_version);
  check_steps_dataset(steps.id(), row);
  h5::check_declared_rows(ranks.id(), "/ranks");
  log.steps.resize(h5::row_count(steps.id()));
  if (!log.steps.empty()) h5::read_rows(steps.id(), row.id(), log.steps.data(), "/steps");

  log.rank_rows = h5::row_count(ranks.id());
  // HDF5 reads the fields a type names: here only each rank's node.
  h5::CompoundType node_only(sizeof(std::int32_t));
  node_only.field("node", 0, H5T_NATIVE_INT32);
  std::vector<std::int32_t> node_of_rank(log.rank_rows);
  if (!node_of_rank.empty()) h5::read_rows(ranks.id(), node_only.id(), node_of_rank.data(), "/ranks");
  log.node_of_rank.assign(node_of_rank.begin(), node_of_rank.end());

  log.op_rows = h5::row_count(ops.id());
  log.program_ops = h5::row_count(program.id());
  log.node_rows = h5::row_count(nodes.id());
  if (log.rank_rows == 0) throw h5::Error("/ranks: holds no rank");
  if (log.node_rows == 0) throw h5::Error("/topology/nodes: holds no node");
  if (log.checksummed) {
    h5::verify_checksums(ops.id(), "/ops");
    h5::verify_checksums(program.id(), "/program");
    h5::verify_checksums(nodes.id(), "/topology/nodes");
  }
}

// /summary's figures, the root's numeric attributes (the workload) and /environment.
void read_figures(hid_t root, RunLog& log) {
  if (h5::exists(root, "summary")) {
    const h5::Object summary = h5::open_group(root, "summary");
    for (const auto& name : h5::attribute_names(summary.id())) {
      log.summary[name] = h5::read_double_attribute(summary.id(), name.c_str());
    }
  }
  for (const auto& name : h5::attribute_names(root)) {
    if (!h5::is_string_attribute(root, name.c_str())) log.figures[name] = h5::read_double_attribute(root, name.c_str());
  }
  const h5::Object environment = h5::open_group(root, "environment");
  for (const auto& name : h5::attribute_names(environment.id())) {
    log.environment[name] = h5::read_string_attribute(environment.id(), name.c_str());
  }
  if (h5::exists(root, "background")) {
    const h5::Object background = h5::open_group(root, "background");
    if (h5::has_attribute(background.id(), "pattern")) {
      log.background = h5::read_string_attribute(background.id(), "pattern");
    }
  }
}

}  // namespace

RunLog read_run_log_in_process(const std::string& path) {
  try {
    // H5Fis_hdf5 prints HDF5's error stack for a file it cannot open (and blocks on a FIFO): say why
    // before asking it.
    if (const std::string problem = input_problem(path); !problem.empty()) throw h5::Error(problem);
    if (H5Fis_hdf5(path.c_str()) <= 0) throw h5::Error("not an HDF5 file");
    const h5::Object file = h5::open_file(path, h5::Access::read_only);
    RunLog log;
    read_header(file.id(), log);
    read_tables(file.id(), log);
    check_rows(log);
    read_figures(file.id(), log);
    return log;
  } catch (const h5::Damaged& error) {
    throw h5::Damaged(fmt::format("{}: the log is damaged: {}", path, error.what()));
  } catch (const h5::Error& error) {
    throw h5::Error(fmt::format("{}: {}", path, error.what()));
  }
}

}  // namespace scaleout::runs
