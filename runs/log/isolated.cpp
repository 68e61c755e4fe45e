#include "runs/log/isolated.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

namespace scaleout::runs {

namespace {

// Writes all of `bytes`, or gives up (the parent has gone or closed its end).
void write_all(int fd, const std::string& bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;
    done += static_cast<std::size_t>(wrote);
  }
}

// The child's answer: 'R' and the bytes, or 'E', the type's length and name, and the message.
[[noreturn]] void answer_and_exit(int fd, const std::function<std::string()>& body,
                                  const std::function<std::string(const std::exception&)>& classify) {
  std::string reply;
  try {
    reply = "R" + body();
  } catch (const std::exception& error) {
    const std::string type = classify(error);
    reply = "E" + std::string(1, static_cast<char>(type.size())) + type + error.what();
  }
  write_all(fd, reply);
  ::close(fd);
  ::_exit(0);  // no atexit handlers: the parent's libraries (HDF5's) are the parent's to close
}

}  // namespace

std::string run_isolated(const std::function<std::string()>& body,
                         const std::function<std::string(const std::exception&)>& classify, double seconds) {
  int ends[2];
  if (::pipe(ends) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(ends[0]);
    ::close(ends[1]);
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (child == 0) {
    ::close(ends[0]);
    answer_and_exit(ends[1], body, classify);
  }
  ::close(ends[1]);
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  bool overran = false;
  for (char block[65536];;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      overran = true;
      break;
    }
    pollfd wait{ends[0], POLLIN, 0};
    const int ready = ::poll(&wait, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t got = ::read(ends[0], block, sizeof block);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    reply.append(block, static_cast<std::size_t>(got));
  }
  ::close(ends[0]);
  if (overran) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (overran) {
    throw IsolatedFailure(IsolatedFailure::Kind::overran, fmt::format("reading it did not end in {:g} s", seconds));
  }
  if (WIFSIGNALED(status) || reply.empty()) {
    IsolatedFailure failure(IsolatedFailure::Kind::crashed,
                            WIFSIGNALED(status)
                                ? fmt::format("reading it crashed the library (signal {})", WTERMSIG(status))
                                : fmt::format("reading it crashed the library (the reader exited with status {})",
                                              WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    failure.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    throw failure;
  }
  if (reply[0] == 'E' && reply.size() >= 2) {
    const auto length = static_cast<std::size_t>(static_cast<unsigned char>(reply[1]));
    IsolatedFailure failure(IsolatedFailure::Kind::threw, reply.substr(2 + std::min(length, reply.size() - 2)));
    failure.thrown_type = reply.substr(2, length);
    throw failure;
  }
  return reply.substr(1);
}

}  // namespace scaleout::runs
