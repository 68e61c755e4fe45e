#pragma once
// How a subcommand that communicates starts and fails. Arguments are validated before MPI starts;
// then `body` runs between MPI_Init and MPI_Finalize:
// - a UsageError must be thrown by every rank alike (it comes from checks every rank makes on the same
//   data), so each rank returns exit_usage and MPI finalises normally;
// - any other exception may come from one rank only, while its peers wait in a collective: the message
//   is printed with the rank and the whole job is aborted, never left to hang.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace scaleout::runs {

int with_mpi(int& argc, char**& argv, std::string_view command, const std::function<int()>& body);

// True on the process that should print messages meant once per job: world rank 0 once MPI runs,
// before that the rank the launcher announces (Open MPI, PMIx, PMI, Slurm), and a process started
// without a launcher.
bool prints_for_job();

// Prints "scaleout <command>: <message>" on standard error from the printing process only, as
// printable() makes it (runs/printable.hpp).
void print_error(std::string_view command, std::string_view message);

// Reports bad arguments found before MPI started and returns exit_usage. Under a launcher every rank
// finds the same fault; if they all just exited, the launcher could kill rank 0 before its message got
// out. So there MPI starts only to order the exit: rank 0 prints, then all pass a barrier and leave.
int exit_with_usage_error(std::string_view command, std::string_view message, int& argc, char**& argv);

}  // namespace scaleout::runs
