#include "runs/cli/run_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "comm/environment.hpp"
#include "comm/gather.hpp"
#include "comm/transport.hpp"
#include "parallelism/inference.hpp"
#include "parallelism/mpi_executor.hpp"
#include "parallelism/process_groups.hpp"
#include "runs/log/disk_space.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/job/node_memory.hpp"
#include "runs/output_file.hpp"
#include "runs/log/run_log.hpp"
#include "runs/job/run_passes.hpp"
#include "runs/job/run_setup.hpp"
#include "runs/job/signals.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"
#include "runs/version.hpp"
#include "runs/job/watchdog.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

namespace {

std::vector<OpRow> op_rows(int step, int rank, const parallelism::StepRecord& record) {
  std::vector<OpRow> rows;
  rows.reserve(record.ops.size());
  for (const auto& op : record.ops) rows.push_back({step, rank, op.op, op.begin, op.end, op.waited});
  return rows;
}

// A line every tenth of the run, and at least every few seconds on long runs.
class Progress {
 public:
  Progress(int total, const char* unit)
      : total_(total), every_(std::max(1, total / 10)), unit_(unit), start_(clock::now()), last_(start_) {}
  void step_done(int step, bool warmup, double slowest) {
    const int done = step + 1;
    const auto now = clock::now();
    if (done % every_ != 0 && done != total_ && now - last_ < std::chrono::seconds(5)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    fmt::print("{} {:>{}}/{}{}  {} time {:9.2f} ms  elapsed {:6.1f} s  ETA {:6.1f} s\n", unit_, done,
               std::to_string(total_).size(), total_, warmup ? " (warm-up)" : "          ", unit_, slowest * 1e3,
               elapsed, elapsed / done * (total_ - done));
    std::fflush(stdout);
  }

 private:
  using clock = std::chrono::steady_clock;
  int total_, every_;
  const char* unit_;
  clock::time_point start_, last_;
};

// emulation.test_stall_rank: this rank stops making progress, as one stuck in a driver or behind a dead
// link would, so that the watchdog is tested for real. It never returns before the watchdog acts.
void stall_for_test() {
  for (int second = 0; second < 24 * 3600; ++second) std::this_thread::sleep_for(std::chrono::seconds(1));
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunArguments& a) {
  CLI::App* run = app.add_subcommand("run", "Emulate training steps on MPI and write the run log (HDF5)");
  run->add_option("config", a.config, "The run's YAML config (runs/configs/ has presets)")->required();
  run->add_option("--set", a.sets, "Override one option of the config: key=value (repeatable)");
  run->add_option("--output", a.output, "The run log (default: output.path of the config)");
  run->add_flag("--overwrite", a.overwrite, "Replace an existing run log");
  run->add_flag("--check", a.check, "Verify every transfer exactly (emulation.check); wrong data exits 3");
  run->add_flag("--strict-memory", a.strict_memory,
                "Refuse a layout whose memory does not fit the device (emulation.strict_memory)");
  return run;
}

RunConfig plan_run(const RunArguments& a) {
  Settings settings = Settings::from_file(a.config, a.sets);
  if (!a.output.empty()) settings.set("output.path", a.output);
  if (a.overwrite) settings.set("output.overwrite", "true");
  if (a.check) settings.set("emulation.check", "true");
  if (a.strict_memory) settings.set("emulation.strict_memory", "true");
  return resolve(settings);
}

int run_run(RunConfig config, const std::string& command_line, int& argc, char**& argv) {
  return with_mpi(argc, argv, "run", [&]() -> int {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    const bool root = world.rank() == 0;
    check_slurm_tasks(world.size());
    fit_to_world(config, world.size());
    const auto& workload = config.workload;
    check_device_memory(config, root);

    // Every rank of a stage runs its stage's program; rank 0 logs them all.
    const parallelism::GridPosition position = parallelism::position_of(workload.layout, world.rank());
    const std::vector<parallelism::Program> programs = stage_programs(workload, position.pp, root);
    const auto& program = programs[static_cast<std::size_t>(position.pp)];
    const std::uint64_t log_growth = root && config.log ? run_log_growth(config, world.size(), programs) : 0;
    const std::string problem = comm::broadcast_string(
        world, root ? output_problem(config, log_header_bound(world.size(), programs) + log_growth) : "", 0);
    if (!problem.empty())
      throw UsageError(fmt::format("output.path: {} cannot be written: {}", config.output, problem));
    const topology::NodeIdentity identity = topology::identify_node(world);
    // The executor's payload buffers, and as much again as the largest transfer for the MPI library's
    // own scratch (a reduce-scatter or allreduce of S bytes allocates up to S in Open MPI).
    const parallelism::LargestTransfers transfers = program.largest_transfers();
    const std::uint64_t buffers = transfers.buffer_bytes(config.in_flight), largest = transfers.any();
    check_node_memory(world, identity, buffers + largest,
                      fmt::format("payload buffers ({}: emulation.in_flight {} x the largest started transfer and one "
                                  "of the largest blocking one) + MPI's scratch for the largest transfer ({})",
                                  format_bytes(buffers), config.in_flight, format_bytes(largest)),
                      "use smaller buckets, fewer in flight or fewer ranks per node");
    const topology::ClusterMap cluster = topology::gather_cluster_map(world);

    const parallelism::ProcessGroups process_groups(world, workload.layout);
    parallelism::ProgressMarker marker;
    parallelism::MpiExecutor executor(program, process_groups.view(),
                                      {config.compute,
                                       workload.gradient_type,
                                       config.in_flight,
                                       config.check,
                                       config.seed,
                                       config.trace,
                                       {},
                                       &marker});

    std::unique_ptr<RunLogWriter> log;
    if (root) {
      const auto placement = placement_of(workload.layout, cluster);
      RunHeader header{version(),
                       SCALEOUT_GIT_REVISION,
                       command_line,
                       config.settings.effective_yaml(),
                       environment_facts(world.size(), cluster),
                       workload_figures(workload, programs, placement)};
      if (config.log) {
        log = std::make_unique<RunLogWriter>(config.output, header, cluster, workload.layout, programs, log_growth);
      }
      fmt::print("scaleout run: {} on {} ({} parameters), {} rank{} on {} node{} ({}), {} warm-up + {} {}, log {}\n",
                 workload.model.name, workload.device.name,
                 format_count(static_cast<double>(workload.model.parameters())), world.size(),
                 world.size() == 1 ? "" : "s", cluster.nodes.size(), cluster.nodes.size() == 1 ? "" : "s",
                 workload.inference ? "serving, replicas of " + parallelism::describe_replica(workload.layout)
                                    : parallelism::describe(workload.layout),
                 config.warmup, config.steps,
                 workload.inference ? fmt::format("request batches of {} passes", config.passes_per_step()) : "steps",
                 config.log ? config.output : "none (output.log: false)");
      for (const auto& warning : placement) fmt::print("warning: {}\n", warning.message);
      if (workload.inference) {
        fmt::print("KV cache: {}\n",
                   parallelism::serving_memory_verdict(parallelism::serving_memory(workload), workload));
      }
      std::fflush(stdout);
    }

    // The watchdog's thread may close the log (rank 0) while this one is blocked in MPI; the log's
    // writes take this lock.
    std::timed_mutex log_lock;
    std::vector<StepRow> rows;  // rank 0: every step's rows so far; written under log_lock
    // Ends the job from the watchdog's thread: rank 0 closes the log with what it holds; the others
    // first give rank 0, most likely blocked as well, the time to do so.
    const auto end_job = [&](RunStatus status, const std::string& message, int exit_status) {
      if (root) {
        std::unique_lock lock(log_lock, std::defer_lock);
        if (lock.try_lock_for(std::chrono::seconds(2))) {
          double wrong = 0;
          const auto figures = summarize(rows, workload, false, wrong);
          if (log && !figures.empty()) log->write_summary(figures);
          if (log) log->close(status, message);
        }
      } else {
        std::this_thread::sleep_for(std::chrono::seconds(3));
      }
      std::fprintf(stderr, "scaleout run: %s; ending the job\n", message.c_str());
      std::fflush(stderr);
      comm::Environment::abort(exit_status);
    };
    WatchdogPolicy policy;
    policy.hang_seconds =
        config.watchdog_s > 0 ? config.watchdog_s : default_watchdog_seconds(program.compute_seconds());
    policy.on_hang = [&](double idle) {
      end_job(RunStatus::failed,
              fmt::format("watchdog: rank {} on {} made no progress for {:.1f} s (emulation.watchdog_s {:g}), in step "
                          "{}, {}",
                          world.rank(), identity.hostname, idle, policy.hang_seconds, marker.step.load(),
                          describe_hang(program, workload.layout, world.rank(), marker.op.load())),
              exit_hang);
    };
    policy.stop_grace_seconds = config.stop_grace_s;
    policy.on_stop_overdue = [&](int signal) {
      end_job(RunStatus::interrupted,
              fmt::format("stopped by {} during step {}, which had not ended {:g} s later (emulation.stop_grace_s); "
                          "the log holds the steps before it",
                          signal_name(signal), marker.step.load(), policy.stop_grace_seconds),
              exit_interrupted);
    };
    const Watchdog watchdog(marker, policy);

    install_stop_handlers();
    RunStatus status = RunStatus::complete;
    std::string status_message;
    const int total = config.total_passes();
    Progress progress(total, workload.inference ? "pass" : "step");
    try {
      for (int step = 0; step < total; ++step) {
        const Pass pass = pass_of(config, step);
        const bool warmup = pass.warmup;
        if (pass.kind == PassKind::prefill && step > 0) executor.load(program);
        if (pass.kind == PassKind::decode) {
          executor.load(parallelism::decode_program(workload, position.pp,
                                                    parallelism::decode_context(*workload.inference, pass.token)));
        }
        marker.mark(step, -1);
        world.barrier();
        if (world.rank() == config.stall_rank && step == config.stall_step) stall_for_test();
        const parallelism::StepRecord record = executor.run_step(step);
        // Bookkeeping after the timed region: records to rank 0, one flush per step.
        StepRow row = make_step_row(step, world.rank(), warmup, record);
        row.pass = static_cast<std::int8_t>(pass.kind);
        row.token = pass.token;
        const auto gathered = comm::gather_values(world, row, 0);
        // Op rows: as many as the rank's stage program has ops, so the blocks differ in size.
        std::vector<std::string> ops;
        if (config.trace) {
          const auto mine = op_rows(step, world.rank(), record);
          ops = comm::gather_strings(
              world, std::string(reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(OpRow)), 0);
        }
        marker.mark(step, -1);
        if (root) {
          const std::lock_guard lock(log_lock);
          if (log) log->append_steps(gathered);
          if (log && !ops.empty()) {
            std::vector<OpRow> all;
            for (const auto& block : ops) {
              const std::size_t first = all.size();
              all.resize(first + block.size() / sizeof(OpRow));
              std::memcpy(all.data() + first, block.data(), block.size());
            }
            log->append_ops(all);
          }
          if (log) log->flush();
          rows.insert(rows.end(), gathered.begin(), gathered.end());
          double slowest = 0;
          for (const auto& row : gathered) slowest = std::max(slowest, row.step_s);
          progress.step_done(step, warmup, slowest);
        }
        if (comm::any_rank(world, stop_signal() != 0)) {
          status = RunStatus::interrupted;
          status_message = fmt::format("stopped by a signal ({}) after {} {} of {}", signal_name(stop_signal()),
                                       workload.inference ? "pass" : "step", step + 1, total);
          break;
        }
      }
    } catch (const std::exception& error) {
      const std::lock_guard lock(log_lock);
      if (log) log->close(RunStatus::failed, error.what());
      throw;
    }

    int exit_status = exit_ok;
    marker.mark(total, -1);
    if (root) {
      const std::lock_guard lock(log_lock);
      double wrong = 0;
      const auto figures = summarize(rows, workload, true, wrong);
      if (log && !figures.empty()) log->write_summary(figures);
      if (wrong > 0) {
        status = RunStatus::failed;
        status_message = fmt::format("--check: {:.0f} wrong elements", wrong);
      }
      if (log) {
        log->close(status, status_message);
        fmt::print("run log: {} ({})\n", config.output, to_string(status));
      } else {
        fmt::print("run: {} (no log)\n", to_string(status));
      }
      std::fflush(stdout);
      if (wrong > 0) exit_status = exit_wrong_data;
      if (status == RunStatus::interrupted) {
        print_error("run", status_message);
        exit_status = exit_interrupted;
      }
    }
    log.reset();
    // Every rank leaves with rank 0's verdict.
    return std::stoi(comm::broadcast_string(world, std::to_string(exit_status), 0));
  });
}

}  // namespace scaleout::runs
