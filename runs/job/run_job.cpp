#include "runs/job/run_job.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "analysis/run_result.hpp"
#include "comm/environment.hpp"
#include "comm/gather.hpp"
#include "parallelism/algorithms.hpp"
#include "parallelism/inference.hpp"
#include "parallelism/mpi_executor.hpp"
#include "parallelism/process_groups.hpp"
#include "runs/input_file.hpp"
#include "runs/job/job_background.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/job/node_memory.hpp"
#include "runs/job/run_passes.hpp"
#include "runs/job/run_setup.hpp"
#include "runs/job/signals.hpp"
#include "runs/job/watchdog.hpp"
#include "runs/log/run_log.hpp"
#include "runs/printable.hpp"
#include "runs/report/summary_report.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"
#include "runs/version.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

namespace {

using analysis::PassKind;
using analysis::StepRow;

std::vector<OpRow> op_rows(int step, int rank, const parallelism::StepRecord& record) {
  std::vector<OpRow> rows;
  rows.reserve(record.ops.size());
  for (const auto& op : record.ops) rows.push_back({step, rank, op.op, op.begin, op.end, op.waited});
  return rows;
}

// Every rank's op rows, gathered to rank 0 (as many as each rank's stage program has ops).
std::vector<OpRow> gather_op_rows(const comm::Communicator& world, int step, const parallelism::StepRecord& record) {
  const auto mine = op_rows(step, world.rank(), record);
  const auto blocks = comm::gather_strings(
      world, std::string(reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(OpRow)), 0);
  std::vector<OpRow> all;
  for (const auto& block : blocks) {
    const std::size_t first = all.size();
    all.resize(first + block.size() / sizeof(OpRow));
    std::memcpy(all.data() + first, block.data(), block.size());
  }
  return all;
}

// Rank 0's lines on stdout. Once stdout is closed (its pipe's reader gone: `| head -1`), the run stops
// at the next step boundary as if signalled (SIGPIPE is ignored, runs/job/signals.hpp), and closes its
// log; what is left to say is dropped. Any other failure to write stdout is not the run's to judge.
void say(const std::string& text) {
  const bool written = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
  if (!written && errno == EPIPE) note_stop(SIGPIPE);
  if (!written) std::clearerr(stdout);
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
    say(fmt::format("{} {:>{}}/{}{}  {} time {:9.2f} ms  elapsed {:6.1f} s  ETA {:6.1f} s\n", unit_, done,
                    std::to_string(total_).size(), total_, warmup ? " (warm-up)" : "          ", unit_, slowest * 1e3,
                    elapsed, elapsed / done * (total_ - done)));
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

// The programs of the run's stages, checked against the output and the nodes' memory before any of
// them runs: every rank learns the same verdict, so a refusal is a UsageError on all alike.
struct Prepared {
  parallelism::GridPosition position;
  std::vector<parallelism::Program> programs;  // every stage's on rank 0; this rank's stage's elsewhere
  std::uint64_t log_growth = 0;
  topology::NodeIdentity identity;
  std::vector<int> node_of_rank;  // every world rank's node
};

// `world` holds the training ranks; `job_ranks` is every rank of the job (emulation.background's too).
Prepared prepare(RunConfig& config, const std::string& config_path, const comm::Communicator& world, int job_ranks) {
  const bool root = world.rank() == 0;
  check_slurm_tasks(job_ranks);
  fit_to_world(config, world.size());
  check_device_memory(config, root);
  Prepared p;
  p.position = parallelism::position_of(config.workload.layout, world.rank());
  // Rank 0 builds every stage's program, the others their own: a workload past what scaleout counts
  // fails on rank 0 whenever it fails anywhere, and rank 0's verdict is every rank's.
  std::string problem;
  try {
    p.programs = stage_programs(config.workload, p.position.pp, root);
    if (root) problem = program_problem(config, p.programs);
  } catch (const std::overflow_error& error) {
    problem = fmt::format("the workload is past what scaleout counts: {}", error.what());
  }
  problem = comm::broadcast_string(world, root ? problem : "", 0);
  if (!problem.empty()) throw UsageError(problem);
  p.log_growth = root && config.log ? run_log_growth(config, world.size(), p.programs) : 0;
  const std::string unwritable = comm::broadcast_string(
      world, root ? log_problem(config, config_path, log_header_bound(world.size(), p.programs) + p.log_growth) : "",
      0);
  if (!unwritable.empty()) {
    throw UsageError(fmt::format("output.path: {} cannot be written: {}", config.output, unwritable));
  }
  p.identity = topology::identify_node(world);
  p.node_of_rank = comm::allgather_values(world, p.identity.node);
  // Each op's algorithm on this job's placement: rank 0 chooses for the first rank of every stage,
  // whose programs the log keeps (the stage's other ranks choose alike where the placement is
  // regular), the others for themselves.
  const auto& layout = config.workload.layout;
  for (std::size_t s = 0; s < p.programs.size(); ++s) {
    const int rank = root ? parallelism::rank_at(layout, 0, 0, static_cast<int>(s) % layout.pp, 0) : world.rank();
    parallelism::choose_algorithms(p.programs[s], config.workload.algorithm,
                                   parallelism::group_spans(layout, rank, p.node_of_rank));
  }
  // The executor's payload buffers; the chunks of the own algorithms in flight (one per buffer, a
  // tree's at most); and as much again as the largest transfer the MPI library runs, for its scratch
  // (a reduce-scatter or allreduce of S bytes allocates up to S in Open MPI).
  const auto& program = p.programs[static_cast<std::size_t>(p.position.pp)];
  const parallelism::LargestTransfers transfers = program.largest_transfers();
  const std::uint64_t buffers = transfers.buffer_bytes(config.in_flight);
  const std::uint64_t chunks =
      parallelism::runs_own_algorithms(program)
          ? static_cast<std::uint64_t>(config.in_flight + 1) *
                comm::scratch_bound(comm::CollectiveKind::allreduce, comm::Algorithm::tree, comm::Chunking{})
          : 0;
  const std::uint64_t library = parallelism::largest_library_collective(program);
  check_node_memory(world, p.identity, buffers + chunks + library,
                    fmt::format("payload buffers ({}: emulation.in_flight {} x the largest started transfer and one "
                                "of the largest blocking one) + own algorithms' chunks ({}) + MPI's scratch for the "
                                "largest library collective ({})",
                                format_bytes(buffers), config.in_flight, format_bytes(chunks), format_bytes(library)),
                    "use smaller buckets, fewer in flight or fewer ranks per node");
  return p;
}

// Nodes with more ranks than cores: a hop modelled inside a node still waits for the host to run its
// peer (a header message), so on such a node the modelled hops last longer than the device's
// (docs/run.md, "Inside a node").
std::vector<std::string> shared_cores(const topology::ClusterMap& cluster) {
  std::vector<int> ranks(cluster.nodes.size(), 0);
  for (const auto& rank : cluster.ranks) ++ranks.at(static_cast<std::size_t>(rank.node));
  std::vector<std::string> warnings;
  for (std::size_t n = 0; n < cluster.nodes.size(); ++n) {
    const auto& node = cluster.nodes[n];
    if (node.cores <= 0 || ranks[n] <= node.cores) continue;
    warnings.push_back(fmt::format(
        "{} ranks share {} cores on {}: every hop modelled inside the node waits for the host to run its peer, so "
        "the node's fabric will look slower than the device's (give every rank a core)",
        ranks[n], node.cores, printable(node.hostname)));
  }
  return warnings;
}

// The device's links of this rank under emulation.intra_node: device; none under host. With
// emulation.check their hops move their bytes too, to be verified.
std::unique_ptr<comm::DeviceLinks> device_links(const RunConfig& config) {
  if (config.workload.intra_node != parallelism::IntraNode::device) return nullptr;
  const parallelism::NodeFabric& fabric = config.workload.device.fabric;
  return std::make_unique<comm::DeviceLinks>(
      comm::LinkModel{
          .latency = fabric.latency, .bandwidth = fabric.bandwidth, .pair_bandwidth = fabric.pair_bandwidth},
      config.check);
}

// The job once prepared: the executor, rank 0's log, the watchdog, and the passes in order.
class RunJob {
 public:
  // `background` (which must outlive the job) gives the training ranks: the job's world.
  RunJob(const RunConfig& config, const JobBackground& background, Prepared prepared, const std::string& command_line)
      : config_(config),
        workload_(config.workload),
        background_(background),
        world_(background.foreground()),
        root_(world_.rank() == 0),
        prepared_(std::move(prepared)),
        program_(prepared_.programs[static_cast<std::size_t>(prepared_.position.pp)]),
        facts_{.memory_bound_share = parallelism::memory_bound_share(prepared_.programs, workload_.device)},
        cluster_(topology::gather_cluster_map(world_)),
        links_(device_links(config)),
        groups_(world_, workload_.layout, prepared_.node_of_rank),
        executor_(program_, groups_.view(),
                  {.compute = config.compute,
                   .type = workload_.gradient_type,
                   .in_flight = config.in_flight,
                   .check = config.check,
                   .seed = config.seed,
                   .trace = config.trace,
                   .compute_slowdown = world_.rank() == config.slow_rank ? config.slow_factor : 1.0,
                   .marker = &marker_}) {
    if (links_) groups_.model_intra_node(*links_);
    if (root_) open_log(command_line);
  }

  // Every pass, then the summary and the log's status; the exit status every rank leaves with.
  int run() {
    const Watchdog watchdog(marker_, watchdog_policy());
    install_stop_handlers();
    const int total = config_.total_passes();
    Progress progress(total, workload_.inference ? "pass" : "step");
    try {
      for (int index = 0; index < total; ++index) {
        run_pass(index, progress);
        // The signal any rank received (SIGUSR1 to one rank only was "signal 0" on rank 0).
        if (const int signal = comm::max_over_ranks(world_, stop_signal()); signal != 0) {
          return finish(RunStatus::interrupted,
                        fmt::format("stopped by a signal ({}) after {} {} of {}", signal_name(signal),
                                    workload_.inference ? "pass" : "step", index + 1, total));
        }
      }
    } catch (const std::exception& error) {
      const std::lock_guard lock(log_lock_);
      if (log_) log_->close(RunStatus::failed, error.what());
      throw;
    }
    return finish(RunStatus::complete, "");
  }

 private:
  // Rank 0: the log with its header, and the run's first lines.
  void open_log(const std::string& command_line) {
    const auto placement = placement_of(workload_.layout, cluster_);
    const RunHeader header{version(),
                           SCALEOUT_GIT_REVISION,
                           command_line,
                           config_.settings.effective_yaml(),
                           environment_facts(world_.size(), cluster_),
                           workload_figures(workload_, prepared_.programs, placement)};
    if (config_.log) {
      log_ = std::make_unique<RunLogWriter>(config_.output, header, cluster_, workload_.layout, prepared_.programs,
                                            prepared_.log_growth);
      if (const auto& traffic = background_.traffic()) log_->open_background(traffic->pattern, traffic->unit_bytes);
    }
    say(fmt::format(
        "scaleout run: {} on {} ({} parameters), {} rank{} on {} node{} ({}){}, {} warm-up + {} {}, log {}\n",
        workload_.model.name, workload_.device.name, format_count(static_cast<double>(workload_.model.parameters())),
        world_.size(), world_.size() == 1 ? "" : "s", cluster_.nodes.size(), cluster_.nodes.size() == 1 ? "" : "s",
        workload_.inference ? "serving, replicas of " + parallelism::describe_replica(workload_.layout)
                            : parallelism::describe(workload_.layout),
        background_.active() ? fmt::format(" and {} background ranks ({})", background_.ranks().size(),
                                           comm::to_string(background_.traffic()->pattern))
                             : "",
        config_.warmup, config_.steps,
        workload_.inference ? fmt::format("request batches of {} passes", config_.passes_per_step()) : "steps",
        config_.log ? printable(config_.output) : "none (output.log: false)"));
    for (const auto& warning : placement) say(fmt::format("warning: {}\n", warning.message));
    if (workload_.intra_node == parallelism::IntraNode::device) {
      for (const auto& warning : shared_cores(cluster_)) say(fmt::format("warning: {}\n", warning));
    }
    if (workload_.inference) {
      say(fmt::format("KV cache: {}\n",
                      parallelism::serving_memory_verdict(parallelism::serving_memory(workload_), workload_)));
    }
  }

  // What one pass leaves on rank 0: every rank's row, and with output.trace every op's.
  struct PassRows {
    std::vector<StepRow> steps;
    std::vector<OpRow> ops;
  };

  // One pass: its program loaded, then under emulation.background a measured pass alone, and the pass
  // (under the background, if any) whose rows rank 0 logs, flushes and counts.
  void run_pass(int index, Progress& progress) {
    const Pass pass = pass_of(config_, index);
    if (pass.kind == PassKind::prefill && index > 0) executor_.load(program_);
    if (pass.kind == PassKind::decode) {
      parallelism::Program decode = parallelism::decode_program(
          workload_, prepared_.position.pp, parallelism::decode_context(*workload_.inference, pass.token));
      parallelism::choose_algorithms(decode, workload_.algorithm,
                                     parallelism::group_spans(workload_.layout, world_.rank(), prepared_.node_of_rank));
      executor_.load(std::move(decode));
    }
    if (background_.active() && !pass.warmup) keep_isolated(measure(index, pass).steps);
    background_.start();
    const PassRows rows = measure(index, pass);
    background_.halt();
    if (!root_) return;
    const std::lock_guard lock(log_lock_);
    if (log_) {
      log_->append_steps(rows.steps);
      if (!rows.ops.empty()) log_->append_ops(rows.ops);
      log_->flush();
    }
    rows_.insert(rows_.end(), rows.steps.begin(), rows.steps.end());
    double slowest = 0;
    for (const auto& r : rows.steps) slowest = std::max(slowest, r.step_s);
    progress.step_done(index, pass.warmup, slowest);
  }

  // A barrier, the timed pass, then (outside the timed region) the rows to rank 0.
  PassRows measure(int index, const Pass& pass) {
    marker_.mark(index, -1);
    world_.barrier();
    if (world_.rank() == config_.stall_rank && index == config_.stall_step) stall_for_test();
    const parallelism::StepRecord record = executor_.run_step(index);
    const StepRow row = analysis::make_step_row(
        {.step = index, .rank = world_.rank(), .warmup = pass.warmup, .pass = pass.kind, .token = pass.token}, record);
    PassRows rows{comm::gather_values(world_, row, 0),
                  config_.trace ? gather_op_rows(world_, index, record) : std::vector<OpRow>{}};
    marker_.mark(index, -1);
    return rows;
  }

  // Rank 0: a measured pass run without the background, logged under /background.
  void keep_isolated(const std::vector<StepRow>& rows) {
    if (!root_) return;
    const std::lock_guard lock(log_lock_);
    if (log_) {
      log_->append_isolated_steps(rows);
      log_->flush();
    }
    isolated_rows_.insert(isolated_rows_.end(), rows.begin(), rows.end());
  }

  // Rank 0, emulation.background: the steps under it against the same steps alone, printed and logged.
  void report_congestion(const analysis::RunResult& result, const std::vector<analysis::BackgroundRank>& background) {
    const analysis::RunResult isolated = analysis::summarize(isolated_rows_, workload_, facts_);
    if (!result.training || !isolated.training) return;  // stopped before a measured step
    const comm::BackgroundTraffic& traffic = *background_.traffic();
    const analysis::RunCongestion congestion =
        analysis::run_congestion(traffic.pattern, traffic.unit_bytes, *isolated.training, *result.training, background);
    say(format_congestion(congestion));
    if (log_) log_->write_background(congestion, background);
  }

  // Rank 0 summarises, closes the log and says how the run ended; every rank leaves with its verdict.
  int finish(RunStatus status, std::string message) {
    int exit_status = exit_ok;
    marker_.mark(config_.total_passes(), -1);
    const std::vector<analysis::BackgroundRank> background = background_.end();
    if (root_) {
      const std::lock_guard lock(log_lock_);
      const analysis::RunResult result = analysis::summarize(rows_, workload_, facts_);
      say(format_result(result, workload_));
      if (background_.active()) report_congestion(result, background);
      if (config_.check && workload_.intra_node == parallelism::IntraNode::device) {
        say("  note: emulation.check moved the modelled bytes too, to verify them: the times inside a node are "
            "the host's, not the device's\n");
      }
      if (log_ && result.measured()) log_->write_summary(result.figures());
      if (result.wrong > 0) {
        status = RunStatus::failed;
        message = fmt::format("--check: {} wrong elements", result.wrong);
        exit_status = exit_wrong_data;
      }
      if (log_) {
        log_->close(status, message);
        say(fmt::format("run log: {} ({})\n", printable(config_.output), to_string(status)));
      } else {
        say(fmt::format("run: {} (no log)\n", to_string(status)));
      }
      if (status == RunStatus::interrupted) {
        print_error("run", message);
        exit_status = exit_interrupted;
      }
    }
    log_.reset();
    exit_status = std::stoi(comm::broadcast_string(world_, std::to_string(exit_status), 0));
    background_.share_exit(exit_status);
    return exit_status;
  }

  WatchdogPolicy watchdog_policy() {
    WatchdogPolicy policy;
    policy.hang_seconds =
        config_.watchdog_s > 0 ? config_.watchdog_s : default_watchdog_seconds(program_.compute_seconds());
    policy.stop_grace_seconds = config_.stop_grace_s;
    policy.on_hang = [this, hang = policy.hang_seconds](double idle) {
      end_job(RunStatus::failed,
              fmt::format("watchdog: rank {} on {} made no progress for {:.1f} s (emulation.watchdog_s {:g}), in step "
                          "{}, {}",
                          world_.rank(), prepared_.identity.hostname, idle, hang, marker_.step.load(),
                          describe_hang(program_, workload_.layout, world_.rank(), marker_.op.load())),
              exit_hang);
    };
    policy.on_stop_overdue = [this, grace = policy.stop_grace_seconds](int signal) {
      end_job(RunStatus::interrupted,
              fmt::format("stopped by {} during step {}, which had not ended {:g} s later (emulation.stop_grace_s); "
                          "the log holds the steps before it",
                          signal_name(signal), marker_.step.load(), grace),
              exit_interrupted);
    };
    return policy;
  }

  // Ends the job from the watchdog's thread, while this one may be blocked in MPI: rank 0 closes the
  // log with what it holds; the others first give rank 0, most likely blocked as well, the time to.
  void end_job(RunStatus status, const std::string& message, int exit_status) {
    if (root_) {
      std::unique_lock lock(log_lock_, std::defer_lock);
      if (lock.try_lock_for(std::chrono::seconds(2))) {
        const auto figures = analysis::summarize(rows_, workload_, facts_).figures();
        if (log_ && !figures.empty()) log_->write_summary(figures);
        if (log_) log_->close(status, message);
      }
    } else {
      std::this_thread::sleep_for(std::chrono::seconds(3));
    }
    std::fprintf(stderr, "scaleout run: %s; ending the job\n", message.c_str());
    std::fflush(stderr);
    comm::Environment::abort(exit_status);
  }

  const RunConfig& config_;
  const parallelism::Workload& workload_;
  const JobBackground& background_;
  const comm::Communicator& world_;  // the training ranks
  const bool root_;
  const Prepared prepared_;
  const parallelism::Program& program_;
  // Rank 0 holds every stage's program, which the summary's binding needs.
  const analysis::WorkloadFacts facts_;
  const topology::ClusterMap cluster_;
  const std::unique_ptr<comm::DeviceLinks> links_;  // emulation.intra_node: device
  parallelism::ProcessGroups groups_;
  parallelism::ProgressMarker marker_;
  parallelism::MpiExecutor executor_;
  std::unique_ptr<RunLogWriter> log_;
  // The watchdog's thread may close the log (rank 0) while this one is blocked in MPI; the log's
  // writes take this lock.
  std::timed_mutex log_lock_;
  std::vector<StepRow> rows_;           // rank 0: every pass's rows so far; written under log_lock_
  std::vector<StepRow> isolated_rows_;  // rank 0, emulation.background: the measured passes alone
};

}  // namespace

namespace {

// The config as rank 0 read it, resolved alike on every rank. Rank 0's failure to read is sent as
// well, so that every rank refuses it together.
RunConfig resolve_on_every_rank(const RunRequest& request, const comm::Communicator& world) {
  std::string text, failure;
  if (world.rank() == 0) {
    try {
      text = read_input_file(request.config_path, config_file_bound, "a config file");
    } catch (const UsageError& error) {
      failure = error.what();
    }
  }
  failure = comm::broadcast_string(world, failure, 0);
  if (!failure.empty()) throw UsageError(failure);
  Settings settings = Settings::from_yaml(comm::broadcast_string(world, text, 0), request.config_path);
  for (const auto& assignment : request.overrides) settings.apply_override(assignment);
  return resolve(settings);
}

}  // namespace

int run_job(const RunRequest& request, const std::string& command_line, int& argc, char**& argv) {
  return with_mpi(argc, argv, "run", [&]() -> int {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    RunConfig config = resolve_on_every_rank(request, world);
    const JobBackground background(
        world, config.background,
        {.pattern = "emulation.background", .ranks_per_node = "emulation.background_ranks_per_node", .work = "train"});
    if (background.serves()) return background.serve();
    // The background ranks wait for the training ranks' verdict on the preparation: a refusal is theirs.
    Prepared prepared =
        background.prepare([&] { return prepare(config, request.config_path, background.foreground(), world.size()); });
    RunJob job(config, background, std::move(prepared), command_line);
    return job.run();
  });
}

}  // namespace scaleout::runs
