#include "runs/job/mpi_main.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>

#include "comm/environment.hpp"
#include "runs/printable.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {
// The rank a launcher gave this process (Open MPI, PMIx, PMI, Slurm); -1 without a launcher.
int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name); value != nullptr) return std::atoi(value);
  }
  return -1;
}
}  // namespace

bool prints_for_job() {
  if (comm::Environment::active()) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank == 0;
  }
  return launcher_rank() <= 0;
}

void print_error(std::string_view command, std::string_view message) {
  if (!prints_for_job()) return;
  // Messages quote what users gave, which may be anything (a binary file, invalid UTF-8): one line of
  // printable text, bounded.
  const std::string line = printable(message, 2000);
  if (command.empty()) {
    fmt::print(stderr, "scaleout: {}\n", line);
  } else {
    fmt::print(stderr, "scaleout {}: {}\n", command, line);
  }
}

int exit_with_usage_error(std::string_view command, std::string_view message, int& argc, char**& argv) {
  if (launcher_rank() < 0 || comm::Environment::active()) {
    print_error(command, message);
    return exit_usage;
  }
  comm::Environment environment(argc, argv);
  print_error(command, message);
  std::fflush(stderr);
  MPI_Barrier(MPI_COMM_WORLD);
  return exit_usage;
}

int with_mpi(int& argc, char**& argv, std::string_view command, const std::function<int()>& body) {
  comm::Environment environment(argc, argv);
  try {
    return body();
  } catch (const UsageError& error) {
    print_error(command, error.what());
    return exit_usage;
  } catch (const std::overflow_error& error) {  // as main's: only input makes a count overflow
    print_error(command, fmt::format("the workload is past what scaleout counts: {}", error.what()));
    return exit_usage;
  } catch (const std::exception& error) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fmt::print(stderr, "scaleout {}: rank {}: {}\n", command, rank, printable(error.what(), 2000));
    std::fflush(stderr);
    comm::Environment::abort(exit_failure);
  }
}

}  // namespace scaleout::runs
