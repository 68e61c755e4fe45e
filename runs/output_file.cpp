#include "runs/output_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace scaleout::runs {

namespace fs = std::filesystem;

std::string unwritable_reason(const std::string& path) {
  if (path.empty()) return "no file name given";
  std::error_code error;
  if (fs::is_directory(path, error)) return "is a folder, not a file";
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (!fs::is_directory(parent, error)) return fmt::format("its folder {} does not exist", parent.string());
  if (::access(parent.c_str(), W_OK) != 0) {
    return fmt::format("its folder {} is not writable ({})", parent.string(), std::strerror(errno));
  }
  // A device, a pipe or a socket is never an output: logs are replaced (and reports renamed over)
  // whole, which would remove /dev/null itself when run as root.
  if (fs::exists(path, error) && !fs::is_regular_file(path, error)) return "it exists and is not a regular file";
  if (fs::exists(path, error) && ::access(path.c_str(), W_OK) != 0) {
    return fmt::format("it exists and is not writable ({})", std::strerror(errno));
  }
  return "";
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = fmt::format("{}.partial-{}", path, ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      const std::string why = std::strerror(errno);
      std::error_code ignored;
      fs::remove(temporary, ignored);
      throw std::runtime_error(fmt::format("cannot write {}: {}", path, why));
    }
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    fs::remove(temporary, error);
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, error.message()));
  }
}

}  // namespace scaleout::runs
