#pragma once
// Thin checked wrappers: an MPI error on one of the tool's own communicators becomes an exception
// that carries MPI's own error string, so the message a user sees is the library's, not a code.

#include <stdexcept>
#include <string>
#include <string_view>

namespace scaleout::comm {

class MpiError : public std::runtime_error {
 public:
  MpiError(std::string_view call, int code);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// MPI's description of an error code (MPI_Error_string).
std::string error_string(int code);

// Throws MpiError when `code` is not MPI_SUCCESS; `call` names the MPI function for the message.
inline void check(int code, std::string_view call) {
  if (code != 0) throw MpiError(call, code);  // MPI_SUCCESS is 0 by the standard
}

}  // namespace scaleout::comm
