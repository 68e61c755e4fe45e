// `scaleout topo`: what hwloc sees on every node, and where every rank runs (docs/topology.md).

#include <fmt/format.h>

#include <optional>

#include "comm/communicator.hpp"
#include "runs/cli/command.hpp"
#include "runs/config/run_config.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/report/placement_report.hpp"
#include "runs/usage_error.hpp"
#include "topology/cluster_discovery.hpp"
#include "topology/topology.hpp"

namespace scaleout::runs {

namespace {

struct TopoArguments {
  std::string xml;
  Format format = Format::text;
  std::string config;  // with a config: the placement of its layout on this job's nodes
  std::vector<std::string> sets;
};

// A captured machine: one node, no ranks, no MPI.
int show_xml(const TopoArguments& a) {
  topology::ClusterMap map;
  try {
    map.nodes.push_back(topology::summarize(topology::Topology::from_xml_file(a.xml)));
  } catch (const topology::TopologyError& error) {
    throw UsageError(fmt::format("--xml: {}", error.what()));
  }
  fmt::print("{}", format_topology(map, a.format));
  return exit_ok;
}

int show(const TopoArguments& a, Invocation& in) {
  std::optional<RunConfig> config;
  if (!a.config.empty()) {
    if (!a.xml.empty()) {
      throw UsageError(
          "--config: shows a layout on the nodes of a running job; for a captured node use scaleout plan "
          "CONFIG --xml FILE");
    }
    config = resolve(Settings::from_file(a.config, a.sets));
  } else if (!a.sets.empty()) {
    throw UsageError("--set: needs --config");
  }
  if (!a.xml.empty()) return show_xml(a);
  return with_mpi(in.argc, in.argv, "topo", [&] {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    if (config) fit_to_world(*config, world.size());
    const topology::ClusterMap map = topology::gather_cluster_map(world);
    if (world.rank() == 0)
      fmt::print("{}", format_topology(map, a.format, config ? &config->workload.layout : nullptr));
    return exit_ok;
  });
}

Body declare(CLI::App& topo) {
  auto a = std::make_shared<TopoArguments>();
  topo.add_option("--xml", a->xml, "Read a captured machine (hwloc XML) instead of discovering; needs no MPI");
  add_format_option(topo, a->format, {Format::text, Format::json});
  add_json_flag(topo, a->format);
  topo.add_option("--config", a->config, "A run's config: show where its grid (dp, tp, pp, cp, ep) lands on the nodes");
  topo.add_option("--set", a->sets, "Override one option of the config: key=value (repeatable)");
  return [a](Invocation& in) { return show(*a, in); };
}

}  // namespace

Command topo_command() { return {"topo", "Show each node's hardware (hwloc) and where every rank runs", declare}; }

}  // namespace scaleout::runs
