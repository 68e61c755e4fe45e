#pragma once
// Output files: checked before any work, written whole or not at all.

#include <string>
#include <vector>

namespace scaleout::runs {

// Empty when `path` can be written (a sane name, its folder exists and is writable, its file system
// has free inodes, it is not a folder, a device or a dangling link); otherwise why not, in words.
std::string unwritable_reason(const std::string& path);

// What a command's output may replace.
struct OutputPolicy {
  bool overwrite = false;                                           // an existing file may be replaced
  const char* how_to_overwrite = "pass --overwrite to replace it";  // said when it may not
  std::vector<std::string> inputs{};                                // files the command reads: never replaced
};

// Why `path` cannot be this command's output, or "": it is one of its inputs (or a link to one); it
// exists and may not be replaced; another process is writing it (it holds an exclusive lock, as
// HDF5 does on a log it writes); or unwritable_reason.
std::string output_problem(const std::string& path, const OutputPolicy& policy);

// True when another process holds an exclusive lock (flock) on the existing file `path`: HDF5 holds
// one on every file it writes, for as long as it is open.
bool locked_by_a_writer(const std::string& path);

// Writes `text` to `path` through a temporary file in the same folder renamed over it.
// Throws std::runtime_error with the reason.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace scaleout::runs
