#pragma once
// Facts about the MPI library in use, for every output that reports figures.

#include <string>

namespace scaleout::comm {

// MPI_Get_library_version's text, first line only (Open MPI's continues with build details).
std::string mpi_library();

// The transport as the job chose it: slurm/run.sbatch's name for it (SCALEOUT_TRANSPORT), else read
// from Open MPI's variables ("ob1-tcp", "ucx", ...), else "default".
std::string transport_in_effect();

}  // namespace scaleout::comm
