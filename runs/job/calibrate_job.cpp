#include "runs/job/calibrate_job.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "analysis/calibration.hpp"
#include "comm/bench.hpp"
#include "comm/environment.hpp"
#include "comm/gather.hpp"
#include "comm/stats.hpp"
#include "comm/transport.hpp"
#include "parallelism/compute_emulation.hpp"
#include "runs/job/bench_job.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/output_file.hpp"
#include "runs/report/calibration_report.hpp"
#include "runs/usage_error.hpp"
#include "runs/version.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

namespace {

using analysis::Collective;
using analysis::Tier;

// The benchmark's collective for each one the cost model fits.
const comm::Collective& benchmark_of(Collective collective) {
  const comm::Collective* found = comm::find_collective(analysis::to_string(collective));
  if (found == nullptr) throw std::logic_error("the collective benchmark lacks a collective the cost model fits");
  return *found;
}

// Spans the compute emulation is measured at, and how often each.
constexpr std::pair<double, int> compute_spans[] = {{50e-6, 40}, {200e-6, 20}, {1e-3, 10}, {5e-3, 6}, {20e-3, 3}};

// One collective at every size on `group` (each rank's group runs at once with the others'), then its
// fit; the groups of a tier are alike, so rank 0's stands for them.
void calibrate_fit(const analysis::FitKey& key, const comm::Communicator& group, comm::AlgorithmComm& own,
                   const std::vector<std::uint64_t>& sizes, const comm::BenchOptions& options, bool root,
                   analysis::Calibration& calibration) {
  std::vector<std::pair<double, double>> measured;
  for (const std::uint64_t size : sizes) {
    const auto record = comm::measure(benchmark_of(key.collective), group, own, size, options);
    measured.emplace_back(static_cast<double>(record.bytes), comm::percentiles(record.seconds).p50);
  }
  if (!root) return;
  const auto fit = analysis::fit_collective(key.collective, group.size(), measured);
  fmt::print("{}", fit_text(key, fit, measured.size()));
  std::fflush(stdout);
  calibration.fits[key] = fit;
}

// Every collective, blocking and polled, on the tier's groups.
void calibrate_tier(Tier tier, const comm::Communicator& group, int node, const BenchPlan& plan, bool root,
                    analysis::Calibration& calibration) {
  comm::AlgorithmComm own(group, comm::allgather_values(group, node));
  for (int p = 0; p < analysis::progress_count; ++p) {
    const auto progress = static_cast<analysis::Progress>(p);
    comm::BenchOptions options = plan.options;
    if (progress == analysis::Progress::polled) {
      options.nonblocking = true;
      options.poll_interval = parallelism::EmulationTiming{}.poll_interval;
    }
    for (int c = 0; c < analysis::collective_count; ++c) {
      calibrate_fit({tier, static_cast<Collective>(c), progress}, group, own, plan.sizes, options, root, calibration);
    }
  }
}

// Every rank emulates spans at once, as in a run; rank 0's medians are fitted.
analysis::ComputeOverhead calibrate_compute(const comm::Communicator& world, parallelism::ComputeMode mode) {
  std::vector<std::pair<double, double>> measured;
  for (const auto& [seconds, repetitions] : compute_spans) {
    std::vector<double> lasted;
    for (int i = 0; i < repetitions; ++i) {
      world.barrier();
      const double begin = comm::now();
      parallelism::emulate_compute(seconds, mode, {});
      lasted.push_back(comm::now() - begin);
    }
    measured.emplace_back(seconds, comm::percentiles(lasted).p50);
  }
  return analysis::fit_compute_overhead(parallelism::to_string(mode), measured);
}

// Every collective the cost model fits, at the request's sizes: checked before MPI starts.
BenchPlan calibration_plan(const CalibrateRequest& a) {
  BenchRequest bench;
  for (int c = 0; c < analysis::collective_count; ++c)
    bench.collectives.emplace_back(analysis::to_string(static_cast<Collective>(c)));
  bench.sizes = a.sizes;
  bench.iterations = a.iterations;
  bench.warmup = a.warmup;
  bench.dtype = a.dtype;
  bench.algorithm = "library";  // the cost model's fits are of the library's collectives
  BenchPlan plan = plan_bench(bench);
  if (plan.sizes.size() < 2)
    throw UsageError(fmt::format("--sizes: '{}' gives one size; a fit needs at least two", a.sizes));
  return plan;
}

// The plan fits every node, the output can be written, and every node has as many ranks: tiers are
// measured with every node alike, and a job with unequal nodes would mix two shapes. Alike on every rank.
void check_job(const comm::Communicator& world, const topology::NodeIdentity& identity, const BenchPlan& plan,
               const CalibrateRequest& a) {
  check_bench_plan_fits(plan, comm::AlgorithmComm(world, comm::allgather_values(world, identity.node)), identity);
  std::string problem;
  if (world.rank() == 0) problem = output_problem(a.output, {.overwrite = a.overwrite});
  problem = comm::broadcast_string(world, problem, 0);
  if (!problem.empty()) throw UsageError(fmt::format("--output: {} cannot be written: {}", a.output, problem));
  const auto local_sizes = comm::allgather_strings(world, std::to_string(identity.local_size));
  if (std::adjacent_find(local_sizes.begin(), local_sizes.end(), std::not_equal_to<>()) != local_sizes.end()) {
    throw UsageError("calibrate needs the same number of ranks on every node; start it with as many per node");
  }
}

// What the calibration was made on: the job's shape, hosts, MPI library and transport.
analysis::Calibration describe_job(const comm::Communicator& world, const topology::NodeIdentity& identity) {
  analysis::Calibration calibration;
  calibration.created = utc_now();
  calibration.tool_version = version();
  calibration.mpi_library = comm::mpi_library();
  calibration.transport = comm::transport_in_effect();
  calibration.nodes = identity.nodes;
  calibration.ranks_per_node = identity.local_size;
  const auto hostnames = comm::gather_strings(world, identity.local_rank == 0 ? identity.hostname : "", 0);
  for (const auto& name : hostnames) {
    if (!name.empty()) calibration.hostnames += (calibration.hostnames.empty() ? "" : ",") + name;
  }
  return calibration;
}

// Both tiers where the job has them: the ranks of each node, and one rank per node.
void calibrate_tiers(const comm::Communicator& world, const topology::NodeIdentity& identity, const BenchPlan& plan,
                     analysis::Calibration& calibration) {
  const bool root = world.rank() == 0;
  if (identity.local_size >= 2) {
    if (root) fmt::print("intra-node: groups of the {} ranks of each node, all nodes at once\n", identity.local_size);
    calibrate_tier(Tier::intra, identity.node_comm, identity.node, plan, root, calibration);
  } else if (root) {
    fmt::print("intra-node: not measured (one rank per node)\n");
  }
  if (identity.nodes >= 2) {
    // One group per local rank, one rank per node: as a DP group next to TP inside the node, every
    // group shares the node's network link with the others.
    const comm::Communicator across = world.split(identity.local_rank, identity.node);
    if (root)
      fmt::print("inter-node: groups of one rank per node on {} nodes, {} at once\n", identity.nodes,
                 identity.local_size);
    calibrate_tier(Tier::inter, across, identity.node, plan, root, calibration);
  } else if (root) {
    fmt::print("inter-node: not measured (one node)\n");
  }
}

}  // namespace

int run_calibrate(const CalibrateRequest& a, int& argc, char**& argv) {
  const BenchPlan plan = calibration_plan(a);
  const auto mode = parallelism::parse_compute_mode(a.compute);
  if (!mode) throw UsageError(fmt::format("--compute: '{}' is unknown; allowed: sleep, spin", a.compute));
  if (!a.output.ends_with(".json")) throw UsageError(fmt::format("--output: '{}' must end in .json", a.output));
  return with_mpi(argc, argv, "calibrate", [&]() -> int {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    const bool root = world.rank() == 0;
    const topology::NodeIdentity identity = topology::identify_node(world);
    check_job(world, identity, plan, a);
    analysis::Calibration calibration = describe_job(world, identity);
    if (root) {
      fmt::print("{}", calibration_header(calibration));
    }
    calibrate_tiers(world, identity, plan, calibration);
    calibration.compute = calibrate_compute(world, *mode);
    if (root) {
      fmt::print("{}", compute_overhead_text(calibration.compute));
      write_file_atomically(a.output, analysis::to_json(calibration));
      fmt::print("wrote {}\n", a.output);
    }
    return exit_ok;
  });
}

}  // namespace scaleout::runs
