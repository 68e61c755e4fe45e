#include "runs/job/bench_job.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "comm/bench.hpp"
#include "comm/communicator.hpp"
#include "comm/gather.hpp"
#include "comm/transport.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/job/node_memory.hpp"
#include "runs/output_file.hpp"
#include "runs/report/bench_report.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

std::string collective_names() {
  std::vector<std::string> names;
  for (const comm::Collective* c : comm::all_collectives()) names.emplace_back(c->name());
  names.emplace_back("all");
  return fmt::format("{}", fmt::join(names, ", "));
}

namespace {

// Every size must fit MPI's int counts on this many ranks; all ranks decide alike.
void check_sizes_fit(const BenchPlan& plan, int ranks) {
  for (const comm::Collective* collective : plan.collectives) {
    const std::size_t largest = comm::largest_bytes(*collective, plan.options.type, ranks);
    for (const std::uint64_t size : plan.sizes) {
      if (size > largest) {
        throw UsageError(
            fmt::format("--sizes: {} is too large for {} on {} rank{} with {}: MPI counts are "
                        "ints, so at most {} bytes",
                        format_bytes(size), collective->name(), ranks, ranks == 1 ? "" : "s",
                        comm::name(plan.options.type), largest));
      }
    }
  }
}

// The payload buffers of the largest size (and an own algorithm's working buffer and chunks) must fit
// in what every node has available.
void check_memory_fits(const BenchPlan& plan, const comm::AlgorithmComm& own, const topology::NodeIdentity& identity) {
  const comm::Communicator& world = own.comm();
  std::uint64_t per_rank = 0;
  std::string largest;
  for (const comm::Collective* collective : plan.collectives) {
    for (const std::uint64_t size : plan.sizes) {
      const comm::Shape shape = collective->shape(size, plan.options.type, world.size());
      const comm::Algorithm algorithm =
          comm::choose_algorithm(plan.options.algorithm, collective->kind(), own.span(), shape.bytes);
      const std::uint64_t bytes = (shape.send_count + shape.recv_count) * comm::size_of(plan.options.type) +
                                  comm::own_algorithm_bytes(collective->kind(), algorithm, shape.bytes, own.chunking());
      if (bytes > per_rank) {
        per_rank = bytes;
        largest = fmt::format("{} of {}", collective->name(), format_bytes(size));
      }
    }
  }
  check_node_memory(world, identity, per_rank, "--sizes: " + largest, "use smaller sizes or fewer ranks per node");
}

}  // namespace

void check_bench_plan_fits(const BenchPlan& plan, const comm::AlgorithmComm& own,
                           const topology::NodeIdentity& identity) {
  check_sizes_fit(plan, own.size());
  check_memory_fits(plan, own, identity);
}

BenchPlan plan_bench(const BenchRequest& a) {
  BenchPlan plan;
  const std::vector<std::string> names = a.collectives.empty() ? std::vector<std::string>{"allreduce"} : a.collectives;
  for (const std::string& name : names) {
    if (name == "all") {
      for (const comm::Collective* c : comm::all_collectives()) plan.collectives.push_back(c);
    } else if (const comm::Collective* c = comm::find_collective(name)) {
      plan.collectives.push_back(c);
    } else {
      throw UsageError(fmt::format("collective '{}' is unknown; allowed: {}", name, collective_names()));
    }
  }
  plan.sizes = parse_sizes(a.sizes, "--sizes");
  // Every measured iteration keeps its time: a million of them is 8 MB per size.
  constexpr int most_iterations = 1'000'000;
  if (a.iterations < 1 || a.iterations > most_iterations) {
    throw UsageError(
        fmt::format("--iters: {} is not allowed; it must be at least 1 and at most {}", a.iterations, most_iterations));
  }
  if (a.warmup < 0 || a.warmup > most_iterations) {
    throw UsageError(
        fmt::format("--warmup: {} is not allowed; it must be 0 or more and at most {}", a.warmup, most_iterations));
  }
  const auto type = comm::parse_element_type(a.dtype);
  if (!type) throw UsageError(fmt::format("--dtype: '{}' is unknown; allowed: fp32, bf16", a.dtype));
  if (!a.output.empty() && output_format(a.output).empty()) {
    throw UsageError(fmt::format("--output: '{}' must end in .json or .csv", a.output));
  }
  const auto algorithm = comm::parse_algorithm_choice(a.algorithm);
  if (!algorithm) {
    throw UsageError(fmt::format("--algorithm: '{}' is unknown; allowed: {}", a.algorithm,
                                 fmt::join(comm::algorithm_choice_names(), ", ")));
  }
  plan.options = {a.iterations, a.warmup, a.check, a.nonblocking, *type, a.seed};
  plan.options.algorithm = *algorithm;
  plan.output = a.output;
  plan.overwrite = a.overwrite;
  if (!a.expect_rate.empty()) plan.link_bytes_s = parse_rate_bytes(a.expect_rate, "--expect-rate");
  return plan;
}

int run_bench(const BenchPlan& plan, int& argc, char**& argv) {
  return with_mpi(argc, argv, "bench", [&]() -> int {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    const bool root = world.rank() == 0;
    const topology::NodeIdentity identity = topology::identify_node(world);
    comm::AlgorithmComm own(world, comm::allgather_values(world, identity.node));
    check_bench_plan_fits(plan, own, identity);
    if (!plan.output.empty()) {
      const std::string why =
          comm::broadcast_string(world, root ? output_problem(plan.output, {.overwrite = plan.overwrite}) : "", 0);
      if (!why.empty()) throw UsageError(fmt::format("--output: {} cannot be written: {}", plan.output, why));
    }

    const BenchContext context{world.size(), identity.nodes, comm::mpi_library(), plan.options, plan.link_bytes_s};
    ConsoleTable table(stdout);
    if (root) table.header(context);

    std::vector<comm::BenchRecord> records;
    std::uint64_t wrong = 0;
    for (const comm::Collective* collective : plan.collectives) {
      for (const std::uint64_t size : plan.sizes) {
        records.push_back(comm::measure(*collective, world, own, size, plan.options));
        if (root) table.row(records.back());
        wrong += records.back().wrong.value_or(0);
      }
    }
    if (root && !plan.output.empty()) write_bench_output(plan.output, context, records);
    if (wrong > 0) {
      print_error("bench", fmt::format("--check: {} wrong elements; the results above are not to be trusted", wrong));
      return exit_wrong_data;
    }
    return exit_ok;
  });
}

}  // namespace scaleout::runs
