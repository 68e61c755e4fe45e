#include "runs/cli/command.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

namespace scaleout::runs {

// The table of subcommands: one line each, in the order `scaleout --help` lists them. NAME's Command
// comes from NAME_command(), defined in runs/cli/NAME_command.cpp; the list declares each and makes
// the table from them, so that adding a subcommand adds one line here.
#define SCALEOUT_COMMANDS(COMMAND) \
  COMMAND(run)                     \
  COMMAND(plan)                    \
  COMMAND(bench)                   \
  COMMAND(fabric)                  \
  COMMAND(topo)                    \
  COMMAND(report)                  \
  COMMAND(trace)                   \
  COMMAND(compare)                 \
  COMMAND(predict)                 \
  COMMAND(calibrate)

#define SCALEOUT_DECLARE(name) Command name##_command();
SCALEOUT_COMMANDS(SCALEOUT_DECLARE)
#undef SCALEOUT_DECLARE

const std::vector<Command>& commands() {
#define SCALEOUT_ENTRY(name) name##_command(),
  static const std::vector<Command> table = {SCALEOUT_COMMANDS(SCALEOUT_ENTRY)};
#undef SCALEOUT_ENTRY
  return table;
}

#undef SCALEOUT_COMMANDS

const CLI::Validator non_empty(
    [](const std::string& value) {
      return value.empty() ? std::string("an empty value is not allowed") : std::string();
    },
    "", "non-empty");

const CLI::Validator at_least_one(
    [](const std::string& value) {
      long long number = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
      const bool whole = error == std::errc() && end == value.data() + value.size();
      return whole && number >= 1 ? std::string() : fmt::format("'{}' is not allowed; it must be at least 1", value);
    },
    "", "at least one");

const CLI::Validator whole_64_bits(
    [](const std::string& value) {
      std::uint64_t number = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
      return error == std::errc() && end == value.data() + value.size()
                 ? std::string()
                 : fmt::format("'{}' is not allowed; it must be a whole number from 0 to 18446744073709551615", value);
    },
    "", "64-bit whole number");

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
