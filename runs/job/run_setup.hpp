#pragma once
// What a run checks and gathers before its first step: the job against Slurm's view, the output and
// the space its log needs, the device's memory; and what the log's header records (environment,
// workload figures, placement). All of it before the first emulated step; the job is run_job.cpp.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "parallelism/layout.hpp"
#include "parallelism/program.hpp"
#include "parallelism/workload.hpp"
#include "runs/config/run_config.hpp"
#include "topology/cluster_map.hpp"

namespace scaleout::runs {

// Under Slurm, the job's task count must be the world: a mismatch (ranks missing or extra) is a
// UsageError.
void check_slurm_tasks(int world_size);

// What the run's log may grow to over its steps (runs/log/run_log.hpp's bound, for this run's steps,
// ranks and op trace).
std::uint64_t run_log_growth(const RunConfig& config, int world_size,
                             const std::vector<parallelism::Program>& programs);

// Why output.path cannot take a log of up to `log_bytes` (runs/output_file.hpp's output_problem, with
// `config_path` as the run's input; or its file system has too little free space), or "" (also when
// output.log is false).
std::string log_problem(const RunConfig& config, const std::string& config_path, std::uint64_t log_bytes);

// Why the programs cannot run on MPI, or "": an operation whose one MPI call would move more
// elements than MPI's int count holds (a 4100 MiB bucket of bf16 is 2.15e9), named with the option
// that sizes it.
std::string program_problem(const RunConfig& config, const std::vector<parallelism::Program>& programs);

// The memory a device would need against its capacity: a warning on rank 0, or with --strict-memory
// a UsageError.
void check_device_memory(const RunConfig& config, bool root);

// /environment: MPI library, transport, Slurm's variables, hostnames.
std::map<std::string, std::string> environment_facts(int world_size, const topology::ClusterMap& cluster);
// The workload's figures, the log's numeric root attributes.
std::map<std::string, double> workload_figures(const parallelism::Workload& w,
                                               const std::vector<parallelism::Program>& programs,
                                               const std::vector<parallelism::PlacementWarning>& placement);
std::vector<parallelism::PlacementWarning> placement_of(const parallelism::Layout& layout,
                                                        const topology::ClusterMap& cluster);

}  // namespace scaleout::runs
