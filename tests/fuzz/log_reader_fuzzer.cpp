// libFuzzer target over the run-log reader: any bytes as an HDF5 file image, written to a file and
// read as report and compare read it. The reader's promise (docs/reliability.md): a RunLog or an
// h5::Error naming the file, within its deadline, whatever the bytes. HDF5's own crashes and loops on
// a damaged string heap are absorbed by the isolated reader (runs/log/isolated.hpp: a crash, or an
// overrun of its deadline) and are no finding; a sanitizer's report in the reader (ASAN_OPTIONS
// exitcode=86, handle_segv=0: HDF5's SIGSEGV stays a signal) or an exception of another kind is.
// An input the child read without crashing is read again here, in the fuzzer's own process, so that
// libFuzzer sees the reader's coverage (a child's counters never reach it) and the sanitizers watch
// it directly. Seeded by .ci/checks
// with real logs, whole and damaged (tests/CMakeLists.txt).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "runs/log/hdf5.hpp"
#include "runs/log/isolated.hpp"
#include "runs/log/run_log.hpp"

namespace {

constexpr int sanitizer_exit_status = 86;  // ASAN_OPTIONS=exitcode=86 in the fuzz test

const std::string& image_path() {
  static const std::string path = "/tmp/scaleout-log-fuzz-" + std::to_string(::getpid()) + ".h5";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace scaleout;
  std::ofstream(image_path(), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  bool safe_here = true;
  try {
    (void)runs::run_isolated(
        [] {
          (void)runs::read_run_log_in_process(image_path());
          return std::string("read");
        },
        [](const std::exception& error) {
          // Only the reader's own errors are an answer; anything else escaping it is a finding.
          return dynamic_cast<const h5::Error*>(&error) != nullptr ? "error" : "other";
        },
        5.0);
  } catch (const runs::IsolatedFailure& failure) {
    using Kind = runs::IsolatedFailure::Kind;
    if (failure.kind == Kind::threw && failure.thrown_type == "other") std::abort();
    if (failure.kind == Kind::crashed && failure.exit_status == sanitizer_exit_status) std::abort();
    safe_here = failure.kind == Kind::threw;
  }
  if (!safe_here) return 0;
  try {
    (void)runs::read_run_log_in_process(image_path());
  } catch (const h5::Error&) {
  }
  return 0;
}
