// `scaleout plan CONFIG`: what a run of the config would do, computed without MPI (analysis/plan.hpp)
// and printed as text or JSON.

#include <fmt/format.h>

#include <algorithm>

#include "analysis/plan.hpp"
#include "runs/cli/command.hpp"
#include "runs/config/run_config.hpp"
#include "runs/report/plan_report.hpp"
#include "runs/usage_error.hpp"
#include "topology/summary.hpp"
#include "topology/topology.hpp"

namespace scaleout::runs {

namespace {

struct PlanArguments {
  std::string config;
  std::vector<std::string> sets;
  int ranks = 0;
  int ranks_per_node = 0;
  std::string xml;
  Format format = Format::text;
};

// --ranks, or one replica (serving), or dp x tp x pp x cp with dp 1 when the config leaves it to the world.
int ranks_of(const PlanArguments& a, const Settings& settings, const RunConfig& config) {
  if (a.ranks < 0) throw UsageError(fmt::format("--ranks: {} is not allowed; it must be at least 1", a.ranks));
  if (a.ranks > 0) return a.ranks;
  const auto& l = config.workload.layout;
  if (config.workload.inference) return l.tp * l.pp * l.ep;
  return static_cast<int>(std::max<long long>(settings.integer("parallel.dp"), 1)) * l.tp * l.pp * l.cp;
}

// --ranks-per-node, or one rank per GPU (else per core) of the node described by --xml; 0: neither.
int ranks_per_node_of(const PlanArguments& a) {
  if (a.ranks_per_node < 0) throw UsageError("--ranks-per-node: must be at least 1");
  if (a.xml.empty()) return a.ranks_per_node;
  if (a.ranks_per_node > 0) throw UsageError("--xml: give either --xml or --ranks-per-node");
  try {
    const auto node = topology::summarize(topology::Topology::from_xml_file(a.xml));
    return node.gpus.empty() ? node.cores : static_cast<int>(node.gpus.size());
  } catch (const topology::TopologyError& error) {
    throw UsageError(fmt::format("--xml: {}", error.what()));
  }
}

int plan(const PlanArguments& a) {
  const Settings settings = Settings::from_file(a.config, a.sets);
  RunConfig config = resolve(settings);
  const int ranks = ranks_of(a, settings, config);
  const int ranks_per_node = ranks_per_node_of(a);
  fit_to_world(config, ranks);
  const auto& w = config.workload;
  const bool json = a.format == Format::json;
  if (w.inference) {
    const auto plan = analysis::serving_plan_json(w);
    fmt::print("{}", json ? plan.dump(2) + "\n" : serving_plan_text(plan, w));
  } else {
    const auto plan = analysis::plan_json(w, ranks_per_node);
    fmt::print("{}", json ? plan.dump(2) + "\n" : plan_text(plan, w, ranks_per_node));
  }
  return exit_ok;
}

Body declare(CLI::App& app) {
  auto a = std::make_shared<PlanArguments>();
  app.add_option("config", a->config, "The run's YAML config")->required();
  app.add_option("--set", a->sets, "Override one option of the config: key=value (repeatable)");
  app.add_option("--ranks", a->ranks, "Ranks to plan for (default: dp x tp x pp x cp, with dp 1)")->check(at_least_one);
  app.add_option("--ranks-per-node", a->ranks_per_node,
                 "Ranks on each node, placed in blocks as mpirun and srun do: checks that TP and CP groups stay "
                 "inside nodes")
      ->check(at_least_one);
  app.add_option("--xml", a->xml,
                 "A node's hwloc XML: one rank per GPU it has (per core without GPUs), as --ranks-per-node");
  add_format_option(app, a->format, {Format::text, Format::json});
  add_json_flag(app, a->format);
  return [a](Invocation&) { return plan(*a); };
}

}  // namespace

Command plan_command() { return {"plan", "Show what a run of CONFIG would do (no MPI needed)", declare}; }

}  // namespace scaleout::runs
