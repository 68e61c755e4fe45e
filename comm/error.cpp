#include "comm/error.hpp"

#include <mpi.h>

#include <fmt/format.h>

namespace scaleout::comm {

std::string error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return fmt::format("MPI error {}", code);
  return std::string(text, static_cast<std::size_t>(length));
}

MpiError::MpiError(std::string_view call, int code)
    : std::runtime_error(fmt::format("{} failed: {}", call, error_string(code))), code_(code) {}

}  // namespace scaleout::comm
