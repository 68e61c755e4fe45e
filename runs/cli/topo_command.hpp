#pragma once
// `scaleout topo`: what hwloc sees on every node, and where every rank runs.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace scaleout::runs {

struct TopoArguments {
  std::string xml;
  bool json = false;
  std::string config;  // with a config: the placement of its layout on this job's nodes
  std::vector<std::string> sets;
};

CLI::App* add_topo_command(CLI::App& app, TopoArguments& arguments);
int run_topo(const TopoArguments& arguments, int& argc, char**& argv);

}  // namespace scaleout::runs
