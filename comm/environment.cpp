#include "comm/environment.hpp"

#include <mpi.h>

#include <cstdlib>

#include "comm/error.hpp"

namespace scaleout::comm {

Environment::Environment(int& argc, char**& argv) {
  int provided = 0;
  // FUNNELED: only the main thread communicates.
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
}

Environment::~Environment() {
  if (active()) MPI_Finalize();
}

bool Environment::active() noexcept {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized != 0 && finalized == 0;
}

void Environment::abort(int exit_code) noexcept {
  int size = 1;
  if (active() && MPI_Comm_size(MPI_COMM_WORLD, &size) == MPI_SUCCESS && size > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

double now() noexcept { return MPI_Wtime(); }

}  // namespace scaleout::comm
