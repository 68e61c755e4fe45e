// What the run log's Fletcher32 checksums cost a step. A run log appends every rank's row to /steps
// after each step and flushes; HDF5 then checksums each chunk it writes. Here the same appends and
// flushes go to two logs, one whose table carries checksums and one without, alternating step by
// step so that drift on a noisy machine falls on both; it prints the median time of a step's append
// and flush with and without, and their ratio, for a few rank counts. Rows are StepRow's size.
//
// Not a test: a benchmark, run by tests/bench/run's log section.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/step_row.hpp"
#include "runs/log/hdf5.hpp"

namespace {

namespace h5 = scaleout::h5;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Log {
  Log(const std::string& path, h5::Table::Checksums checksums)
      : file(h5::create_file(path)),
        row(h5::check(H5Tcreate(H5T_OPAQUE, sizeof(scaleout::analysis::StepRow)), "row"), H5Tclose),
        table(file.id(), "steps", row.id(), 1024, checksums) {}
  // One step: every rank's row appended, then the file flushed, as RunLogWriter does. Seconds.
  double step(const std::vector<scaleout::analysis::StepRow>& rows) {
    const auto began = Clock::now();
    table.append(rows.data(), rows.size());
    h5::check(H5Fflush(file.id(), H5F_SCOPE_GLOBAL), "flush");
    return std::chrono::duration<double>(Clock::now() - began).count();
  }
  h5::Object file, row;
  h5::Table table;
};

}  // namespace

int main() {
  const auto folder = std::filesystem::temp_directory_path() / "scaleout-bench-checksums";
  std::filesystem::create_directories(folder);
  std::printf("%-8s %8s %14s %14s %8s\n", "ranks", "steps", "with us/step", "without us/step", "ratio");
  for (const int ranks : {8, 512, 4096}) {
    const int steps = ranks >= 4096 ? 100 : 400;
    Log with((folder / "with.h5").string(), h5::Table::Checksums::fletcher32);
    Log without((folder / "without.h5").string(), h5::Table::Checksums::none);
    std::vector<scaleout::analysis::StepRow> rows(static_cast<std::size_t>(ranks));
    std::vector<double> with_s, without_s;
    for (int step = 0; step < steps; ++step) {
      for (int rank = 0; rank < ranks; ++rank) rows[static_cast<std::size_t>(rank)] = {.step = step, .rank = rank};
      if (step % 2 == 0) {
        with_s.push_back(with.step(rows));
        without_s.push_back(without.step(rows));
      } else {
        without_s.push_back(without.step(rows));
        with_s.push_back(with.step(rows));
      }
    }
    const double a = median(with_s) * 1e6, b = median(without_s) * 1e6;
    std::printf("%-8d %8d %14.1f %14.1f %8.3f\n", ranks, steps, a, b, a / b);
  }
  std::filesystem::remove_all(folder);
  return 0;
}
