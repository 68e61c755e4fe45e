#include "runs/topo_command.hpp"

#include <fmt/format.h>

#include "comm/communicator.hpp"
#include "runs/mpi_main.hpp"
#include "runs/topo_report.hpp"
#include "runs/usage_error.hpp"
#include "topology/cluster_map.hpp"
#include "topology/topology.hpp"

namespace scaleout::runs {

namespace {
void print(const topology::ClusterMap& map, bool json) {
  if (json) {
    fmt::print("{}\n", cluster_json(map).dump(2));
  } else {
    fmt::print("{}", cluster_text(map));
  }
}
}  // namespace

CLI::App* add_topo_command(CLI::App& app, TopoArguments& a) {
  CLI::App* topo = app.add_subcommand("topo", "Show each node's hardware (hwloc) and where every rank runs");
  topo->add_option("--xml", a.xml, "Read a captured machine (hwloc XML) instead of discovering; needs no MPI");
  topo->add_flag("--json", a.json, "Print JSON instead of text");
  return topo;
}

int run_topo(const TopoArguments& a, int& argc, char**& argv) {
  if (!a.xml.empty()) {
    topology::ClusterMap map;
    try {
      const topology::Topology captured = topology::Topology::from_xml_file(a.xml);
      map.nodes.push_back(topology::summarize(captured));
    } catch (const topology::TopologyError& error) {
      throw UsageError(fmt::format("--xml: {}", error.what()));
    }
    print(map, a.json);
    return exit_ok;
  }
  return with_mpi(argc, argv, "topo", [&] {
    const comm::Communicator world = comm::Communicator::world().duplicate();
    const topology::ClusterMap map = topology::gather_cluster_map(world);
    if (world.rank() == 0) print(map, a.json);
    return exit_ok;
  });
}

}  // namespace scaleout::runs
