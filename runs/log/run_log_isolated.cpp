// read_run_log: the reader of run_log.cpp, run isolated (runs/log/isolated.hpp), its RunLog sent back
// over the child's pipe. HDF5 crashing or looping on a damaged string heap is the file's damage.
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "runs/log/hdf5.hpp"
#include "runs/log/isolated.hpp"
#include "runs/log/run_log.hpp"

namespace scaleout::runs {

namespace {

// RunLog across the isolated reader's pipe: sizes, then bytes, in this process's own layout (the
// child is a fork of the reader, so the layouts are the same).
class Packer {
 public:
  template <class T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void text(const std::string& t) {
    value(t.size());
    bytes += t;
  }
  template <class T>
  void values(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    value(v.size());
    bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  template <class V>
  void map(const std::map<std::string, V>& m) {
    value(m.size());
    for (const auto& [key, v] : m) {
      text(key);
      if constexpr (std::is_same_v<V, std::string>) {
        text(v);
      } else {
        value(v);
      }
    }
  }
  std::string bytes;
};

class Unpacker {
 public:
  explicit Unpacker(const std::string& bytes) : bytes_(bytes) {}
  template <class T>
  T value() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  std::string text() {
    const auto size = value<std::size_t>();
    return {take(size), size};
  }
  template <class T>
  std::vector<T> values() {
    const auto count = value<std::size_t>();
    if (count > (bytes_.size() - at_) / sizeof(T)) throw h5::Error("the isolated reader's answer is cut short");
    std::vector<T> v(count);
    if (count > 0) std::memcpy(v.data(), take(count * sizeof(T)), count * sizeof(T));
    return v;
  }
  template <class V>
  std::map<std::string, V> map() {
    std::map<std::string, V> m;
    for (auto count = value<std::size_t>(); count > 0; --count) {
      std::string key = text();
      if constexpr (std::is_same_v<V, std::string>) {
        m[key] = text();
      } else {
        m[key] = value<V>();
      }
    }
    return m;
  }

 private:
  const char* take(std::size_t size) {
    if (size > bytes_.size() - at_) throw h5::Error("the isolated reader's answer is cut short");
    const char* start = bytes_.data() + at_;
    at_ += size;
    return start;
  }
  const std::string& bytes_;
  std::size_t at_ = 0;
};

std::string pack(const RunLog& log) {
  Packer p;
  p.value(log.schema_version);
  p.text(log.status);
  p.text(log.config_yaml);
  p.text(log.status_message);
  p.values(log.steps);
  for (const std::size_t count : {log.op_rows, log.rank_rows, log.node_rows, log.program_ops}) p.value(count);
  p.map(log.summary);
  p.map(log.figures);
  p.map(log.environment);
  p.values(log.node_of_rank);
  p.value(log.checksummed);
  p.text(log.background);
  return std::move(p.bytes);
}

RunLog unpack(const std::string& bytes) {
  Unpacker u(bytes);
  RunLog log;
  log.schema_version = u.value<std::int64_t>();
  log.status = u.text();
  log.config_yaml = u.text();
  log.status_message = u.text();
  log.steps = u.values<analysis::StepRow>();
  for (std::size_t* count : {&log.op_rows, &log.rank_rows, &log.node_rows, &log.program_ops}) {
    *count = u.value<std::size_t>();
  }
  log.summary = u.map<double>();
  log.figures = u.map<double>();
  log.environment = u.map<std::string>();
  log.node_of_rank = u.values<int>();
  log.checksummed = u.value<bool>();
  log.background = u.text();
  return log;
}

// Time enough for a sound log: HDF5 reads a log at well over 8 MiB/s here (a million-row /steps is a
// second); 5 s more for a slow file system. A sound log of a few MB reads in milliseconds.
double reading_deadline(const std::string& path) {
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  return 5.0 + (error ? 0.0 : static_cast<double>(bytes) / (8 << 20));
}

}  // namespace

RunLog read_run_log(const std::string& path) { return read_run_log(path, reading_deadline(path)); }

RunLog read_run_log(const std::string& path, double deadline_s) {
  try {
    return unpack(run_isolated([&] { return pack(read_run_log_in_process(path)); },
                               [](const std::exception& error) {
                                 return dynamic_cast<const h5::Damaged*>(&error) != nullptr ? "damaged" : "error";
                               },
                               deadline_s));
  } catch (const IsolatedFailure& failure) {
    if (failure.kind == IsolatedFailure::Kind::threw && failure.thrown_type == "error") throw h5::Error(failure.what());
    if (failure.kind == IsolatedFailure::Kind::threw) throw h5::Damaged(failure.what());
    throw h5::Damaged(fmt::format("{}: the log is damaged: {}", path, failure.what()));
  }
}

}  // namespace scaleout::runs
