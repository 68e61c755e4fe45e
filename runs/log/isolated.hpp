#pragma once
// A library call that may crash or never return on a damaged file, run where neither can take the
// command with it. HDF5 checks its metadata's and the tables' checksums, but the heap that holds a
// log's strings has none: a damaged one crashed HDF5's H5HG_read, or looped in it for ever. Such a
// read runs in a forked child with a deadline; its crash or its overrun is the file's damage, said in
// words, and the command goes on with its own exit status.

#include <functional>
#include <stdexcept>
#include <string>

namespace scaleout::runs {

// What the isolated call threw (its message), or why it ended without an answer.
struct IsolatedFailure : std::runtime_error {
  enum class Kind { threw, crashed, overran };
  IsolatedFailure(Kind kind, const std::string& message) : std::runtime_error(message), kind(kind) {}
  Kind kind;
  std::string thrown_type;  // Kind::threw: "damaged" or "error" as `body` classified it
  int exit_status = 0;      // Kind::crashed by exiting: its status (a sanitizer's report exits so)
};

// Runs `body` in a child process and returns the bytes it returned. Its exception comes back as
// IsolatedFailure(threw) with its message and `classify(exception)` as thrown_type; a signal that
// ended it, or an exit without an answer, as IsolatedFailure(crashed, ...); no answer within `seconds` kills it and is
// IsolatedFailure(overran). Only for processes without MPI or threads of their own (report, compare).
std::string run_isolated(const std::function<std::string()>& body,
                         const std::function<std::string(const std::exception&)>& classify, double seconds);

}  // namespace scaleout::runs
