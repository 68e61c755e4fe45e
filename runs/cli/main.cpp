// scaleout: emulate the communication of distributed training on an MPI cluster.
// Arguments are parsed and validated before any communication: bad input exits with status 2 and one
// message, on every rank alike, and never hangs a job (runs/job/mpi_main.hpp says how). The
// subcommands come from one table (runs/cli/commands.cpp).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "runs/cli/command.hpp"
#include "runs/job/mpi_main.hpp"
#include "runs/usage_error.hpp"
#include "runs/version.hpp"

namespace {

using namespace scaleout::runs;

// A subcommand as declared: its app and the body its options feed.
struct Declared {
  CLI::App* app;
  Body body;
};

std::string names(const std::vector<Declared>& declared) {
  std::string out;
  for (const auto& d : declared) out += (out.empty() ? "" : ", ") + d.app->get_name();
  return out;
}

const Declared* parsed(const std::vector<Declared>& declared) {
  const auto found = std::find_if(declared.begin(), declared.end(), [](const Declared& d) { return d.app->parsed(); });
  return found == declared.end() ? nullptr : &*found;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("scaleout: emulate the communication of distributed training on an MPI cluster", "scaleout");
  app.set_version_flag("--version", version());
  app.require_subcommand(1);
  std::vector<Declared> declared;
  for (const Command& command : commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    declared.push_back({sub, command.declare(*sub)});
  }

  // CLI11 would call an unknown command "a missing subcommand"; name it instead.
  const std::string first = argc > 1 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' &&
      std::none_of(declared.begin(), declared.end(), [&](const Declared& d) { return d.app->get_name() == first; })) {
    return exit_with_usage_error(
        "", fmt::format("'{}' is not a command; allowed: {} (see scaleout --help)", first, names(declared)), argc,
        argv);
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i == 0 ? "" : " ") + std::string(argv[i]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {  // --help, --version
    return prints_for_job() ? app.exit(done) : exit_ok;
  } catch (const CLI::ParseError& error) {
    const Declared* chosen = parsed(declared);
    const std::string name = chosen == nullptr ? "" : chosen->app->get_name();
    return exit_with_usage_error(
        name, fmt::format("{} (see scaleout {}--help)", error.what(), name.empty() ? "" : name + " "), argc, argv);
  }

  const Declared& chosen = *parsed(declared);
  const std::string name = chosen.app->get_name();
  try {
    Invocation invocation{argc, argv, command_line};
    return chosen.body(invocation);
  } catch (const UsageError& error) {
    return exit_with_usage_error(name, error.what(), argc, argv);
  } catch (const std::overflow_error& error) {
    // Only input makes a count overflow (a model or batch past 64 bits): it is refused as input.
    return exit_with_usage_error(name, fmt::format("the workload is past what scaleout counts: {}", error.what()), argc,
                                 argv);
  } catch (const std::exception& error) {
    print_error(name, error.what());
    return exit_failure;
  }
}
