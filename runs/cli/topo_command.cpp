#include "runs/cli/topo_command.hpp"

#include <fmt/format.h>

#include <optional>
#include "comm/communicator.hpp"

#include "runs/job/mpi_main.hpp"
#include "runs/report/placement_report.hpp"
#include "runs/config/run_config.hpp"
#include "runs/report/topo_report.hpp"
#include "runs/usage_error.hpp"
#include "topology/cluster_discovery.hpp"
#include "topology/topology.hpp"

namespace scaleout::runs {

namespace {
void print(const topology::ClusterMap& map, bool json, const parallelism::Layout* layout) {
  if (json) {
    auto out = cluster_json(map);
    if (layout != nullptr) out["grid"] = placement_json(map, *layout);
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("{}", cluster_text(map));
    if (layout != nullptr) fmt::print("{}", placement_text(map, *layout));
  }
}
}  // namespace

CLI::App* add_topo_command(CLI::App& app, TopoArguments& a) {
  CLI::App* topo = app.add_subcommand("topo", "Show each node's hardware (hwloc) and where every rank runs");
  topo->add_option("--xml", a.xml, "Read a captured machine (hwloc XML) instead of discovering; needs no MPI");
  topo->add_flag("--json", a.json, "Print JSON instead of text");
  topo->add_option("--config", a.config, "A run's config: show where its grid (dp, tp, pp, cp, ep) lands on the nodes");
  topo->add_option("--set", a.sets, "Override one option of the config: key=value (repeatable)");
  return topo;
}

int run_topo(const TopoArguments& a, int& argc, char**& argv) {
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
  if (!a.xml.empty()) {
    topology::ClusterMap map;
    try {
      const topology::Topology captured = topology::Topology::from_xml_file(a.xml);
      map.nodes.push_back(topology::summarize(captured));
    } catch (const topology::TopologyError& error) {
      throw UsageError(fmt::format("--xml: {}", error.what()));
    }
    print(map, a.json, nullptr);
    return exit_ok;
  }
  return with_mpi(argc, argv, "topo", [&] {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    if (config) fit_to_world(*config, world.size());
    const topology::ClusterMap map = topology::gather_cluster_map(world);
    if (world.rank() == 0) print(map, a.json, config ? &config->workload.layout : nullptr);
    return exit_ok;
  });
}

}  // namespace scaleout::runs
