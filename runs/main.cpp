// scaleout: emulate the communication of distributed training on an MPI cluster.
// Arguments are parsed and validated before any communication: bad input exits with status 2 and one
// message, on every rank alike, and never hangs a job (runs/mpi_main.hpp says how).

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <exception>

#include "runs/bench_command.hpp"
#include "runs/mpi_main.hpp"
#include "runs/topo_command.hpp"
#include "runs/usage_error.hpp"
#include "runs/version.hpp"

int main(int argc, char** argv) {
  using namespace scaleout::runs;
  CLI::App app("scaleout: emulate the communication of distributed training on an MPI cluster", "scaleout");
  app.set_version_flag("--version", version());
  app.require_subcommand(1);
  BenchArguments bench_arguments;
  TopoArguments topo_arguments;
  CLI::App* bench = add_bench_command(app, bench_arguments);
  CLI::App* topo = add_topo_command(app, topo_arguments);

  // CLI11 would call an unknown command "a missing subcommand"; name it instead.
  const std::string first = argc > 1 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' && first != bench->get_name() && first != topo->get_name()) {
    return exit_with_usage_error("", fmt::format("'{}' is not a command; allowed: bench, topo (see scaleout --help)", first),
                                 argc, argv);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {  // --help, --version
    return prints_for_job() ? app.exit(done) : exit_ok;
  } catch (const CLI::ParseError& error) {
    const CLI::App* where = bench->parsed() ? bench : topo->parsed() ? topo : &app;
    const std::string name = where == &app ? "" : where->get_name();
    return exit_with_usage_error(name, fmt::format("{} (see scaleout {}--help)", error.what(), name.empty() ? "" : name + " "),
                                 argc, argv);
  }

  const std::string command = bench->parsed() ? "bench" : "topo";
  try {
    if (bench->parsed()) return run_bench(plan_bench(bench_arguments), argc, argv);
    return run_topo(topo_arguments, argc, argv);
  } catch (const UsageError& error) {
    return exit_with_usage_error(command, error.what(), argc, argv);
  } catch (const std::exception& error) {
    print_error(command, error.what());
    return exit_failure;
  }
}
