// Benchmark (not a test): how exactly does a compute span last what it should? For spans of 100 us,
// 1 ms and 10 ms in sleep and spin mode, it runs many spans back to back (no MPI, one process on an
// idle core) and prints the requested length, the median and p99 of the measured ones, and the error
// of the mean: the figure docs/performance.md quotes (target: at most 1% at 1 ms).
//
//   build/tests/scaleout_bench_compute_emulation [--spans N]

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <numeric>
#include <vector>

#include "comm/stats.hpp"
#include "parallelism/compute_emulation.hpp"

int main(int argc, char** argv) {
  using namespace scaleout;
  CLI::App app("compute emulation accuracy");
  int spans = 500;
  app.add_option("--spans", spans, "spans per length and mode")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  fmt::print("# compute emulation: requested against measured span lengths, {} spans each\n", spans);
  fmt::print("# {:>5} {:>10} {:>12} {:>12} {:>12} {:>9}\n", "mode", "requested", "p50", "p99", "mean", "error");
  for (const auto mode : {parallelism::ComputeMode::sleep, parallelism::ComputeMode::spin}) {
    for (const double seconds : {100e-6, 1e-3, 10e-3}) {
      const int count = seconds >= 10e-3 ? std::max(spans / 10, 10) : spans;
      std::vector<double> measured;
      for (int i = 0; i < count; ++i) {
        const auto begin = std::chrono::steady_clock::now();
        parallelism::emulate_compute(seconds, mode, {});
        measured.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
      }
      const auto p = comm::percentiles(measured);
      const double mean = std::accumulate(measured.begin(), measured.end(), 0.0) / static_cast<double>(count);
      fmt::print("  {:>5} {:>8.0f}us {:>10.1f}us {:>10.1f}us {:>10.1f}us {:>+8.3f}%\n", to_string(mode), seconds * 1e6,
                 p.p50 * 1e6, p.p99 * 1e6, mean * 1e6, 100 * (mean / seconds - 1));
    }
  }
  return 0;
}
