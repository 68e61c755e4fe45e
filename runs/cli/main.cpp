// scaleout: emulate the communication of distributed training on an MPI cluster.
// Arguments are parsed and validated before any communication: bad input exits with status 2 and one
// message, on every rank alike, and never hangs a job (runs/mpi_main.hpp says how).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "runs/cli/bench_command.hpp"
#include "runs/cli/calibrate_command.hpp"
#include "runs/cli/compare_command.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/cli/plan_command.hpp"
#include "runs/cli/predict_command.hpp"
#include "runs/cli/report_command.hpp"
#include "runs/cli/run_command.hpp"
#include "runs/cli/topo_command.hpp"
#include "runs/usage_error.hpp"
#include "runs/version.hpp"

int main(int argc, char** argv) {
  using namespace scaleout::runs;
  CLI::App app("scaleout: emulate the communication of distributed training on an MPI cluster", "scaleout");
  app.set_version_flag("--version", version());
  app.require_subcommand(1);
  BenchArguments bench_arguments;
  TopoArguments topo_arguments;
  RunArguments run_arguments;
  PlanArguments plan_arguments;
  ReportArguments report_arguments;
  CompareArguments compare_arguments;
  PredictArguments predict_arguments;
  CalibrateArguments calibrate_arguments;
  CLI::App* run = add_run_command(app, run_arguments);
  CLI::App* plan = add_plan_command(app, plan_arguments);
  CLI::App* bench = add_bench_command(app, bench_arguments);
  CLI::App* topo = add_topo_command(app, topo_arguments);
  CLI::App* report = add_report_command(app, report_arguments);
  CLI::App* compare = add_compare_command(app, compare_arguments);
  CLI::App* predict = add_predict_command(app, predict_arguments);
  CLI::App* calibrate = add_calibrate_command(app, calibrate_arguments);
  const std::vector<CLI::App*> commands = {run, plan, bench, topo, report, compare, predict, calibrate};

  // CLI11 would call an unknown command "a missing subcommand"; name it instead.
  const std::string first = argc > 1 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' &&
      std::none_of(commands.begin(), commands.end(), [&](const CLI::App* c) { return c->get_name() == first; })) {
    return exit_with_usage_error("",
                                 fmt::format("'{}' is not a command; allowed: run, plan, bench, topo, report, compare, "
                                             "calibrate, predict (see scaleout --help)",
                                             first),
                                 argc, argv);
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i == 0 ? "" : " ") + std::string(argv[i]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {  // --help, --version
    return prints_for_job() ? app.exit(done) : exit_ok;
  } catch (const CLI::ParseError& error) {
    const auto parsed = std::find_if(commands.begin(), commands.end(), [](const CLI::App* c) { return c->parsed(); });
    const std::string name = parsed == commands.end() ? "" : (*parsed)->get_name();
    return exit_with_usage_error(
        name, fmt::format("{} (see scaleout {}--help)", error.what(), name.empty() ? "" : name + " "), argc, argv);
  }

  const auto parsed = std::find_if(commands.begin(), commands.end(), [](const CLI::App* c) { return c->parsed(); });
  const std::string command = (*parsed)->get_name();
  try {
    if (run->parsed()) return run_run(plan_run(run_arguments), command_line, argc, argv);
    if (plan->parsed()) return run_plan(plan_arguments);
    if (bench->parsed()) return run_bench(plan_bench(bench_arguments), argc, argv);
    if (report->parsed()) return run_report(report_arguments);
    if (compare->parsed()) return run_compare(compare_arguments);
    if (predict->parsed()) return run_predict(predict_arguments);
    if (calibrate->parsed()) return run_calibrate(calibrate_arguments, argc, argv);
    return run_topo(topo_arguments, argc, argv);
  } catch (const UsageError& error) {
    return exit_with_usage_error(command, error.what(), argc, argv);
  } catch (const std::exception& error) {
    print_error(command, error.what());
    return exit_failure;
  }
}
