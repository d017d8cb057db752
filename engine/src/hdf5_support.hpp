// A thin layer over the HDF5 C API (internal to the engine): handles that
// close themselves, every call checked, and HDF5's own error stack turned
// into crmsim::IoError / FileFormatError with the file's name and HDF5's
// most specific message. HDF5 never prints to stderr from here.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "crmsim/lifecycle.hpp"
#include "crmsim/limits.hpp"

namespace crmsim::detail::h5 {

/// An HDF5 identifier that closes itself (file, group, dataset, space, type, property list, attribute).
class Id {
 public:
  Id() noexcept = default;
  explicit Id(hid_t id) noexcept : id_(id) {}
  ~Id() { reset(); }
  Id(Id&& other) noexcept : id_(other.id_) { other.id_ = H5I_INVALID_HID; }
  Id& operator=(Id&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      other.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;

  hid_t get() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ >= 0; }
  /// Closes the object now (errors on close are ignored).
  void reset() noexcept;
  /// Forgets the identifier without closing it (it was closed elsewhere).
  void release() noexcept { id_ = H5I_INVALID_HID; }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// Switches off HDF5's automatic error printing for the calling thread (the
/// error stack is per thread in a thread-safe HDF5). Every entry point of
/// the HDF5 layer calls it first.
void quiet() noexcept;

/// HDF5's most specific message on the calling thread's error stack ("" if
/// none), then clears the stack.
std::string take_error();

/// Where errors are reported: the file's name, and whether a failure means
/// the file is bad (reading: FileFormatError) or could not be written (IoError).
struct Context {
  std::string path;
  bool reading = false;
  [[noreturn]] void fail(const std::string& what) const;
  /// `id` if it is valid, else fail(what).
  hid_t check(hid_t id, const std::string& what) const {
    if (id < 0) fail(what);
    return id;
  }
  /// Fails with `what` when an HDF5 call returned a negative status.
  void check_status(herr_t status, const std::string& what) const {
    if (status < 0) fail(what);
  }
};

/// Native (memory) and little-endian standard (file) types of the element types used.
template <class T>
hid_t native_type() noexcept {
  if constexpr (std::is_same_v<T, State> || std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return H5T_NATIVE_UINT16;
  else if constexpr (std::is_same_v<T, std::int32_t>) return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return H5T_NATIVE_UINT32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_NATIVE_UINT64;
  else if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  else static_assert(sizeof(T) == 0, "no HDF5 type for this element type");
}

template <class T>
hid_t file_type() noexcept {
  if constexpr (std::is_same_v<T, State> || std::is_same_v<T, std::uint8_t>) return H5T_STD_U8LE;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return H5T_STD_U16LE;
  else if constexpr (std::is_same_v<T, std::int32_t>) return H5T_STD_I32LE;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return H5T_STD_U32LE;
  else if constexpr (std::is_same_v<T, std::int64_t>) return H5T_STD_I64LE;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_STD_U64LE;
  else if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  else if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  else static_assert(sizeof(T) == 0, "no HDF5 type for this element type");
}

/// Variable-length UTF-8 string type (h5py reads its attributes as str).
Id string_type(const Context& ctx);

// -- writing ----------------------------------------------------------------

/// Creates `name` under `loc` (intermediate groups included).
Id create_group(const Context& ctx, hid_t loc, const std::string& name);

void write_attribute(const Context& ctx, hid_t obj, const std::string& name, const std::string& value);
void write_attribute(const Context& ctx, hid_t obj, const std::string& name, std::int64_t value);
void write_attribute(const Context& ctx, hid_t obj, const std::string& name, std::uint64_t value);
void write_attribute(const Context& ctx, hid_t obj, const std::string& name, double value);
void write_attribute(const Context& ctx, hid_t obj, const std::string& name,
                     const std::vector<std::string>& values);

/// A 1-D dataset of variable-length UTF-8 strings.
void write_strings(const Context& ctx, hid_t loc, const std::string& name,
                   const std::vector<std::string>& values);

/// Storage of a new dataset: chunk shape and deflate level (0 = no filters;
/// otherwise shuffle then deflate).
struct Storage {
  std::vector<hsize_t> chunk;
  int deflate = 0;
};

/// Creates a dataset of `dims`; dimension 0 is extendible when `extendible`.
Id create_dataset(const Context& ctx, hid_t loc, const std::string& name, hid_t file_type,
                  const std::vector<hsize_t>& dims, bool extendible, const Storage& storage);

/// Writes a whole fixed-size dataset of `values` (shape `dims`), compressed.
template <class T>
void write_array(const Context& ctx, hid_t loc, const std::string& name, const T* values,
                 const std::vector<hsize_t>& dims, const Storage& storage) {
  Id set = create_dataset(ctx, loc, name, file_type<T>(), dims, false, storage);
  bool empty = false;
  for (hsize_t d : dims) empty = empty || d == 0;
  if (!empty) {
    ctx.check_status(H5Dwrite(set.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values),
                     "cannot write " + name);
  }
}

/// A dataset that grows along dimension 0 by appending rows.
class Appender {
 public:
  Appender() = default;
  /// Creates `name` with zero rows of shape `row_dims` each.
  template <class T>
  static Appender create(const Context& ctx, hid_t loc, const std::string& name,
                         std::vector<hsize_t> row_dims, hsize_t chunk_rows, int deflate) {
    return Appender(ctx, loc, name, file_type<T>(), native_type<T>(), std::move(row_dims),
                    chunk_rows, deflate);
  }
  /// Appends `rows` rows from `values` (row-major).
  void append(const Context& ctx, const void* values, hsize_t rows);
  hsize_t rows() const noexcept { return rows_; }
  hid_t get() const noexcept { return set_.get(); }
  void close() noexcept { set_.reset(); }

 private:
  Appender(const Context& ctx, hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type,
           std::vector<hsize_t> row_dims, hsize_t chunk_rows, int deflate);
  Id set_;
  hid_t mem_type_ = H5I_INVALID_HID;
  std::vector<hsize_t> row_dims_;
  hsize_t rows_ = 0;
  std::string name_;
};

// -- reading ----------------------------------------------------------------

bool has_attribute(hid_t obj, const std::string& name) noexcept;
/// A string attribute (fixed or variable length); fails if absent or not a string.
std::string read_string_attribute(const Context& ctx, hid_t obj, const std::string& name);
/// An integer attribute converted to int64; fails if absent or not an integer.
std::int64_t read_int_attribute(const Context& ctx, hid_t obj, const std::string& name);
/// An unsigned 64-bit attribute.
std::uint64_t read_uint_attribute(const Context& ctx, hid_t obj, const std::string& name);
/// A floating-point attribute.
double read_double_attribute(const Context& ctx, hid_t obj, const std::string& name);
/// A 1-D string array attribute.
std::vector<std::string> read_strings_attribute(const Context& ctx, hid_t obj, const std::string& name);
/// Names and values of every string attribute of `obj`.
std::vector<std::pair<std::string, std::string>> read_text_attributes(const Context& ctx, hid_t obj);

bool exists(hid_t loc, const std::string& path) noexcept;
/// A 1-D string dataset.
std::vector<std::string> read_strings(const Context& ctx, hid_t loc, const std::string& name);
/// Shape of a dataset.
std::vector<hsize_t> shape(const Context& ctx, hid_t set, const std::string& name);
/// Names of the members of a group, in name order.
std::vector<std::string> members(const Context& ctx, hid_t group, const std::string& name);

/// Reads a whole dataset as T (HDF5 converts between numeric types; the
/// caller checks the shape). Fails if it is not numeric.
template <class T>
std::vector<T> read_array(const Context& ctx, hid_t loc, const std::string& name,
                          std::vector<hsize_t>* dims_out = nullptr) {
  Id set(ctx.check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "has no dataset " + name));
  const auto dims = shape(ctx, set.get(), name);
  Id type(ctx.check(H5Dget_type(set.get()), "cannot read the type of " + name));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) ctx.fail(name + " is not numeric");
  std::size_t count = 1;
  for (hsize_t d : dims) {
    // A damaged header may claim any shape: refuse one larger than memory
    // before allocating (and before the product can wrap around).
    check_allocation(static_cast<std::uint64_t>(d), count * sizeof(T), ctx.path + ": " + name);
    count *= static_cast<std::size_t>(d);
  }
  std::vector<T> values(count);
  if (count > 0) {
    ctx.check_status(
        H5Dread(set.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        "cannot read " + name);
  }
  if (dims_out != nullptr) *dims_out = dims;
  return values;
}

// -- files ------------------------------------------------------------------

/// File access settings: strong close (no object outlives its file) and the
/// HDF5 1.10 file format (libhdf5 1.10+: h5py, R, HDFView 3), whose chunk
/// indexes carry checksums: the 1.8 format's v1 B-trees do not, and libhdf5
/// copies out of bounds from a damaged one (found by fuzzing under ASan).
Id file_access(const Context& ctx);

/// Opens an existing file read-only; fails clearly if it is missing, a folder,
/// not HDF5 or truncated.
Id open_for_reading(const Context& ctx);

/// A file written under a temporary name beside its final name and renamed
/// onto it only by commit(): readers see the old file or the whole new one.
class AtomicFile {
 public:
  /// Creates `<path>.tmp-<pid>` (replacing a stale one of that name).
  explicit AtomicFile(std::string path);
  /// Removes the temporary file unless committed.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  hid_t get() const noexcept { return file_.get(); }
  const Context& context() const noexcept { return ctx_; }
  const std::string& path() const noexcept { return path_; }
  const std::string& temp_path() const noexcept { return temp_; }
  bool open() const noexcept { return static_cast<bool>(file_); }
  /// True once renamed onto the final name.
  bool committed() const noexcept { return committed_; }

  /// Writes what HDF5 holds in memory to the temporary file.
  void flush();
  /// Closes, syncs to disk and renames onto the final name.
  void commit();
  /// Closes and removes the temporary file (never throws).
  void discard() noexcept;

 private:
  std::string path_;
  std::string temp_;
  Context ctx_;
  Id file_;
  bool pending_ = false;  ///< the temporary file exists and is ours to remove
  bool committed_ = false;
};

/// ISO 8601 UTC time of now, e.g. "2027-01-01T12:00:00Z".
std::string utc_now();

}  // namespace crmsim::detail::h5
