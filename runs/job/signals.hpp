#pragma once
// Stopping a run cleanly: SIGTERM (scancel, the time limit), SIGUSR1 (Slurm's warning before the time
// limit, with --signal), SIGINT (Ctrl-C) and SIGHUP (a closed terminal) only set a flag; the ranks
// agree at the next step boundary to stop, and the run writes its summary and closes its log as
// interrupted. A step that does not end within emulation.stop_grace_s of the signal is abandoned by
// the watchdog (runs/job/watchdog.hpp). SIGPIPE is ignored: a closed stdout (`| head`) is a failed
// write, which the run notes as a stop (note_stop) instead of dying with its log "running".

#include <string>

namespace scaleout::runs {

// Installs the handlers (idempotent). Other signals keep their default action.
void install_stop_handlers();
// The signal that asked this process to stop, or 0.
int stop_signal() noexcept;
// Records a stop as if `signal` had arrived (SIGPIPE: stdout was closed), unless one already did.
void note_stop(int signal) noexcept;
// "SIGTERM", "SIGUSR1", "SIGINT", "SIGHUP", "SIGPIPE", or "signal N".
std::string signal_name(int signal);
// For tests: forget a received signal.
void reset_stop_signal() noexcept;

}  // namespace scaleout::runs
