#pragma once
// The run log (HDF5), written by rank 0 only (docs/run-log.md). Rows are written as
// each step's records arrive and the file is flushed after every step, so a killed job leaves a file
// that opens and holds every completed step.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/background_effect.hpp"
#include "analysis/step_row.hpp"
#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"
#include "runs/log/disk_space.hpp"
#include "topology/cluster_map.hpp"

namespace scaleout::runs {

// 2: /steps has bubble_s; /ranks has every grid coordinate; /program has one program per pipeline
// stage (column stage) and names each op's transfer, peer and tag.
// 3: serving: /steps rows are passes (columns pass and token); /program has column pass.
// 4: /program has column algorithm. The reader reads 3 as well: it reads no column that 4 added.
// 5: /steps has the tier columns.
// 6: /program has column embedding (the op is the tied embedding's, over the first and last stages).
inline constexpr std::int64_t run_log_schema_version = 6;
inline constexpr std::int64_t oldest_readable_run_log_schema_version = 3;

// One row of /ops: one op of one rank's step (seconds from the step's start).
struct OpRow {
  std::int32_t step = 0, rank = 0, op = 0;
  double begin_s = 0, end_s = 0, waited_s = 0;
};

enum class RunStatus { running, complete, interrupted, failed };
const char* to_string(RunStatus status);

struct RunHeader {
  std::string tool_version, git_revision, command_line, config_yaml;
  std::map<std::string, std::string> environment;  // /environment attributes
  std::map<std::string, double> workload;          // figures of the workload, as root attributes
};

// Bounds of the log's size on disk, for the free-space check before the run and the reservation at
// its start. The header: the topology (one hwloc XML per kind of node), the ranks and the programs.
std::uint64_t log_header_bound(int world_size, const std::vector<parallelism::Program>& programs);
// What the steps add: /steps rows, and /ops rows with the trace, in whole chunks with their index,
// and the summary.
std::uint64_t log_growth_bound(std::uint64_t steps, std::uint64_t ranks, std::uint64_t op_rows_per_step);

class RunLogWriter {
 public:
  // Creates the file (replacing it) with status running, the header, the topology, the ranks with
  // their grid coordinates and the step program of every pipeline stage (index = stage; serving:
  // the prefill programs of the stages, then the first decode pass's). Then
  // reserves the header's size plus `growth_bytes` on disk (runs/log/disk_space.hpp) until close().
  RunLogWriter(const std::string& path, const RunHeader& header, const topology::ClusterMap& cluster,
               const parallelism::Layout& layout, const std::vector<parallelism::Program>& programs,
               std::uint64_t growth_bytes);
  ~RunLogWriter();
  RunLogWriter(const RunLogWriter&) = delete;
  RunLogWriter& operator=(const RunLogWriter&) = delete;
  void append_steps(const std::vector<analysis::StepRow>& rows);
  void append_ops(const std::vector<OpRow>& rows);
  // emulation.background: /background with the pattern, and its table isolated_steps, the measured
  // steps run without the background (rows as /steps'); at the end the group's figures as attributes
  // and every background rank's load (runs/log/background_table.hpp). Open it before the others.
  void open_background(comm::BackgroundPattern pattern, std::uint64_t unit_bytes);
  void append_isolated_steps(const std::vector<analysis::StepRow>& rows);
  void write_background(const analysis::RunCongestion& congestion, const std::vector<analysis::BackgroundRank>& ranks);
  void flush();
  void write_summary(const std::map<std::string, double>& figures);
  // Sets the status, flushes and gives back the unused reservation; the file stays open until the
  // writer goes.
  void close(RunStatus status, const std::string& message = {});
  const DiskReservation& reservation() const noexcept { return reservation_; }

 private:
  struct File;                   // the HDF5 file and its growing tables (run_log.cpp)
  DiskReservation reservation_;  // declared first: released after the file is closed
  std::unique_ptr<File> file_;
};

// What a log holds, as report, compare and the tests read it back.
struct RunLog {
  std::int64_t schema_version = 0;
  std::string status, config_yaml, status_message;
  std::vector<analysis::StepRow> steps;
  std::size_t op_rows = 0, rank_rows = 0, node_rows = 0, program_ops = 0;
  std::map<std::string, double> summary;
  std::map<std::string, double> figures;           // the numeric root attributes (the workload)
  std::map<std::string, std::string> environment;  // /environment
  std::vector<int> node_of_rank;                   // /ranks' node column
  bool checksummed = false;  // every table carries checksums, and all matched (older logs: none to check)
  std::string background;    // /background's pattern: the steps ran under emulation.background; "" without
};
// Throws h5::Error (runs/log/hdf5.hpp: not HDF5, truncated, another schema; h5::Damaged when a
// checksum fails) with a message that names the file. The reading runs isolated
// (runs/log/isolated.hpp): HDF5 crashing or looping on a damaged string heap is h5::Damaged too.
RunLog read_run_log(const std::string& path);
// With its own deadline (seconds) instead of one from the file's size.
RunLog read_run_log(const std::string& path, double deadline_s);
// The same in this process, without that protection: for the reader's fuzzer.
RunLog read_run_log_in_process(const std::string& path);

}  // namespace scaleout::runs
