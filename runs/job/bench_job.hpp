#pragma once
// `scaleout bench`'s job: the collective benchmark, validated before MPI starts, then run on the
// world and printed as it goes (runs/report/bench_report.hpp). Calibrate runs the same plan.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "comm/background_record.hpp"
#include "comm/bench_record.hpp"
#include "comm/collective.hpp"
#include "comm/collective_run.hpp"
#include "comm/communicator.hpp"
#include "topology/cluster_discovery.hpp"

namespace scaleout::runs {

// What is asked: collectives by name ("all" for every one), sizes as text (runs/sizes.hpp), the rest.
struct BenchRequest {
  std::vector<std::string> collectives;  // empty: allreduce
  std::string sizes = "4K:64M:2";
  int iterations = 20;
  int warmup = 5;
  bool check = false;
  std::string dtype = "fp32";
  bool nonblocking = false;
  std::string algorithm = "auto";
  std::string output;
  bool overwrite = false;  // --output may replace an existing file
  std::uint64_t seed = 1;
  std::string expect_rate;  // "" for none; "nic": the rate the nodes' NICs report
  std::string background;   // "" for none, or a pattern (comm::background_pattern)
  std::string background_size = "1M";
  int background_ranks_per_node = 1;
};

// What the request asks for, validated: no MPI is needed to make one.
struct BenchPlan {
  std::vector<const comm::Collective*> collectives;
  std::vector<std::uint64_t> sizes;
  comm::BenchOptions options;
  std::string output;
  bool overwrite = false;
  std::optional<double> link_bytes_s;  // each way, from --expect-rate
  bool link_from_nics = false;         // --expect-rate nic: read from the nodes' NICs at the start
  // --background: every size measured again while the last ranks of every node make this traffic.
  std::optional<comm::BackgroundTraffic> background;
};

// "allreduce, reduce_scatter, ..., all": what a request may name.
std::string collective_names();

// Throws UsageError naming the argument at fault.
BenchPlan plan_bench(const BenchRequest& request);
int run_bench(const BenchPlan& plan, int& argc, char**& argv);

// Every size fits MPI's int counts on the world's ranks, and its buffers fit every node's memory:
// UsageError on every rank alike otherwise. Collective over the world `own` is prepared on.
void check_bench_plan_fits(const BenchPlan& plan, const comm::AlgorithmComm& own,
                           const topology::NodeIdentity& identity);

}  // namespace scaleout::runs
