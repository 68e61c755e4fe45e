#pragma once
// `scaleout bench`: the collective benchmark.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "comm/bench.hpp"
#include "comm/collective.hpp"
#include "comm/communicator.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

struct BenchArguments {
  std::vector<std::string> collectives;
  std::string sizes = "4K:64M:2";
  int iterations = 20;
  int warmup = 5;
  bool check = false;
  std::string dtype = "fp32";
  bool nonblocking = false;
  std::string output;
  std::uint64_t seed = 1;
};

// What the arguments ask for, validated: no MPI is needed to make one.
struct BenchPlan {
  std::vector<const comm::Collective*> collectives;
  std::vector<std::uint64_t> sizes;
  comm::BenchOptions options;
  std::string output;
};

CLI::App* add_bench_command(CLI::App& app, BenchArguments& arguments);
// Throws UsageError naming the argument at fault.
BenchPlan plan_bench(const BenchArguments& arguments);
int run_bench(const BenchPlan& plan, int& argc, char**& argv);

// Every size fits MPI's int counts on the world's ranks, and its buffers fit every node's memory:
// UsageError on every rank alike otherwise. Collective over `world`.
void check_bench_plan_fits(const BenchPlan& plan, const comm::Communicator& world,
                           const topology::NodeIdentity& identity);

}  // namespace scaleout::runs
