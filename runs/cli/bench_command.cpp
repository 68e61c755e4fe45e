// `scaleout bench`: the collective benchmark (docs/benchmark.md).

#include "runs/cli/command.hpp"
#include "runs/job/bench_job.hpp"

namespace scaleout::runs {

namespace {

Body declare(CLI::App& bench) {
  auto a = std::make_shared<BenchRequest>();
  bench.add_option("collectives", a->collectives, "Collectives to run (default allreduce): " + collective_names());
  bench
      .add_option("--sizes", a->sizes,
                  "Sizes in bytes: a range MIN:MAX[:FACTOR] (4K:64M:2) or a list (64K,1M,16M); units K M G T")
      ->capture_default_str();
  bench.add_option("--iters", a->iterations, "Measured iterations per size")->capture_default_str();
  bench.add_option("--warmup", a->warmup, "Warm-up iterations per size, run and not measured")->capture_default_str();
  bench.add_flag("--check", a->check, "Verify every element of every result; wrong elements fail the run");
  bench.add_option("--dtype", a->dtype, "Element type: fp32 or bf16")->capture_default_str();
  bench.add_flag("--nonblocking", a->nonblocking, "Use the non-blocking collective and time issue plus wait");
  bench
      .add_option("--algorithm", a->algorithm,
                  "Algorithm: auto (as NCCL chooses), ring, tree (allreduce), library (the MPI's own collectives)")
      ->capture_default_str();
  bench.add_option("--expect-rate", a->expect_rate,
                   "The rate each node's network link gives each way (100gbit, 25gbit; nic: the rate the slowest "
                   "node's fastest NIC reports): across nodes, the share of it that net reached and the busbw that "
                   "would fill it");
  bench.add_option("--background", a->background,
                   "Measure every size again while the last ranks of every node make this traffic: incast, alltoall, "
                   "bisection or allreduce (docs/benchmark.md)");
  bench.add_option("--background-size", a->background_size, "Bytes each background rank moves per unit")
      ->capture_default_str();
  bench
      .add_option("--background-ranks-per-node", a->background_ranks_per_node,
                  "The ranks at the end of every node that make the background")
      ->capture_default_str();
  bench.add_option("--output", a->output, "Also write the results to FILE.json or FILE.csv");
  bench.add_flag("--overwrite", a->overwrite, "Replace the --output file if it exists");
  bench.add_option("--seed", a->seed, "Seed of the synthetic payloads")->capture_default_str()->check(whole_64_bits);
  return [a](Invocation& in) { return run_bench(plan_bench(*a), in.argc, in.argv); };
}

}  // namespace

Command bench_command() { return {"bench", "Measure collectives: time percentiles, algbw and busbw", declare}; }

}  // namespace scaleout::runs
