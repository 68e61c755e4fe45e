#include "runs/cli/command.hpp"

namespace scaleout::runs {

// Each defined in its own file, runs/cli/<name>_command.cpp.
Command run_command();
Command plan_command();
Command bench_command();
Command topo_command();
Command report_command();
Command compare_command();
Command predict_command();
Command calibrate_command();

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {run_command(),     plan_command(),     bench_command(),
                                             topo_command(),    report_command(),   compare_command(),
                                             predict_command(), calibrate_command()};
  return table;
}

void add_format_option(CLI::App& app, Format& format, const std::vector<Format>& allowed) {
  std::vector<std::string> names;
  names.reserve(allowed.size());
  for (const Format f : allowed) names.emplace_back(to_string(f));
  app.add_option_function<std::string>(
         "--format", [&format](const std::string& name) { format = *parse_format(name); }, describe(allowed))
      ->check(CLI::IsMember(names))
      ->default_str(to_string(format));
}

void add_json_flag(CLI::App& app, Format& format) {
  app.add_flag_callback(
      "--json", [&format] { format = Format::json; }, "Print JSON (the same as --format json)");
}

}  // namespace scaleout::runs
