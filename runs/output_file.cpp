#include "runs/output_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace scaleout::runs {

namespace fs = std::filesystem;

std::string unwritable_reason(const std::string& path) {
  if (path.empty()) return "no file name given";
  if (path.size() >= PATH_MAX) return fmt::format("a path of {} bytes is longer than the system allows", path.size());
  const std::string name = fs::path(path).filename().string();
  if (name.size() > NAME_MAX) {
    return fmt::format("a file name of {} bytes is longer than the {} the system allows", name.size(), NAME_MAX);
  }
  std::error_code error;
  if (fs::is_directory(path, error)) return "is a folder, not a file";
  if (fs::is_symlink(fs::symlink_status(path, error)) && !fs::exists(path, error)) {
    return fmt::format("it is a symbolic link to {}, which does not exist", fs::read_symlink(path, error).string());
  }
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (!fs::is_directory(parent, error)) return fmt::format("its folder {} does not exist", parent.string());
  if (::access(parent.c_str(), W_OK) != 0) {
    return fmt::format("its folder {} is not writable ({})", parent.string(), std::strerror(errno));
  }
  // A file system out of inodes refuses a new file whatever its free space (ENOSPC at creation).
  if (struct statvfs system{}; ::statvfs(parent.c_str(), &system) == 0 && system.f_files > 0 && system.f_favail == 0 &&
                               !fs::exists(path, error)) {
    return "its file system has no free inodes for a new file";
  }
  // A device, a pipe or a socket is never an output: logs are replaced (and reports renamed over)
  // whole, which would remove /dev/null itself when run as root.
  if (fs::exists(path, error) && !fs::is_regular_file(path, error)) return "it exists and is not a regular file";
  if (fs::exists(path, error) && ::access(path.c_str(), W_OK) != 0) {
    return fmt::format("it exists and is not writable ({})", std::strerror(errno));
  }
  return "";
}

bool locked_by_a_writer(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  // A shared lock is refused only while another holds an exclusive one; taken, it is let go at once.
  const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return locked;
}

std::string output_problem(const std::string& path, const OutputPolicy& policy) {
  std::error_code error;
  for (const auto& input : policy.inputs) {
    if (fs::equivalent(path, input, error)) return fmt::format("it is {}, an input of this command", input);
  }
  if (fs::exists(path, error) && !policy.overwrite) return fmt::format("it exists; {}", policy.how_to_overwrite);
  if (std::string reason = unwritable_reason(path); !reason.empty()) return reason;
  if (locked_by_a_writer(path)) return "another process is writing it (it holds the file's lock); choose another path";
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
