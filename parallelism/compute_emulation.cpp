#include "parallelism/compute_emulation.hpp"

#include <thread>

namespace scaleout::parallelism {

const char* to_string(ComputeMode mode) { return mode == ComputeMode::sleep ? "sleep" : "spin"; }

std::optional<ComputeMode> parse_compute_mode(const std::string& text) {
  if (text == "sleep") return ComputeMode::sleep;
  if (text == "spin") return ComputeMode::spin;
  return std::nullopt;
}

void emulate_compute(double seconds, ComputeMode mode, const std::function<bool()>& progress,
                     const EmulationTiming& timing) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  bool outstanding = static_cast<bool>(progress);
  auto next_poll = start;
  for (auto now = start; now < deadline; now = clock::now()) {
    if (outstanding && now >= next_poll) {
      outstanding = progress();
      next_poll = now + timing.poll_interval;
    }
    if (mode == ComputeMode::spin) continue;
    // Sleep to the next poll (or towards the deadline), never into the spin tail.
    auto wake = deadline - timing.spin_tail;
    if (outstanding) wake = std::min(wake, next_poll);
    if (wake > now) std::this_thread::sleep_until(wake);
  }
}

}  // namespace scaleout::parallelism
