#include "runs/job/mpi_main.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>

#include "comm/environment.hpp"
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

namespace {

// The length of the valid UTF-8 sequence of a printable character at `text[i]`, or 0.
std::size_t printable_sequence(std::string_view text, std::size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte >= 0x20 && byte < 0x7f) return 1;
  std::size_t length = 0;
  unsigned minimum = 0;
  unsigned code = 0;
  if ((byte & 0xe0) == 0xc0)
    length = 2, minimum = 0x80, code = byte & 0x1fu;
  else if ((byte & 0xf0) == 0xe0)
    length = 3, minimum = 0x800, code = byte & 0x0fu;
  else if ((byte & 0xf8) == 0xf0)
    length = 4, minimum = 0x10000, code = byte & 0x07u;
  else
    return 0;  // control characters, DEL, stray continuation bytes, invalid leads
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3fu);
  }
  const bool valid = code >= minimum && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) && code >= 0xa0;
  return valid ? length : 0;
}

}  // namespace

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (out.size() >= limit) return out + "...";
    if (const std::size_t length = printable_sequence(text, i); length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else if (text[i] == '\n') {
      out += "\\n";
      ++i;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
    }
  }
  return out;
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
