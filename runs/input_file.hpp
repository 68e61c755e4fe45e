#pragma once
// Input files: read only when they are regular files (or a pipe, for text), and never past a bound. A
// FIFO blocked open() until a writer came, a device (/dev/zero) never ends, and a folder reads as an
// error deep in a parser; each is refused up front with its kind named (docs/reliability.md).

#include <cstdint>
#include <string>

namespace scaleout::runs {

// Why `path` is not an input a library may open and seek in (missing, unreadable, or a folder, FIFO,
// device or socket), or "". Symbolic links are followed: what counts is the file they name.
std::string input_problem(const std::string& path);

// The whole text of `path`, a regular file or a pipe (mpiexec hands rank 0's stdin on through one),
// refused (UsageError "PATH: why") when it is neither or holds more than `largest` bytes; `what` names
// the file's kind in the size message ("a config file"). A FIFO is opened without waiting for a
// writer: with none it reads as empty.
std::string read_input_file(const std::string& path, std::uint64_t largest, const std::string& what);

}  // namespace scaleout::runs
