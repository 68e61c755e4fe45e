#include "runs/log/hdf5.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runs/input_file.hpp"
#include "runs/output_file.hpp"

namespace scaleout::h5 {

namespace {

struct ErrorStack {
  std::string system;              // the operating system's word, from the file driver
  std::vector<std::string> descs;  // HDF5's own, innermost first
};

herr_t collect_message(unsigned, const H5E_error2_t* error, void* data) {
  auto& stack = *static_cast<ErrorStack*>(data);
  if (error->desc == nullptr || *error->desc == '\0') return 0;
  const std::string desc = error->desc;
  // The POSIX driver's message spans lines and quotes errno's text: keep only that text.
  const std::string marker = "error message = '";
  if (const auto at = desc.find(marker); at != std::string::npos) {
    const auto begin = at + marker.size();
    if (stack.system.empty()) stack.system = desc.substr(begin, desc.find('\'', begin) - begin);
    return 0;
  }
  if (desc.find('\n') == std::string::npos) stack.descs.push_back(desc);
  return 0;
}

// A checksum's failure, anywhere in the stack: HDF5's metadata ("incorrect metadata checksum") or a
// chunk's Fletcher32 ("data error detected by Fletcher32 checksum").
bool checksum_failed(const ErrorStack& stack) {
  return std::any_of(stack.descs.begin(), stack.descs.end(),
                     [](const std::string& desc) { return desc.find("checksum") != std::string::npos; });
}

std::string error_stack_text(ErrorStack& stack) {
  // The innermost few say what failed; the rest repeat it up the library's layers.
  constexpr std::size_t kept = 3;
  if (stack.descs.size() > kept) stack.descs.resize(kept);
  std::string text = stack.system;
  for (const auto& desc : stack.descs) text += (text.empty() ? "" : "; ") + desc;
  return text.empty() ? "unknown HDF5 error" : text;
}

}  // namespace

void silence_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

hid_t check(hid_t status, const char* what) {
  if (status >= 0) return status;
  ErrorStack stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_message, &stack);
  H5Eclear2(H5E_DEFAULT);
  if (checksum_failed(stack)) throw Damaged(fmt::format("{}: a checksum does not match what it guards", what));
  throw Error(fmt::format("{}: {}", what, error_stack_text(stack)));
}

Object::~Object() { release(); }

Object::Object(Object&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(std::exchange(other.close_, nullptr)) {}

Object& Object::operator=(Object&& other) noexcept {
  if (this != &other) {
    release();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    close_ = std::exchange(other.close_, nullptr);
  }
  return *this;
}

void Object::release() noexcept {
  if (id_ >= 0 && close_ != nullptr) close_(id_);
  id_ = H5I_INVALID_HID;
}

Object create_file(const std::string& path) {
  // H5Fcreate truncates the file before its own lock check fails, so a log another job writes would
  // be destroyed and that job report it complete: look first, and refuse while a writer holds it.
  if (runs::locked_by_a_writer(path)) throw Error("another process is writing it (it holds the file's lock)");
  silence_errors();
  const Object access(check(H5Pcreate(H5P_FILE_ACCESS), "creating the file"), H5Pclose);
  check(H5Pset_libver_bounds(access.id(), H5F_LIBVER_V18, H5F_LIBVER_V18), "creating the file");
  return {check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.id()), "creating the file"), H5Fclose};
}

Object open_file(const std::string& path, Access access) {
  // HDF5 opens and seeks in what it is given: a FIFO would block the open, a device never end.
  if (const std::string problem = runs::input_problem(path); !problem.empty()) throw Error(problem);
  silence_errors();
  return {check(H5Fopen(path.c_str(), access == Access::read_write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT),
                "opening the file"),
          H5Fclose};
}

Object create_group(hid_t parent, const char* name) {
  return {check(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name), H5Gclose};
}

namespace {
// An object of the file itself: an external link would open (and could hang on) another file, a soft
// link read what it points at elsewhere in this one. A missing name is left to the open to report.
void require_own(hid_t parent, const char* name) {
  H5L_info_t link{};
  if (std::string_view(name) == "/" || H5Lget_info(parent, name, &link, H5P_DEFAULT) < 0) return;
  if (link.type != H5L_TYPE_HARD) throw Error(fmt::format("{}: a link to elsewhere, not an object of the file", name));
}
}  // namespace

Object open_group(hid_t parent, const char* name) {
  require_own(parent, name);
  return {check(H5Gopen2(parent, name, H5P_DEFAULT), name), H5Gclose};
}

Object open_dataset(hid_t parent, const char* name) {
  require_own(parent, name);
  return {check(H5Dopen2(parent, name, H5P_DEFAULT), name), H5Dclose};
}

bool exists(hid_t parent, const char* name) { return check(H5Lexists(parent, name, H5P_DEFAULT), name) > 0; }

Object string_type() {
  Object type(check(H5Tcopy(H5T_C_S1), "string type"), H5Tclose);
  check(H5Tset_size(type.id(), H5T_VARIABLE), "string type");
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), "string type");
  return type;
}

namespace {

void write_scalar_attribute(hid_t object, const char* name, hid_t type, const void* value) {
  if (H5Aexists(object, name) > 0) check(H5Adelete(object, name), name);
  Object space(check(H5Screate(H5S_SCALAR), name), H5Sclose);
  Object attribute(check(H5Acreate2(object, name, type, space.id(), H5P_DEFAULT, H5P_DEFAULT), name), H5Aclose);
  check(H5Awrite(attribute.id(), type, value), name);
}

Object open_attribute(hid_t object, const char* name) {
  return {check(H5Aopen(object, name, H5P_DEFAULT), name), H5Aclose};
}

// The attribute, once its dataspace is known to hold one value: a reader of one value given an array
// would write past it (an attribute of 4000 integers read into one).
Object open_scalar_attribute(hid_t object, const char* name) {
  Object attribute = open_attribute(object, name);
  const Object space(check(H5Aget_space(attribute.id()), name), H5Sclose);
  const hssize_t values = H5Sget_simple_extent_npoints(space.id());
  if (values != 1) throw Error(fmt::format("{}: holds {} values where one is expected", name, values));
  return attribute;
}

}  // namespace

void write_attribute(hid_t object, const char* name, const std::string& value) {
  const Object type = string_type();
  const char* text = value.c_str();
  write_scalar_attribute(object, name, type.id(), &text);
}

void write_attribute(hid_t object, const char* name, double value) {
  write_scalar_attribute(object, name, H5T_NATIVE_DOUBLE, &value);
}

void write_attribute(hid_t object, const char* name, std::int64_t value) {
  write_scalar_attribute(object, name, H5T_NATIVE_INT64, &value);
}

bool has_attribute(hid_t object, const char* name) { return check(H5Aexists(object, name), name) > 0; }

namespace {
herr_t collect_attribute_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> attribute_names(hid_t object) {
  std::vector<std::string> names;
  hsize_t index = 0;
  check(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute_name, &names), "attributes");
  return names;
}

bool is_string_attribute(hid_t object, const char* name) {
  const Object attribute = open_attribute(object, name);
  const Object stored(check(H5Aget_type(attribute.id()), name), H5Tclose);
  return H5Tget_class(stored.id()) == H5T_STRING;
}

std::string read_string_attribute(hid_t object, const char* name) {
  const Object attribute = open_scalar_attribute(object, name);
  const Object stored(check(H5Aget_type(attribute.id()), name), H5Tclose);
  if (H5Tget_class(stored.id()) != H5T_STRING) throw Error(fmt::format("{}: not a string", name));
  if (H5Tis_variable_str(stored.id()) > 0) {
    const Object type = string_type();
    char* text = nullptr;
    check(H5Aread(attribute.id(), type.id(), &text), name);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(stored.id()), '\0');
  check(H5Aread(attribute.id(), stored.id(), value.data()), name);
  return value.substr(0, value.find('\0'));
}

double read_double_attribute(hid_t object, const char* name) {
  const Object attribute = open_scalar_attribute(object, name);
  const Object stored(check(H5Aget_type(attribute.id()), name), H5Tclose);
  const H5T_class_t kind = H5Tget_class(stored.id());
  if (kind != H5T_FLOAT && kind != H5T_INTEGER) throw Error(fmt::format("{}: not a number", name));
  double value = 0;
  check(H5Aread(attribute.id(), H5T_NATIVE_DOUBLE, &value), name);
  return value;
}

std::int64_t read_int_attribute(hid_t object, const char* name) {
  const Object attribute = open_scalar_attribute(object, name);
  const Object stored(check(H5Aget_type(attribute.id()), name), H5Tclose);
  // HDF5 would convert 3.5 to 3: an integer is stored as one.
  if (H5Tget_class(stored.id()) != H5T_INTEGER) throw Error(fmt::format("{}: not an integer", name));
  std::int64_t value = 0;
  check(H5Aread(attribute.id(), H5T_NATIVE_INT64, &value), name);
  return value;
}

CompoundType::CompoundType(std::size_t size) : type_(check(H5Tcreate(H5T_COMPOUND, size), "compound type"), H5Tclose) {}

CompoundType& CompoundType::field(const char* name, std::size_t offset, hid_t type) {
  check(H5Tinsert(type_.id(), name, offset, type), name);
  return *this;
}

Table::Table(hid_t parent, const char* name, hid_t type, std::size_t chunk_rows, Checksums checksums)
    : type_(check(H5Tcopy(type), name), H5Tclose) {
  const hsize_t initial = 0, unlimited = H5S_UNLIMITED, chunk = chunk_rows;
  Object space(check(H5Screate_simple(1, &initial, &unlimited), name), H5Sclose);
  Object properties(check(H5Pcreate(H5P_DATASET_CREATE), name), H5Pclose);
  check(H5Pset_chunk(properties.id(), 1, &chunk), name);
  if (checksums == Checksums::fletcher32) check(H5Pset_fletcher32(properties.id()), name);
  dataset_ =
      Object(check(H5Dcreate2(parent, name, type_.id(), space.id(), H5P_DEFAULT, properties.id(), H5P_DEFAULT), name),
             H5Dclose);
}

void Table::append(const void* rows, std::size_t count) {
  if (count == 0) return;
  const hsize_t start = rows_, added = count, total = rows_ + count;
  check(H5Dset_extent(dataset_.id(), &total), "extending a table");
  Object file_space(check(H5Dget_space(dataset_.id()), "extending a table"), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, &start, nullptr, &added, nullptr), "extending a table");
  Object memory_space(check(H5Screate_simple(1, &added, nullptr), "extending a table"), H5Sclose);
  check(H5Dwrite(dataset_.id(), type_.id(), memory_space.id(), file_space.id(), H5P_DEFAULT, rows), "writing rows");
  rows_ = total;
}

std::size_t row_count(hid_t dataset) {
  Object space(check(H5Dget_space(dataset), "dataset shape"), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.id()) != 1) throw Error("expected a one-dimensional dataset");
  hsize_t rows = 0;
  H5Sget_simple_extent_dims(space.id(), &rows, nullptr);
  return rows;
}

void check_declared_rows(hid_t dataset, const char* name) {
  const Object stored(check(H5Dget_type(dataset), name), H5Tclose);
  const std::uint64_t declared = row_count(dataset), row_bytes = std::max<std::uint64_t>(H5Tget_size(stored.id()), 1);
  const std::uint64_t held = H5Dget_storage_size(dataset) / row_bytes;
  if (declared > held) throw Error(fmt::format("{}: declares {} rows but holds the bytes of {}", name, declared, held));
}

bool has_checksums(hid_t dataset) {
  const Object properties(check(H5Dget_create_plist(dataset), "dataset properties"), H5Pclose);
  unsigned flags = 0;
  std::size_t values = 0;
  const bool found =
      H5Pget_filter_by_id2(properties.id(), H5Z_FILTER_FLETCHER32, &flags, &values, nullptr, 0, nullptr, nullptr) >= 0;
  H5Eclear2(H5E_DEFAULT);  // a filter not found leaves its error behind
  return found;
}

void verify_checksums(hid_t dataset, const char* name) {
  check_declared_rows(dataset, name);
  const Object stored(check(H5Dget_type(dataset), name), H5Tclose);
  // One numeric column is enough: a chunk is checked whole whenever any of it is read.
  const int members = H5Tget_class(stored.id()) == H5T_COMPOUND ? H5Tget_nmembers(stored.id()) : 0;
  int column = -1;
  for (int m = 0; m < members && column < 0; ++m) {
    const Object member(check(H5Tget_member_type(stored.id(), static_cast<unsigned>(m)), name), H5Tclose);
    const H5T_class_t kind = H5Tget_class(member.id());
    if (kind == H5T_INTEGER || kind == H5T_FLOAT) column = m;
  }
  if (column < 0) throw Error(fmt::format("{}: not a table with a numeric column", name));
  char* member_name = H5Tget_member_name(stored.id(), static_cast<unsigned>(column));
  if (member_name == nullptr) throw Error(fmt::format("{}: a column without a name", name));
  CompoundType one(sizeof(double));
  one.field(member_name, 0, H5T_NATIVE_DOUBLE);
  H5free_memory(member_name);

  const Object space(check(H5Dget_space(dataset), name), H5Sclose);
  const hsize_t rows = row_count(dataset);
  constexpr hsize_t slice = 65536;
  std::vector<double> values(static_cast<std::size_t>(std::min(rows, slice)));
  for (hsize_t start = 0; start < rows; start += slice) {
    const hsize_t count = std::min(slice, rows - start);
    check(H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, &start, nullptr, &count, nullptr), name);
    const Object memory(check(H5Screate_simple(1, &count, nullptr), name), H5Sclose);
    check(H5Dread(dataset, one.id(), memory.id(), space.id(), H5P_DEFAULT, values.data()), name);
  }
}

void read_rows(hid_t dataset, hid_t type, void* out, const char* name) {
  check(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), name);
}

void write_strings(hid_t parent, const char* name, const std::vector<std::string>& values) {
  const Object type = string_type();
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& value : values) pointers.push_back(value.c_str());
  const hsize_t count = values.size();
  Object space(check(H5Screate_simple(1, &count, nullptr), name), H5Sclose);
  Object dataset(check(H5Dcreate2(parent, name, type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name),
                 H5Dclose);
  if (count > 0) check(H5Dwrite(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), name);
}

std::vector<std::string> read_strings(hid_t parent, const char* name) {
  const Object dataset = open_dataset(parent, name);
  const Object type = string_type();
  std::vector<char*> pointers(row_count(dataset.id()), nullptr);
  if (!pointers.empty()) check(H5Dread(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), name);
  std::vector<std::string> values;
  for (char* text : pointers) {
    values.emplace_back(text != nullptr ? text : "");
    H5free_memory(text);
  }
  return values;
}

namespace {

void write_numbers(hid_t parent, const char* name, hid_t type, const void* values, std::size_t count,
                   const std::vector<hsize_t>& dims, const std::string& units) {
  hsize_t elements = 1;
  for (const hsize_t d : dims) elements *= d;
  if (elements != count) throw Error(fmt::format("{}: {} values for a shape of {}", name, count, elements));
  Object space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), name), H5Sclose);
  Object dataset(check(H5Dcreate2(parent, name, type, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name),
                 H5Dclose);
  if (count > 0) check(H5Dwrite(dataset.id(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), name);
  if (!units.empty()) write_attribute(dataset.id(), "units", units);
}

}  // namespace

void write_array(hid_t parent, const char* name, std::span<const double> values, const std::vector<hsize_t>& dims,
                 const std::string& units) {
  write_numbers(parent, name, H5T_NATIVE_DOUBLE, values.data(), values.size(), dims, units);
}

void write_array(hid_t parent, const char* name, std::span<const std::int64_t> values, const std::vector<hsize_t>& dims,
                 const std::string& units) {
  write_numbers(parent, name, H5T_NATIVE_INT64, values.data(), values.size(), dims, units);
}

}  // namespace scaleout::h5
