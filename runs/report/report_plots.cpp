#include "runs/report/report_plots.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runs/report/report_format.hpp"
#include "runs/usage_error.hpp"

extern char** environ;

namespace scaleout::runs {

namespace {

// Runs `argv` (no shell), its standard output into `output` (and its errors too when `quiet`);
// returns the exit status.
int run_program(const std::vector<std::string>& argv, const std::string& output, bool quiet = false) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (quiet) posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return 127;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The first Python that has matplotlib: $SCALEOUT_PYTHON, python3 on the PATH, Debian's.
std::string python_with_matplotlib() {
  std::vector<std::string> candidates;
  if (const char* chosen = std::getenv("SCALEOUT_PYTHON"); chosen != nullptr && *chosen != '\0') {
    candidates.emplace_back(chosen);
  }
  candidates.insert(candidates.end(), {"python3", "/usr/bin/python3"});
  for (const auto& python : candidates) {
    if (run_program({python, "-c", "import matplotlib"}, "/dev/null", true) == 0) return python;
  }
  return "";
}

// The plots script: $SCALEOUT_PLOTS_SCRIPT; the sources' for the binary in its build folder; an installed
// scaleout's, PREFIX/share/scaleout/plots.py beside PREFIX/bin/scaleout; else the sources'.
std::string script_path() {
  if (const char* path = std::getenv("SCALEOUT_PLOTS_SCRIPT"); path != nullptr && *path != '\0') return path;
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  std::error_code elsewhere;  // the build folder is gone where a package installed the binary
  const bool in_build = !error && std::filesystem::equivalent(self.parent_path(), SCALEOUT_BUILD_FOLDER, elsewhere);
  if (!error && !in_build) {
    const auto installed = self.parent_path().parent_path() / "share" / "scaleout" / "plots.py";
    if (std::filesystem::is_regular_file(installed, error)) return installed.string();
  }
  return SCALEOUT_PLOTS_SCRIPT;
}

}  // namespace

std::string plots_folder_problem(const std::string& folder) {
  namespace fs = std::filesystem;
  if (folder.empty()) return "no folder given";
  std::error_code error;
  if (fs::exists(folder, error) && !fs::is_directory(folder, error)) return "it exists and is not a folder";
  // The nearest folder that exists is where the plots' folder will be made (or is): it must be writable.
  fs::path existing = fs::absolute(folder, error);
  while (!fs::exists(existing, error) && existing.has_parent_path() && existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (!fs::is_directory(existing, error)) return fmt::format("{} is not a folder", existing.string());
  if (::access(existing.c_str(), W_OK) != 0) {
    return fmt::format("{} is not writable ({})", existing.string(), std::strerror(errno));
  }
  return "";
}

std::vector<std::string> draw_with_script(const std::string& kind, const nlohmann::json& json,
                                          const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw UsageError(fmt::format("--plots: {} cannot be made: {}", folder, error.message()));
  const std::string listing = (std::filesystem::path(folder) / ".plots-written").string();
  const std::string missing =
      "plots need Python 3 with matplotlib: on Debian, apt-get install python3 python3-matplotlib";
  const std::string python = python_with_matplotlib();
  if (python.empty()) throw std::runtime_error(missing);
  const std::string script = script_path();
  if (!std::filesystem::exists(script, error)) {
    throw std::runtime_error(
        fmt::format("the plots script {} is missing; set SCALEOUT_PLOTS_SCRIPT to "
                    "analysis/plots.py of scaleout's sources (installed: PREFIX/share/scaleout/plots.py)",
                    script));
  }
  const std::string input = (std::filesystem::path(folder) / (kind + ".json")).string();
  std::ofstream(input) << json.dump(2) << "\n";
  if (run_program({python, script, kind, input, "--output", folder}, listing) != 0) {
    throw std::runtime_error(fmt::format("{} failed drawing the plots of {}", script, input));
  }
  std::ifstream in(listing);
  std::vector<std::string> written = {input};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) written.push_back(line);
  }
  std::filesystem::remove(listing, error);
  return written;
}

std::vector<std::string> draw_plots(const ReportData& data, const std::string& folder) {
  auto json = nlohmann::json::parse(format_report(data, Format::json));
  json["markdown"] = format_report(data, Format::markdown);
  return draw_with_script("report", json, folder);
}

}  // namespace scaleout::runs
