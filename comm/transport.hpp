#pragma once
// Facts about the MPI library in use, for every output that reports figures.

#include <string>

namespace scaleout::comm {

// MPI_Get_library_version's text, first line only (Open MPI's continues with build details).
std::string mpi_library();

}  // namespace scaleout::comm
