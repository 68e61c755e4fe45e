#pragma once
// Disk space for the run log. A full file system must not cost a run its log: the space the log can
// grow to is checked before any communication and reserved when the log is created, so that another
// job filling the disk later cannot make a step's flush fail halfway. docs/reliability.md.

#include <cstdint>
#include <string>

namespace scaleout::runs {

// Bytes an unprivileged writer may still use on the file system that holds `path` (a file to be
// made: its folder is asked). Throws std::runtime_error when the file system cannot be asked.
std::uint64_t free_bytes_for(const std::string& path);

// Blocks reserved for a file beyond its end (fallocate with FALLOC_FL_KEEP_SIZE): writes inside the
// reservation cannot fail for want of space. The file's size is unchanged, so readers see only what
// was written; the unused tail is given back by release() or the destructor. Move-only (one fd).
class DiskReservation {
 public:
  DiskReservation() = default;
  // Reserves the first `bytes` of `path`'s blocks. Throws std::runtime_error naming the file when the
  // file system is full; a file system that cannot reserve (no fallocate) gives an inactive reservation.
  DiskReservation(const std::string& path, std::uint64_t bytes);
  DiskReservation(DiskReservation&& other) noexcept;
  DiskReservation& operator=(DiskReservation&& other) noexcept;
  DiskReservation(const DiskReservation&) = delete;
  DiskReservation& operator=(const DiskReservation&) = delete;
  ~DiskReservation();

  bool active() const noexcept { return fd_ >= 0; }
  std::uint64_t bytes() const noexcept { return bytes_; }
  // Gives back the reserved blocks past the file's end; idempotent.
  void release() noexcept;

 private:
  int fd_ = -1;
  std::uint64_t bytes_ = 0;
};

}  // namespace scaleout::runs
