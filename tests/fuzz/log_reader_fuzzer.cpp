// libFuzzer target over the run-log reader: any bytes as an HDF5 file image, written to a file and
// read as report and compare read it. The reader's promise (docs/reliability.md): a RunLog or an
// h5::Error naming the file, within its deadline, whatever the bytes. HDF5's own crashes and loops on
// a damaged string heap are absorbed by the isolated reader (runs/log/isolated.hpp: a crash, or an
// overrun of its deadline) and are no finding; a sanitizer's report in the reader (ASAN_OPTIONS
// exitcode=86, handle_segv=0: HDF5's SIGSEGV stays a signal) or an exception of another kind is.
// One sanitizer report is HDF5's crash seen early: a damaged heap object's length makes H5HG_read
// memcpy exabytes, which ASan's memcpy interceptor reports (memcpy-param-overlap) before the SIGSEGV
// an uninstrumented run absorbs. A report whose first frame past the sanitizer's interceptors lies in
// libhdf5 therefore ends the child as a crash of the library (status 87), not as a finding.
// An input the child read without crashing is read again here, in the fuzzer's own process, so that
// libFuzzer sees the reader's coverage (a child's counters never reach it) and the sanitizers watch
// it directly. Seeded by .ci/checks
// with real logs, whole and damaged (tests/CMakeLists.txt).
#include <dlfcn.h>
#include <sanitizer/asan_interface.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "runs/log/hdf5.hpp"
#include "runs/log/isolated.hpp"
#include "runs/log/run_log.hpp"

namespace {

constexpr int sanitizer_exit_status = 86;  // ASAN_OPTIONS=exitcode=86 in the fuzz test
constexpr int library_fault_status = 87;   // a sanitizer report raised inside HDF5

// The object file holding the first frame of a sanitizer report's stack that is not the sanitizer's
// own (its interceptors: "__interceptor_memcpy", "__asan_memcpy"); "" when none resolves.
std::string faulting_object(const char* report) {
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) {
    unsigned frame = 0;
    void* pc = nullptr;
    char function[256] = {};
    if (std::sscanf(line.c_str(), " #%u %p in %255s", &frame, &pc, function) != 3) continue;
    const std::string name = function;
    if (name.find("interceptor") != std::string::npos || name.rfind("__asan", 0) == 0 ||
        name.rfind("__sanitizer", 0) == 0) {
      continue;
    }
    Dl_info info{};
    return ::dladdr(pc, &info) != 0 && info.dli_fname != nullptr ? info.dli_fname : "";
  }
  return "";
}

// In the child: a report raised inside HDF5 ends it as the library's crash; any other stands.
void on_sanitizer_report(const char* report) {
  if (faulting_object(report).find("libhdf5") != std::string::npos) ::_exit(library_fault_status);
}

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
          __asan_set_error_report_callback(on_sanitizer_report);
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
