#pragma once
// Standing in for the device's math: a span lasts the time the emulated device would need.
//   sleep: sleep towards the deadline, then spin its last stretch (sleep alone overshoots by the
//          scheduler's wake-up latency, tens of microseconds);
//   spin:  busy-wait the whole span (exact, but holds the core).
// While non-blocking communication is outstanding, the span calls `progress` every poll interval so
// that MPI moves the data during compute, as a device's DMA engines and NICs would: overlap is real.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace scaleout::parallelism {

enum class ComputeMode { sleep, spin };
const char* to_string(ComputeMode mode);
std::optional<ComputeMode> parse_compute_mode(const std::string& text);

struct EmulationTiming {
  std::chrono::nanoseconds spin_tail{250'000};     // sleep mode: spin this much before the deadline
  std::chrono::nanoseconds poll_interval{20'000};  // progress calls while communication is outstanding
};

// Runs one span of `seconds`. `progress` is called while it returns true (communication outstanding),
// at least every poll interval; once it returns false it is not called again in this span.
// Returns when the span ends: the caller times it.
void emulate_compute(double seconds, ComputeMode mode, const std::function<bool()>& progress,
                     const EmulationTiming& timing = {});

}  // namespace scaleout::parallelism
