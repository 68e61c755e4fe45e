#pragma once
// RAII over MPI_Init_thread / MPI_Finalize. Exactly one per process, created only by subcommands that
// communicate, so that the commands which need no MPI (topo --xml, plan, report, compare, predict) run
// without a launcher.

namespace scaleout::comm {

class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // True between MPI_Init and MPI_Finalize (anyone's), so destructors know whether they may free.
  static bool active() noexcept;

  // Ends every process of the job with `exit_code`; for errors after which peers would hang. A job of
  // one process just exits: MPI_Abort would add Open MPI's banner to the one line already said.
  [[noreturn]] static void abort(int exit_code) noexcept;
};

// Seconds on the MPI clock (MPI_Wtime), the clock every figure of the tool is measured with.
double now() noexcept;

}  // namespace scaleout::comm
