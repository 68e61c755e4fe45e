#include "runs/cli/bench_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "comm/communicator.hpp"
#include "comm/gather.hpp"
#include "comm/transport.hpp"
#include "runs/report/bench_report.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/job/node_memory.hpp"
#include "runs/output_file.hpp"
#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

namespace {

std::string collective_names() {
  std::vector<std::string> names;
  for (const comm::Collective* c : comm::all_collectives()) names.emplace_back(c->name());
  names.emplace_back("all");
  return fmt::format("{}", fmt::join(names, ", "));
}

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

// The payload buffers of the largest size must fit in what every node has available.
void check_memory_fits(const BenchPlan& plan, const comm::Communicator& world, const topology::NodeIdentity& identity) {
  std::uint64_t per_rank = 0;
  std::string largest;
  for (const comm::Collective* collective : plan.collectives) {
    for (const std::uint64_t size : plan.sizes) {
      const comm::Shape shape = collective->shape(size, plan.options.type, world.size());
      const std::uint64_t bytes = (shape.send_count + shape.recv_count) * comm::size_of(plan.options.type);
      if (bytes > per_rank) {
        per_rank = bytes;
        largest = fmt::format("{} of {}", collective->name(), format_bytes(size));
      }
    }
  }
  check_node_memory(world, identity, per_rank, "--sizes: " + largest, "use smaller sizes or fewer ranks per node");
}

}  // namespace

void check_bench_plan_fits(const BenchPlan& plan, const comm::Communicator& world,
                           const topology::NodeIdentity& identity) {
  check_sizes_fit(plan, world.size());
  check_memory_fits(plan, world, identity);
}

CLI::App* add_bench_command(CLI::App& app, BenchArguments& a) {
  CLI::App* bench = app.add_subcommand("bench", "Measure collectives: time percentiles, algbw and busbw");
  bench->add_option("collectives", a.collectives, "Collectives to run (default allreduce): " + collective_names());
  bench
      ->add_option("--sizes", a.sizes,
                   "Sizes in bytes: a range MIN:MAX[:FACTOR] (4K:64M:2) or a list (64K,1M,16M); units K M G T")
      ->capture_default_str();
  bench->add_option("--iters", a.iterations, "Measured iterations per size")->capture_default_str();
  bench->add_option("--warmup", a.warmup, "Warm-up iterations per size, run and not measured")->capture_default_str();
  bench->add_flag("--check", a.check, "Verify every element of every result; wrong elements fail the run");
  bench->add_option("--dtype", a.dtype, "Element type: fp32 or bf16")->capture_default_str();
  bench->add_flag("--nonblocking", a.nonblocking, "Use the non-blocking collective and time issue plus wait");
  bench->add_option("--output", a.output, "Also write the results to FILE.json or FILE.csv");
  bench->add_option("--seed", a.seed, "Seed of the synthetic payloads")->capture_default_str();
  return bench;
}

BenchPlan plan_bench(const BenchArguments& a) {
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
  if (a.iterations < 1)
    throw UsageError(fmt::format("--iters: {} is not allowed; it must be at least 1", a.iterations));
  if (a.warmup < 0) throw UsageError(fmt::format("--warmup: {} is not allowed; it must be 0 or more", a.warmup));
  const auto type = comm::parse_element_type(a.dtype);
  if (!type) throw UsageError(fmt::format("--dtype: '{}' is unknown; allowed: fp32, bf16", a.dtype));
  if (!a.output.empty() && output_format(a.output).empty()) {
    throw UsageError(fmt::format("--output: '{}' must end in .json or .csv", a.output));
  }
  plan.options = {a.iterations, a.warmup, a.check, a.nonblocking, *type, a.seed};
  plan.output = a.output;
  return plan;
}

int run_bench(const BenchPlan& plan, int& argc, char**& argv) {
  return with_mpi(argc, argv, "bench", [&]() -> int {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    const bool root = world.rank() == 0;
    const topology::NodeIdentity identity = topology::identify_node(world);
    check_bench_plan_fits(plan, world, identity);
    if (!plan.output.empty()) {
      const std::string why = comm::broadcast_string(world, root ? unwritable_reason(plan.output) : "", 0);
      if (!why.empty()) throw UsageError(fmt::format("--output: {} cannot be written: {}", plan.output, why));
    }

    const BenchContext context{world.size(), identity.nodes, comm::mpi_library(), plan.options};
    const ConsoleTable table(stdout);
    if (root) table.header(context);

    std::vector<comm::BenchRecord> records;
    std::uint64_t wrong = 0;
    for (const comm::Collective* collective : plan.collectives) {
      for (const std::uint64_t size : plan.sizes) {
        records.push_back(comm::measure(*collective, world, size, plan.options));
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
