#pragma once
// Thin checked wrappers over the HDF5 C API: one move-only RAII type per hid_t, closed with the
// function its kind needs, and every failing call turned into an exception carrying HDF5's own
// message (its error stack, printed nowhere else: automatic printing is turned off).

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace scaleout::h5 {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A checksum of the file did not match what it guards (HDF5's metadata checksums, or a table chunk's
// Fletcher32): the file is damaged.
class Damaged : public Error {
 public:
  using Error::Error;
};

// Throws Error("<what>: <HDF5's messages>") when `status` is negative (Damaged when a checksum failed);
// returns it otherwise.
hid_t check(hid_t status, const char* what);
// Turns HDF5's automatic error printing off (once per process).
void silence_errors();

class Object {
 public:
  using Close = herr_t (*)(hid_t);
  Object() noexcept = default;
  Object(hid_t id, Close close) noexcept : id_(id), close_(close) {}
  ~Object();
  Object(Object&& other) noexcept;
  Object& operator=(Object&& other) noexcept;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  hid_t id() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }

 private:
  void release() noexcept;
  hid_t id_ = H5I_INVALID_HID;
  Close close_ = nullptr;
};

// Truncates. The file is written in HDF5 1.8's format, whose object headers and superblock carry
// checksums (1.10's would also, but leaves a killed writer's file unreadable without h5clear).
Object create_file(const std::string& path);
enum class Access { read_only, read_write };
Object open_file(const std::string& path, Access access);
Object create_group(hid_t parent, const char* name);
// Groups and datasets of the file itself: an external or soft link is an Error, never followed.
Object open_group(hid_t parent, const char* name);
Object open_dataset(hid_t parent, const char* name);
bool exists(hid_t parent, const char* name);

// Attributes: scalars and strings (variable-length UTF-8, which h5py reads as str). The readers refuse
// (Error naming the attribute) one that holds more or fewer than one value, or a value of another kind.
void write_attribute(hid_t object, const char* name, const std::string& value);
void write_attribute(hid_t object, const char* name, double value);
void write_attribute(hid_t object, const char* name, std::int64_t value);
std::string read_string_attribute(hid_t object, const char* name);
double read_double_attribute(hid_t object, const char* name);
std::int64_t read_int_attribute(hid_t object, const char* name);
bool has_attribute(hid_t object, const char* name);
std::vector<std::string> attribute_names(hid_t object);
bool is_string_attribute(hid_t object, const char* name);

// A compound type built field by field: name, offset in the C++ struct, HDF5 type.
class CompoundType {
 public:
  explicit CompoundType(std::size_t size);
  CompoundType& field(const char* name, std::size_t offset, hid_t type);
  hid_t id() const noexcept { return type_.id(); }

 private:
  Object type_;
};
// A field of struct `type` under its own name: t.SCALEOUT_FIELD(StepRow, step, H5T_NATIVE_INT32).
#define SCALEOUT_FIELD(type, name, h5type) field(#name, offsetof(type, name), h5type)
// The variable-length UTF-8 string type (for `const char*` fields and datasets of strings).
Object string_type();

// A one-dimensional, chunked, extendible table of `type` rows, appended to as a run goes; each chunk
// carries a Fletcher32 checksum, verified by HDF5 whenever the chunk is read.
class Table {
 public:
  // Whether chunks carry Fletcher32 checksums: always in a run log; `none` is the reference of the
  // benchmark that measures their cost (tests/bench/log_checksums.cpp).
  enum class Checksums { fletcher32, none };
  Table() = default;
  Table(hid_t parent, const char* name, hid_t type, std::size_t chunk_rows,
        Checksums checksums = Checksums::fletcher32);
  void append(const void* rows, std::size_t count);
  std::size_t size() const noexcept { return rows_; }

 private:
  Object dataset_;
  Object type_;  // a copy of the row type
  std::size_t rows_ = 0;
};

std::size_t row_count(hid_t dataset);
// Throws Error naming `name` when the table declares more rows than its storage holds (unwritten rows
// read as fill values, and a reader would allocate them whole: 3e7 declared took 7 GB).
void check_declared_rows(hid_t dataset, const char* name);
// Whether the dataset's chunks carry Fletcher32 checksums (logs written before they were added have none).
bool has_checksums(hid_t dataset);
// Reads every chunk of a table (one numeric column, a slice at a time), so that HDF5 checks each
// chunk's checksum: Damaged names `name` when one does not match.
void verify_checksums(hid_t dataset, const char* name);
// Reads every row of a one-dimensional dataset into `out` (rows of `type`'s memory layout).
void read_rows(hid_t dataset, hid_t type, void* out, const char* name);

// A one-dimensional dataset of strings.
void write_strings(hid_t parent, const char* name, const std::vector<std::string>& values);
std::vector<std::string> read_strings(hid_t parent, const char* name);

// An n-dimensional dataset of numbers (row-major, `dims` its shape) with a "units" attribute ("" for
// none): matrices of a fabric test and their raw samples.
void write_array(hid_t parent, const char* name, std::span<const double> values, const std::vector<hsize_t>& dims,
                 const std::string& units);
void write_array(hid_t parent, const char* name, std::span<const std::int64_t> values, const std::vector<hsize_t>& dims,
                 const std::string& units);

}  // namespace scaleout::h5
