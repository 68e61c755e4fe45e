// `scaleout fabric`: every pair of nodes measured, the slow node, link or rail named (docs/fabric.md).

#include "runs/cli/command.hpp"
#include "runs/job/fabric_job.hpp"

namespace scaleout::runs {

namespace {

Body declare(CLI::App& fabric) {
  auto a = std::make_shared<FabricRequest>();
  fabric
      .add_option("--sizes", a->sizes,
                  "Bytes each way per exchange: a list (64K,16M) or a range; the largest decides the verdicts")
      ->capture_default_str();
  fabric.add_option("--iters", a->iterations, "Measured exchanges per pair and size")->capture_default_str();
  fabric.add_option("--warmup", a->warmup, "Exchanges per pair and size run first, not measured")
      ->capture_default_str();
  fabric
      .add_option("--message-size", a->message_size,
                  "Each way's payload goes as messages of at most this size, all posted at once; keep it under the "
                  "MPI library's eager limit (docs/fabric.md)")
      ->capture_default_str();
  fabric.add_option("--expect-rate", a->expect_rate,
                    "The rate each link should give each way (100gbit, 25gbit, 200mbit; nic: the link rate the "
                    "slowest node's fastest NIC reports): below --threshold of it is named too");
  fabric.add_option("--threshold", a->threshold, "Name what reaches less than this share of the median")
      ->capture_default_str();
  fabric.add_flag("--per-rail", a->per_rail,
                  "Measure every local rank against the same local rank of the other nodes (one rank per NIC rail)");
  fabric.add_flag("--every-rank", a->every_rank, "Measure every pair of ranks, pairs inside a node included");
  fabric.add_option("--background", a->background,
                    "Measure the rounds again while the ranks that take no part make this traffic: incast, alltoall, "
                    "bisection or allreduce (docs/fabric.md)");
  fabric.add_option("--background-size", a->background_size, "Bytes each background rank moves per unit")
      ->capture_default_str();
  fabric.add_option("--topology-conf", a->topology_conf,
                    "Slurm's topology.conf naming the leaf switch of each node, to judge the switches and order the "
                    "heatmap by them (default: the one beside $SLURM_CONF, else /etc/slurm/topology.conf, if any; "
                    "none: no switches)");
  fabric.add_option("--output", a->output, "Write the matrices, raw samples and verdicts to FILE.h5");
  fabric.add_flag("--overwrite", a->overwrite, "Replace the --output file if it exists");
  fabric.add_option("--plots", a->plots, "Draw the bandwidth heatmap into this folder (PNG and SVG)");
  add_format_option(fabric, a->format, {Format::text, Format::json});
  return [a](Invocation& in) { return run_fabric(plan_fabric(*a), in.argc, in.argv, in.command_line); };
}

}  // namespace

Command fabric_command() {
  return {"fabric", "Measure every pair of nodes; name the slow node, link or rail (exit 1)", declare};
}

}  // namespace scaleout::runs
