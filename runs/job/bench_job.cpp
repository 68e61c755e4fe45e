#include "runs/job/bench_job.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "comm/bench.hpp"
#include "comm/communicator.hpp"
#include "comm/gather.hpp"
#include "comm/transport.hpp"
#include "runs/job/job_background.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/job/nic_rates.hpp"
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
  if (a.expect_rate == "nic") {
    plan.link_from_nics = true;
  } else if (!a.expect_rate.empty()) {
    plan.link_bytes_s = parse_rate_bytes(a.expect_rate, "--expect-rate");
  }
  if (a.background_ranks_per_node < 1) {
    throw UsageError(fmt::format("--background-ranks-per-node: {} is not allowed; it must be at least 1",
                                 a.background_ranks_per_node));
  }
  plan.background = parse_background(a.background, a.background_size, a.background_ranks_per_node);
  return plan;
}

namespace {

// Every size, and under --background every size again while the background loads the fabric; rank 0
// prints each row as it is measured. The background's loads at the end, on rank 0.
BenchResults measure_all(const BenchPlan& plan, comm::AlgorithmComm& own, const JobBackground& background,
                         const ConsoleTable& table) {
  const comm::Communicator& ranks = own.comm();
  const bool root = ranks.rank() == 0;
  BenchResults results;
  if (plan.background) results.congestion.emplace().traffic = *plan.background;
  for (const comm::Collective* collective : plan.collectives) {
    for (const std::uint64_t size : plan.sizes) {
      const comm::BenchRecord& alone =
          results.records.emplace_back(comm::measure(*collective, ranks, own, size, plan.options));
      if (root) table.row(alone);
      if (!results.congestion) continue;
      background.start();
      const comm::BenchRecord& under =
          results.congestion->congested.emplace_back(comm::measure(*collective, ranks, own, size, plan.options));
      background.halt();
      if (root) table.row_under(under, alone);
    }
  }
  if (results.congestion) results.congestion->background = background.end();
  return results;
}

}  // namespace

int run_bench(const BenchPlan& plan, int& argc, char**& argv) {
  return with_mpi(argc, argv, "bench", [&]() -> int {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    const JobBackground background(
        world, plan.background,
        {.pattern = "--background", .ranks_per_node = "--background-ranks-per-node", .work = "measure"});
    if (background.serves()) return background.serve();
    const comm::Communicator& ranks = background.foreground();
    const bool root = ranks.rank() == 0;
    const topology::NodeIdentity identity = topology::identify_node(ranks);
    comm::AlgorithmComm own(ranks, comm::allgather_values(ranks, identity.node));
    std::optional<double> link_bytes_s = plan.link_bytes_s;
    std::string link_source;
    background.prepare([&] {
      if (plan.link_from_nics) {
        const std::vector<analysis::NodeNicRate> rates = gather_nic_rates(ranks, identity);
        if (const analysis::NodeNicRate* slowest = analysis::slowest_nic(rates)) {
          link_bytes_s = slowest->bits_s / 8;
          link_source =
              fmt::format("--expect-rate nic: {}'s {}, the slowest node's fastest NIC", slowest->host, slowest->nic);
        }
      }
      check_bench_plan_fits(plan, own, identity);
      if (!plan.output.empty()) {
        const std::string why =
            comm::broadcast_string(ranks, root ? output_problem(plan.output, {.overwrite = plan.overwrite}) : "", 0);
        if (!why.empty()) throw UsageError(fmt::format("--output: {} cannot be written: {}", plan.output, why));
      }
    });

    const BenchContext context{.ranks = ranks.size(),
                               .nodes = identity.nodes,
                               .mpi_library = comm::mpi_library(),
                               .options = plan.options,
                               .link_bytes_s = link_bytes_s,
                               .link_source = link_source,
                               .background = plan.background ? std::optional<BenchBackground>(BenchBackground{
                                                                   *plan.background, background.ranks().size()})
                                                             : std::nullopt};
    ConsoleTable table(stdout);
    if (root) table.header(context);
    const BenchResults results = measure_all(plan, own, background, table);
    if (root && results.congestion) table.load(analysis::background_load(results.congestion->background));
    if (root && !plan.output.empty()) write_bench_output(plan.output, context, results);
    std::uint64_t wrong = 0;
    for (const auto* records : {&results.records, results.congestion ? &results.congestion->congested : nullptr}) {
      if (records == nullptr) continue;
      for (const comm::BenchRecord& record : *records) wrong += record.wrong.value_or(0);
    }
    const int status = wrong > 0 ? exit_wrong_data : exit_ok;
    background.share_exit(status);
    if (wrong > 0) {
      print_error("bench", fmt::format("--check: {} wrong elements; the results above are not to be trusted", wrong));
    }
    return status;
  });
}

}  // namespace scaleout::runs
