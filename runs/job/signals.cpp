#include "runs/job/signals.hpp"

#include <csignal>
#include <initializer_list>

namespace scaleout::runs {

namespace {
volatile std::sig_atomic_t received = 0;

extern "C" void remember_signal(int signal) {
  if (received == 0) received = signal;
}
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // MPI's and HDF5's system calls carry on
  for (const int signal : {SIGTERM, SIGUSR1, SIGINT, SIGHUP}) sigaction(signal, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGPIPE: return "SIGPIPE (stdout was closed)";
    default: return "signal " + std::to_string(signal);
  }
}

int stop_signal() noexcept { return received; }
void note_stop(int signal) noexcept {
  if (received == 0) received = signal;
}
void reset_stop_signal() noexcept { received = 0; }

}  // namespace scaleout::runs
