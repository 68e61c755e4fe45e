#pragma once
// One subcommand of `scaleout`: its name, what it does, and how it declares its options and returns
// the body that runs once they are parsed. The table of every subcommand is runs/cli/commands.cpp;
// main.cpp loops over it. A subcommand's file only wires: it declares options, then hands them to
// the layers below (runs/job for what runs under MPI, runs/report for what prints).

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "runs/report/format.hpp"

namespace scaleout::runs {

// What a body gets besides its options: the process's arguments (MPI_Init takes them) and the command
// line as typed (run logs it).
struct Invocation {
  int& argc;
  char**& argv;
  const std::string& command_line;
};
using Body = std::function<int(Invocation&)>;

struct Command {
  const char* name;
  const char* help;
  // Declares the options on the subcommand's app; the body it returns reads them once parsed.
  std::function<Body(CLI::App&)> declare;
};

// Every subcommand, in the order `scaleout --help` lists them.
const std::vector<Command>& commands();

// --format FORMAT, one of `allowed` (the vocabulary of runs/report/format.hpp that this command
// prints); any other is a parse error, exit 2, naming what is allowed.
void add_format_option(CLI::App& app, Format& format, const std::vector<Format>& allowed);
// --json: the same as --format json, kept where it was the flag.
void add_json_flag(CLI::App& app, Format& format);

// Checks of option values that CLI11 would let through, each a parse error (exit 2) naming the option:
// a list given as "" (it fell back to the default), a count of 0 where at least 1 is meant, and a
// 64-bit seed written as -1 or past 2^64 - 1 (both wrapped).
extern const CLI::Validator non_empty;
extern const CLI::Validator at_least_one;
extern const CLI::Validator whole_64_bits;

}  // namespace scaleout::runs
