#include "runs/log/disk_space.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace scaleout::runs {

std::uint64_t free_bytes_for(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string folder = parent.empty() ? "." : parent.string();
  struct statvfs facts {};
  if (::statvfs(folder.c_str(), &facts) != 0) {
    throw std::runtime_error(
        fmt::format("cannot ask the file system of {} for its free space: {}", folder, std::strerror(errno)));
  }
  return static_cast<std::uint64_t>(facts.f_bavail) * facts.f_frsize;
}

DiskReservation::DiskReservation(const std::string& path, std::uint64_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw std::runtime_error(fmt::format("cannot open {} to reserve its space: {}", path, std::strerror(errno)));
  if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) == 0) return;
  const int error = errno;
  ::close(fd_);
  fd_ = -1;
  // File systems without fallocate (some network ones) and devices: the run goes on unreserved, as
  // any writer would; a full disk then fails the run with HDF5's message.
  if (error == EOPNOTSUPP || error == ENOSYS || error == ENODEV || error == ESPIPE) return;
  throw std::runtime_error(
      fmt::format("cannot reserve {} bytes for {} on its file system: {}", bytes, path, std::strerror(error)));
}

DiskReservation::DiskReservation(DiskReservation&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), bytes_(std::exchange(other.bytes_, 0)) {}

DiskReservation& DiskReservation::operator=(DiskReservation&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

DiskReservation::~DiskReservation() { release(); }

void DiskReservation::release() noexcept {
  if (fd_ < 0) return;
  struct stat facts {};
  if (::fstat(fd_, &facts) == 0 && static_cast<std::uint64_t>(facts.st_size) < bytes_) {
    // Truncating to the size it has frees the blocks past the end (ext4, xfs); punching them frees
    // them where truncation to the same size does nothing (tmpfs). Failing is harmless but for space.
    (void)::ftruncate(fd_, facts.st_size);
    (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, facts.st_size,
                      static_cast<off_t>(bytes_ - static_cast<std::uint64_t>(facts.st_size)));
  }
  ::close(fd_);
  fd_ = -1;
}

}  // namespace scaleout::runs
