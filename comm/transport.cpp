#include "comm/transport.hpp"

#include <mpi.h>

#include <cstdlib>

#include "comm/error.hpp"

namespace scaleout::comm {

std::string mpi_library() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  check(MPI_Get_library_version(text, &length), "MPI_Get_library_version");
  std::string version(text, static_cast<std::size_t>(length));
  if (const auto end = version.find_first_of("\n,"); end != std::string::npos) version.resize(end);
  while (!version.empty() && (version.back() == ' ' || version.back() == '\0')) version.pop_back();
  return version;
}

std::string transport_in_effect() {
  if (const char* named = std::getenv("SCALEOUT_TRANSPORT"); named != nullptr && *named != '\0') return named;
  const char* pml = std::getenv("OMPI_MCA_pml");
  if (pml == nullptr) return "default";
  const char* btl = std::getenv("OMPI_MCA_btl");
  std::string choice = pml;
  if (choice == "ob1" && btl != nullptr && std::string(btl).find("tcp") != std::string::npos) return "ob1-tcp";
  return choice;
}

}  // namespace scaleout::comm
