#include "runs/report/run_notes.hpp"

#include <fmt/format.h>

#include "runs/printable.hpp"

namespace scaleout::runs {

std::vector<std::string> run_notes(const std::string& path, const analysis::LogState& log) {
  std::vector<std::string> notes;
  if (log.status != "complete") {
    notes.push_back(fmt::format("{}: the run is {}{}; the table holds the steps it measured", printable(path),
                                printable(log.status, 64),
                                log.status_message.empty() ? "" : " (" + printable(log.status_message) + ")"));
  }
  if (!log.background.empty()) {
    notes.push_back(
        fmt::format("{}: its steps ran under {} background traffic (emulation.background); /background "
                    "holds the same steps alone and the slowdown",
                    printable(path), printable(log.background, 64)));
  }
  if (!log.programs_problem.empty()) {
    notes.push_back(
        fmt::format("{}: its programs or op trace could not be read, so the critical path and the message "
                    "sizes are left out: {}",
                    printable(path), printable(log.programs_problem)));
  }
  if (!log.checksummed) {
    notes.push_back(fmt::format("{}: written without checksums; its integrity cannot be checked", printable(path)));
  }
  return notes;
}

std::string notes_text(const std::vector<std::vector<std::string>>& notes, const std::string& bullet) {
  std::string out;
  for (const auto& of_run : notes) {
    for (const auto& note : of_run) out += fmt::format("{}note: {}\n", bullet, note);
  }
  return out;
}

}  // namespace scaleout::runs
