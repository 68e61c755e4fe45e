#include "runs/mpi_main.hpp"

#include <mpi.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "comm/environment.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

bool prints_for_job() {
  if (comm::Environment::active()) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank == 0;
  }
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name); value != nullptr) return std::atoi(value) == 0;
  }
  return true;
}

void print_error(std::string_view command, std::string_view message) {
  if (!prints_for_job()) return;
  if (command.empty()) {
    fmt::print(stderr, "scaleout: {}\n", message);
  } else {
    fmt::print(stderr, "scaleout {}: {}\n", command, message);
  }
}

int with_mpi(int& argc, char**& argv, std::string_view command, const std::function<int()>& body) {
  comm::Environment environment(argc, argv);
  try {
    return body();
  } catch (const UsageError& error) {
    print_error(command, error.what());
    return exit_usage;
  } catch (const std::exception& error) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fmt::print(stderr, "scaleout {}: rank {}: {}\n", command, rank, error.what());
    std::fflush(stderr);
    comm::Environment::abort(exit_failure);
  }
}

}  // namespace scaleout::runs
