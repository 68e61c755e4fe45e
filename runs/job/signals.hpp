#pragma once
// Stopping a run cleanly: SIGTERM (scancel, the time limit), SIGUSR1 (Slurm's warning before the time
// limit, with --signal) and SIGINT only set a flag; the ranks agree at the next step boundary to stop,
// and the run writes its summary and closes its log as interrupted. A step that does not end within
// emulation.stop_grace_s of the signal is abandoned by the watchdog (runs/job/watchdog.hpp).

#include <string>

namespace scaleout::runs {

// Installs the handlers (idempotent). Other signals keep their default action.
void install_stop_handlers();
// The signal that asked this process to stop, or 0.
int stop_signal() noexcept;
// "SIGTERM", "SIGUSR1", "SIGINT", or "signal N".
std::string signal_name(int signal);
// For tests: forget a received signal.
void reset_stop_signal() noexcept;

}  // namespace scaleout::runs
