#include "runs/report/calibration_report.hpp"

#include <fmt/format.h>

#include "runs/printable.hpp"
#include "runs/sizes.hpp"

namespace scaleout::runs {

std::string calibration_header(const analysis::Calibration& c) {
  return fmt::format("calibrate: {} node{} x {} rank{} ({}), {}, transport {}\n", c.nodes, c.nodes == 1 ? "" : "s",
                     c.ranks_per_node, c.ranks_per_node == 1 ? "" : "s", printable(c.hostnames), c.mpi_library,
                     c.transport);
}

std::string fit_text(const analysis::FitKey& key, const analysis::Fit& fit, std::size_t sizes) {
  std::string text = fmt::format("  {:<8} {:<15} residual rms {:>5.1f} % max {:>5.1f} % over {} sizes\n",
                                 analysis::to_string(key.progress), analysis::to_string(key.collective),
                                 100 * fit.rms_residual, 100 * fit.max_residual, sizes);
  for (const auto& piece : fit.cost.pieces) {
    // A beta of 0 is a piece whose sizes the latency alone explains: no bandwidth is measured there.
    const std::string bandwidth = piece.cost.beta > 0 ? fmt::format("{:>8.3f} GB/s", 1e-9 / piece.cost.beta)
                                                      : "not resolved (latency-bound sizes)";
    text += fmt::format("    from {:>9}  alpha {:>9.2f} us  bandwidth {}\n",
                        format_bytes(static_cast<std::uint64_t>(piece.from_bytes)), piece.cost.alpha * 1e6, bandwidth);
  }
  return text;
}

std::string compute_overhead_text(const analysis::ComputeOverhead& o) {
  return fmt::format("compute emulation ({}): {:+.2f} us per span {:+.3f} % of its length\n", o.mode, o.per_span * 1e6,
                     100 * o.relative);
}

}  // namespace scaleout::runs
