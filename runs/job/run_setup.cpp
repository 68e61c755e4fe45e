#include "runs/job/run_setup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <set>

#include "analysis/figures.hpp"
#include "comm/element_type.hpp"
#include "comm/transport.hpp"
#include "parallelism/inference.hpp"
#include "parallelism/memory.hpp"
#include "parallelism/schedule.hpp"
#include "runs/log/disk_space.hpp"
#include "runs/log/run_log.hpp"
#include "runs/output_file.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"

extern char** environ;

namespace scaleout::runs {

namespace figure = analysis::figure;

void check_slurm_tasks(int world_size) {
  const char* job = std::getenv("SLURM_JOB_ID");
  const char* tasks = std::getenv("SLURM_NTASKS");
  if (job == nullptr || tasks == nullptr) return;
  if (std::atoi(tasks) != world_size) {
    throw UsageError(
        fmt::format("Slurm job {} has SLURM_NTASKS={} tasks but MPI started {} rank{}; launch with srun "
                    "(or mpirun -n {}) so that every task is a rank",
                    job, tasks, world_size, world_size == 1 ? "" : "s", tasks));
  }
}

std::uint64_t run_log_growth(const RunConfig& config, int world_size,
                             const std::vector<parallelism::Program>& programs) {
  // Per pass, each stage's largest program (serving logs a prefill and a decode program per stage).
  const auto stages = static_cast<std::size_t>(config.workload.layout.pp);
  std::vector<std::uint64_t> most_ops(stages, 0);
  for (std::size_t i = 0; i < programs.size(); ++i) {
    most_ops[i % stages] = std::max<std::uint64_t>(most_ops[i % stages], programs[i].ops.size());
  }
  std::uint64_t op_rows_per_step = 0;
  if (config.trace) {
    const auto ranks_per_stage = static_cast<std::uint64_t>(world_size / config.workload.layout.pp);
    for (const auto ops : most_ops) op_rows_per_step += ranks_per_stage * ops;
  }
  const std::uint64_t growth = log_growth_bound(static_cast<std::uint64_t>(config.total_passes()),
                                                static_cast<std::uint64_t>(world_size), op_rows_per_step);
  if (!config.background) return growth;
  // The measured steps once more, without the background (/background/isolated_steps).
  return growth + log_growth_bound(static_cast<std::uint64_t>(config.steps) * config.passes_per_step(),
                                   static_cast<std::uint64_t>(world_size), 0);
}

std::string log_problem(const RunConfig& config, const std::string& config_path, std::uint64_t log_bytes) {
  if (!config.log) return "";
  const OutputPolicy policy{.overwrite = config.overwrite,
                            .how_to_overwrite = "pass --overwrite (or output.overwrite: true) to replace it",
                            .inputs = {config_path}};
  if (std::string reason = output_problem(config.output, policy); !reason.empty()) return reason;
  const std::uint64_t free = free_bytes_for(config.output);
  if (free < log_bytes) {
    const auto mib = [](std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
    return fmt::format(
        "its file system has {:.1f} MiB free and the log may grow to {:.1f} MiB ({} {} x the ranks' "
        "rows{}); free space, or log fewer steps{}",
        mib(free), mib(log_bytes), config.total_passes(), config.workload.inference ? "passes" : "steps",
        config.trace ? " and the op trace" : "", config.trace ? " or without output.trace" : "");
  }
  return "";
}

std::string program_problem(const RunConfig& config, const std::vector<parallelism::Program>& programs) {
  const auto& layout = config.workload.layout;
  const auto element = static_cast<std::uint64_t>(comm::size_of(config.workload.gradient_type));
  for (const auto& program : programs) {
    for (const auto& op : program.ops) {
      if (op.kind == parallelism::OpKind::compute) continue;
      const bool blocked = op.transfer == parallelism::Transfer::reduce_scatter ||
                           op.transfer == parallelism::Transfer::allgather ||
                           op.transfer == parallelism::Transfer::alltoall;
      const auto group =
          static_cast<std::uint64_t>(parallelism::members(layout, 0, parallelism::channel_of(op)).size());
      const std::uint64_t count = op.bytes / element / (blocked ? group : 1);
      if (count <= static_cast<std::uint64_t>(INT_MAX)) continue;
      return fmt::format("a {} {} of {} moves {} elements in one MPI call, past the {} that MPI's int count holds; {}",
                         parallelism::to_string(op.group), parallelism::to_string(op.transfer), format_bytes(op.bytes),
                         count, INT_MAX,
                         op.group == parallelism::Group::dp ? "use smaller gradient buckets (dp.bucket_mb)"
                                                            : "use smaller microbatches (batch.micro) or more tp");
    }
  }
  return "";
}

std::map<std::string, std::string> environment_facts(int world_size, const topology::ClusterMap& cluster) {
  std::map<std::string, std::string> facts;
  facts["transport"] = comm::transport_in_effect();
  facts["mpi_library"] = comm::mpi_library();
  facts["world_size"] = std::to_string(world_size);
  facts["nodes"] = std::to_string(cluster.nodes.size());
  std::string hostnames;
  for (const auto& node : cluster.nodes) hostnames += (hostnames.empty() ? "" : ",") + node.hostname;
  facts["hostnames"] = hostnames;
  // Slurm's view of the job, and the transport settings in effect (Open MPI's MCA and UCX variables).
  static const std::set<std::string> slurm = {"SLURM_JOB_ID",        "SLURM_JOB_NODELIST",  "SLURM_NTASKS",
                                              "SLURM_JOB_NUM_NODES", "SLURM_JOB_PARTITION", "SLURM_NTASKS_PER_NODE"};
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const auto equals = text.find('=');
    const std::string name = text.substr(0, equals);
    // mpirun's own bookkeeping (OMPI_MCA_orte_*, OMPI_MCA_ess*: URIs, session folders, the job's
    // transport key) says nothing about the transport and is left out.
    const bool launcher_internal = name.rfind("OMPI_MCA_orte_", 0) == 0 || name.rfind("OMPI_MCA_ess", 0) == 0;
    if (slurm.count(name) != 0 || (name.rfind("OMPI_MCA_", 0) == 0 && !launcher_internal) ||
        name.rfind("UCX_", 0) == 0) {
      facts[name] = text.substr(equals + 1);
    }
  }
  return facts;
}

namespace {

// Serving replaces the training figures that mean nothing there (memory, gradients, a step's FLOPs).
void add_serving_figures(const parallelism::Workload& w, std::map<std::string, double>& figures) {
  const auto& serve = *w.inference;
  const auto memory = parallelism::serving_memory(w);
  for (const char* training :
       {"gradient_bytes", "bucket_bytes", "microbatches", "ideal_bubble_share", "compute_per_step_s",
        "memory_gradients_bytes", "memory_optimizer_bytes", "memory_activations_bytes"}) {
    figures.erase(training);
  }
  const double replicas = static_cast<double>(w.layout.dp) / w.layout.ep;
  figures["sequences"] = serve.sequences;
  figures["prompt_tokens"] = static_cast<double>(serve.prompt_tokens);
  figures["output_tokens"] = static_cast<double>(serve.output_tokens);
  figures["kv_element_bytes"] = serve.kv_element_bytes;
  figures["replicas"] = replicas;
  figures["replica_ranks"] = w.layout.tp * w.layout.pp * w.layout.ep;
  // A step is a request batch: the tokens it makes over the job.
  figures[figure::tokens_per_step] = replicas * serve.sequences * static_cast<double>(serve.output_tokens);
  figures[figure::flops_per_step] = 0;  // not a training step: tokens per second is serving's throughput
  figures["memory_per_device_bytes"] = memory.total();
  figures["memory_parameters_bytes"] = memory.weights;
  figures["memory_kv_cache_bytes"] = memory.kv_cache;
  figures["kv_bytes_per_token"] = memory.kv_per_token;
  figures[figure::memory_fits] = memory.fits() ? 1.0 : 0.0;
  figures["most_sequences"] = memory.most_sequences;
  figures["longest_context"] = static_cast<double>(memory.longest_context);
}

}  // namespace

std::map<std::string, double> workload_figures(const parallelism::Workload& w,
                                               const std::vector<parallelism::Program>& programs,
                                               const std::vector<parallelism::PlacementWarning>& placement) {
  const auto memory = w.inference ? parallelism::MemoryEstimate{} : parallelism::memory_per_device(w);
  const auto& l = w.layout;
  double compute = 0;
  for (const auto& program : programs) compute = std::max(compute, program.compute_seconds());
  std::map<std::string, double> figures = {
      {figure::parameters, static_cast<double>(w.model.parameters())},
      {figure::flops_per_step, w.flops_per_step()},
      {figure::dp, l.dp},
      {figure::tp, l.tp},
      {figure::pp, l.pp},
      {figure::cp, l.cp},
      {figure::ep, l.ep},
      {figure::virtual_stages, l.virtual_stages},
      {figure::zero_stage, l.zero_stage},
      {figure::micro_batch, static_cast<double>(w.micro_batch)},
      {figure::global_batch, static_cast<double>(w.global_batch)},
      {figure::tokens_per_step, static_cast<double>(w.global_batch) * static_cast<double>(w.model.seq_len)},
      {figure::microbatches, static_cast<double>(w.microbatches())},
      {"gradient_bytes", static_cast<double>(parallelism::gradient_bytes(w, 0))},
      {"bucket_bytes", static_cast<double>(w.bucket_bytes())},
      {"compute_per_step_s", compute},
      {"ideal_bubble_share",
       l.pp > 1 ? parallelism::ideal_bubble_share(l.schedule, l.pp, w.microbatches(), l.virtual_stages) : 0.0},
      {"memory_per_device_bytes", memory.total()},
      {"memory_parameters_bytes", memory.parameters},
      {"memory_gradients_bytes", memory.gradients},
      {"memory_optimizer_bytes", memory.optimizer_states},
      {"memory_activations_bytes", memory.activations},
      {"memory_capacity_bytes", w.device.memory_bytes},
      {figure::memory_fits, memory.total() <= w.device.memory_bytes ? 1.0 : 0.0},
      {figure::memory_bound_share, parallelism::memory_bound_share(programs, w.device)},
      {"tp_groups_spanning_nodes", 0.0},
      {"cp_groups_spanning_nodes", 0.0}};
  for (const auto& warning : placement) {
    figures[fmt::format("{}_groups_spanning_nodes", parallelism::to_string(warning.channel))] = warning.spanning;
  }
  if (w.inference) add_serving_figures(w, figures);
  return figures;
}

std::vector<parallelism::PlacementWarning> placement_of(const parallelism::Layout& layout,
                                                        const topology::ClusterMap& cluster) {
  std::vector<int> node_of_rank;
  for (const auto& rank : cluster.ranks) node_of_rank.push_back(rank.node);
  return parallelism::placement_warnings(layout, node_of_rank);
}

void check_device_memory(const RunConfig& config, bool root) {
  const auto& w = config.workload;
  if (w.inference) {
    const auto memory = parallelism::serving_memory(w);
    if (memory.fits()) return;
    const std::string message = fmt::format("a {} {}", w.device.name, parallelism::serving_memory_verdict(memory, w));
    if (config.strict_memory) throw UsageError("memory: " + message + " (--strict-memory)");
    if (root) fmt::print("warning: {}\n", message);
    return;
  }
  const auto memory = parallelism::memory_per_device(w);
  if (memory.total() <= w.device.memory_bytes) return;
  const std::string message = fmt::format(
      "the layout needs {} per device (stage {}: parameters {}, gradients {}, optimizer {}, activations {}) but a {} "
      "has {}; see scaleout plan for the breakdown",
      format_bytes(static_cast<std::uint64_t>(memory.total())), memory.stage,
      format_bytes(static_cast<std::uint64_t>(memory.parameters)),
      format_bytes(static_cast<std::uint64_t>(memory.gradients)),
      format_bytes(static_cast<std::uint64_t>(memory.optimizer_states)),
      format_bytes(static_cast<std::uint64_t>(memory.activations)), w.device.name,
      format_bytes(static_cast<std::uint64_t>(w.device.memory_bytes)));
  if (config.strict_memory) throw UsageError("memory: " + message + " (--strict-memory)");
  if (root) fmt::print("warning: {}\n", message);
}

}  // namespace scaleout::runs
