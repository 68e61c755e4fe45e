#include "runs/input_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runs/sizes.hpp"
#include "runs/usage_error.hpp"

namespace scaleout::runs {

namespace {

std::string kind_problem(mode_t mode, bool pipe_allowed) {
  if (S_ISREG(mode) || (pipe_allowed && S_ISFIFO(mode))) return "";
  if (S_ISDIR(mode)) return "is a folder, not a file";
  if (S_ISFIFO(mode)) return "is a FIFO (named pipe), not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a regular file";
  return "is not a regular file";
}

// A file descriptor closed on every path out.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string input_problem(const std::string& path) {
  if (path.empty()) return "no file name given";
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    return errno == ENOENT ? "no such file" : fmt::format("cannot be read ({})", std::strerror(errno));
  }
  if (std::string kind = kind_problem(status.st_mode, false); !kind.empty()) return kind;
  if (::access(path.c_str(), R_OK) != 0) return fmt::format("cannot be read ({})", std::strerror(errno));
  return "";
}

std::string read_input_file(const std::string& path, std::uint64_t largest, const std::string& what) {
  if (path.empty()) throw UsageError("no file name given");
  // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer; what was
  // opened is then judged by the descriptor itself, so no rename in between can change the answer.
  const Descriptor file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) {
    throw UsageError(fmt::format(
        "{}: {}", path, errno == ENOENT ? "no such file" : fmt::format("cannot be read ({})", std::strerror(errno))));
  }
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) {
    throw UsageError(fmt::format("{}: cannot be read ({})", path, std::strerror(errno)));
  }
  if (std::string kind = kind_problem(status.st_mode, true); !kind.empty()) {
    throw UsageError(fmt::format("{}: {}", path, kind));
  }
  // A pipe is read to its end as any reader of stdin would; with no writer, that end is at once.
  if (S_ISFIFO(status.st_mode) && ::fcntl(file.get(), F_SETFL, ::fcntl(file.get(), F_GETFL) & ~O_NONBLOCK) != 0) {
    throw UsageError(fmt::format("{}: cannot be read ({})", path, std::strerror(errno)));
  }
  const auto too_large = [&] {
    return UsageError(fmt::format("{}: larger than {}; not {}", path, format_bytes(largest), what));
  };
  if (S_ISREG(status.st_mode) && static_cast<std::uint64_t>(status.st_size) > largest) throw too_large();
  // Read to the end, still bounded: a file may grow while it is read.
  std::string text;
  char block[65536];
  for (;;) {
    const ssize_t got = ::read(file.get(), block, sizeof block);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw UsageError(fmt::format("{}: cannot be read ({})", path, std::strerror(errno)));
    if (got == 0) break;
    text.append(block, static_cast<std::size_t>(got));
    if (text.size() > largest) throw too_large();
  }
  return text;
}

}  // namespace scaleout::runs
