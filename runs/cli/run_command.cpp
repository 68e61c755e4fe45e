// `scaleout run CONFIG`: emulate training steps (or serving passes) on MPI and log them (docs/run.md).

#include <optional>

#include "runs/cli/command.hpp"
#include "runs/job/run_job.hpp"

namespace scaleout::runs {

namespace {

struct RunArguments {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::string> output;  // given, even as "", it is output.path
  bool overwrite = false;
  bool check = false;
  bool strict_memory = false;
};

// The config's path and every override, --set's first, then the flags'; the job reads and resolves
// them (runs/job/run_job.hpp).
RunRequest request_of(const RunArguments& a) {
  RunRequest request{a.config, a.sets};
  if (a.output) request.overrides.push_back("output.path=" + *a.output);
  if (a.overwrite) request.overrides.emplace_back("output.overwrite=true");
  if (a.check) request.overrides.emplace_back("emulation.check=true");
  if (a.strict_memory) request.overrides.emplace_back("emulation.strict_memory=true");
  return request;
}

Body declare(CLI::App& run) {
  auto a = std::make_shared<RunArguments>();
  run.add_option("config", a->config, "The run's YAML config (runs/configs/ has presets)")->required();
  run.add_option("--set", a->sets, "Override one option of the config: key=value (repeatable)");
  run.add_option("--output", a->output, "The run log (default: output.path of the config)");
  run.add_flag("--overwrite", a->overwrite, "Replace an existing run log");
  run.add_flag("--check", a->check, "Verify every transfer exactly (emulation.check); wrong data exits 3");
  run.add_flag("--strict-memory", a->strict_memory,
               "Refuse a layout whose memory does not fit the device (emulation.strict_memory)");
  return [a](Invocation& in) { return run_job(request_of(*a), in.command_line, in.argc, in.argv); };
}

}  // namespace

Command run_command() { return {"run", "Emulate training steps on MPI and write the run log (HDF5)", declare}; }

}  // namespace scaleout::runs
