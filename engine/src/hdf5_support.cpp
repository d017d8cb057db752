// The HDF5 layer's handles, errors, attributes, datasets and atomic files.
#include "hdf5_support.hpp"

#include "hdf5_heap_check.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include "crmsim/errors.hpp"
#include "crmsim/limits.hpp"

namespace crmsim::detail::h5 {

void Id::reset() noexcept {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: H5Idec_ref(id_); break;
  }
  id_ = H5I_INVALID_HID;
}

namespace {

// HDF5 closes the files still open at process exit. A file whose close
// failed (a full disk) is left half-freed by HDF5 1.10, and closing it again
// there crashes the process. The engine closes every file it opens itself,
// so HDF5's exit handler is switched off before the library starts.
const bool no_exit_handler = [] {
  H5dont_atexit();
  return true;
}();

}  // namespace

void quiet() noexcept {
  static_cast<void>(no_exit_handler);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

std::string take_error() {
  std::string message;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
        // The first entry walking upward is the most specific one.
        if (n == 0 && err != nullptr && err->desc != nullptr) {
          std::string desc = err->desc;
          // System call failures carry errno's text among much detail: keep
          // what failed and why ("file write failed: No space left on device").
          const std::string marker = "error message = '";
          const std::size_t at = desc.find(marker);
          if (at != std::string::npos) {
            const std::size_t from = at + marker.size();
            const std::size_t to = desc.find('\'', from);
            const std::size_t colon = desc.find(':');
            desc = desc.substr(0, colon) + ": " + desc.substr(from, to == std::string::npos ? to : to - from);
          }
          *static_cast<std::string*>(out) = desc;
        }
        return 0;
      },
      &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

void Context::fail(const std::string& what) const {
  std::string message = what;
  const std::string detail = take_error();
  if (!detail.empty()) message += " (HDF5: " + detail + ")";
  if (reading) throw FileFormatError(path, message);
  throw IoError(path, message);
}

Id string_type(const Context& ctx) {
  Id type(ctx.check(H5Tcopy(H5T_C_S1), "cannot make a string type"));
  ctx.check_status(H5Tset_size(type.get(), H5T_VARIABLE), "cannot make a string type");
  ctx.check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot make a string type");
  return type;
}

Id create_group(const Context& ctx, hid_t loc, const std::string& name) {
  Id links(ctx.check(H5Pcreate(H5P_LINK_CREATE), "cannot create group " + name));
  ctx.check_status(H5Pset_create_intermediate_group(links.get(), 1), "cannot create group " + name);
  // Links stay in the group's object header, which carries a checksum, at
  // any member count: "dense" storage (past 8 members) keeps them in a
  // fractal heap without one, and libhdf5 1.10 frees garbage pointers when
  // such a heap is damaged (found by fuzzing the readers under ASan).
  Id group_props(ctx.check(H5Pcreate(H5P_GROUP_CREATE), "cannot create group " + name));
  ctx.check_status(H5Pset_link_phase_change(group_props.get(), 65535, 65535), "cannot create group " + name);
  ctx.check_status(H5Pset_attr_phase_change(group_props.get(), 65535, 65535), "cannot create group " + name);
  return Id(ctx.check(H5Gcreate2(loc, name.c_str(), links.get(), group_props.get(), H5P_DEFAULT),
                      "cannot create group " + name));
}

namespace {

void write_scalar_attribute(const Context& ctx, hid_t obj, const std::string& name, hid_t file_type,
                            hid_t mem_type, const void* value) {
  Id space(ctx.check(H5Screate(H5S_SCALAR), "cannot write attribute " + name));
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Id attr(ctx.check(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                    "cannot write attribute " + name));
  ctx.check_status(H5Awrite(attr.get(), mem_type, value), "cannot write attribute " + name);
}

std::vector<const char*> c_strings(const std::vector<std::string>& values) {
  std::vector<const char*> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v.c_str());
  return out;
}

}  // namespace

void write_attribute(const Context& ctx, hid_t obj, const std::string& name, const std::string& value) {
  Id type = string_type(ctx);
  const char* text = value.c_str();
  write_scalar_attribute(ctx, obj, name, type.get(), type.get(), &text);
}

void write_attribute(const Context& ctx, hid_t obj, const std::string& name, std::int64_t value) {
  write_scalar_attribute(ctx, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void write_attribute(const Context& ctx, hid_t obj, const std::string& name, std::uint64_t value) {
  write_scalar_attribute(ctx, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

void write_attribute(const Context& ctx, hid_t obj, const std::string& name, double value) {
  write_scalar_attribute(ctx, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void write_attribute(const Context& ctx, hid_t obj, const std::string& name,
                     const std::vector<std::string>& values) {
  Id type = string_type(ctx);
  const hsize_t n = values.size();
  Id space(ctx.check(H5Screate_simple(1, &n, nullptr), "cannot write attribute " + name));
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Id attr(ctx.check(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                    "cannot write attribute " + name));
  const auto texts = c_strings(values);
  if (n > 0) ctx.check_status(H5Awrite(attr.get(), type.get(), texts.data()), "cannot write attribute " + name);
}

void write_strings(const Context& ctx, hid_t loc, const std::string& name,
                   const std::vector<std::string>& values) {
  Id type = string_type(ctx);
  const hsize_t n = values.size();
  Id space(ctx.check(H5Screate_simple(1, &n, nullptr), "cannot write " + name));
  Id set(ctx.check(H5Dcreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT),
                   "cannot write " + name));
  const auto texts = c_strings(values);
  if (n > 0) {
    ctx.check_status(H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()),
                     "cannot write " + name);
  }
}

Id create_dataset(const Context& ctx, hid_t loc, const std::string& name, hid_t file_type,
                  const std::vector<hsize_t>& dims, bool extendible, const Storage& storage) {
  const int rank = static_cast<int>(dims.size());
  std::vector<hsize_t> max_dims = dims;
  std::vector<hsize_t> chunk = storage.chunk;
  if (chunk.size() != dims.size()) chunk = dims;
  for (int k = 0; k < rank; ++k) {
    const auto u = static_cast<std::size_t>(k);
    // An empty dimension (no campaigns) cannot hold a chunk of 1: let it grow.
    if ((k == 0 && extendible) || dims[u] == 0) max_dims[u] = H5S_UNLIMITED;
    if (chunk[u] == 0) chunk[u] = 1;
    if (max_dims[u] != H5S_UNLIMITED && chunk[u] > max_dims[u]) chunk[u] = max_dims[u];
  }
  Id space(ctx.check(H5Screate_simple(rank, dims.data(), max_dims.data()), "cannot create " + name));
  Id props(ctx.check(H5Pcreate(H5P_DATASET_CREATE), "cannot create " + name));
  ctx.check_status(H5Pset_chunk(props.get(), rank, chunk.data()), "cannot create " + name);
  if (storage.deflate > 0) {
    ctx.check_status(H5Pset_shuffle(props.get()), "cannot create " + name);
    ctx.check_status(H5Pset_deflate(props.get(), static_cast<unsigned>(storage.deflate)),
                     "cannot create " + name);
  }
  Id links(ctx.check(H5Pcreate(H5P_LINK_CREATE), "cannot create " + name));
  ctx.check_status(H5Pset_create_intermediate_group(links.get(), 1), "cannot create " + name);
  return Id(ctx.check(H5Dcreate2(loc, name.c_str(), file_type, space.get(), links.get(), props.get(),
                                 H5P_DEFAULT),
                      "cannot create " + name));
}

Appender::Appender(const Context& ctx, hid_t loc, const std::string& name, hid_t file_type,
                   hid_t mem_type, std::vector<hsize_t> row_dims, hsize_t chunk_rows, int deflate)
    : mem_type_(mem_type), row_dims_(std::move(row_dims)), name_(name) {
  std::vector<hsize_t> dims{0};
  dims.insert(dims.end(), row_dims_.begin(), row_dims_.end());
  Storage storage;
  storage.chunk = dims;
  storage.chunk[0] = chunk_rows;
  storage.deflate = deflate;
  set_ = create_dataset(ctx, loc, name, file_type, dims, true, storage);
}

void Appender::append(const Context& ctx, const void* values, hsize_t rows) {
  if (rows == 0) return;
  std::vector<hsize_t> dims{rows_ + rows};
  dims.insert(dims.end(), row_dims_.begin(), row_dims_.end());
  const std::string what = "cannot append to " + name_;
  ctx.check_status(H5Dset_extent(set_.get(), dims.data()), what);
  std::size_t row_values = 1;
  for (hsize_t d : row_dims_) row_values *= static_cast<std::size_t>(d);
  if (row_values > 0) {
    Id file_space(ctx.check(H5Dget_space(set_.get()), what));
    std::vector<hsize_t> start(dims.size(), 0);
    std::vector<hsize_t> count = dims;
    start[0] = rows_;
    count[0] = rows;
    ctx.check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                         count.data(), nullptr),
                     what);
    Id mem_space(ctx.check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), what));
    ctx.check_status(H5Dwrite(set_.get(), mem_type_, mem_space.get(), file_space.get(), H5P_DEFAULT, values),
                     what);
  }
  rows_ += rows;
}

// -- reading ----------------------------------------------------------------

bool has_attribute(hid_t obj, const std::string& name) noexcept {
  const htri_t found = H5Aexists(obj, name.c_str());
  if (found < 0) take_error();
  return found > 0;
}

namespace {

Id open_attribute(const Context& ctx, hid_t obj, const std::string& name) {
  if (!has_attribute(obj, name)) ctx.fail("has no attribute '" + name + "'");
  return Id(ctx.check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "cannot read attribute '" + name + "'"));
}

/// Strings of an attribute or dataset whose type is `type` and space `space`.
/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
/// code points past U+10FFFF).
bool valid_utf8(const std::string& text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned c = *p;
    int more = 0;
    unsigned lowest = 0;
    if (c < 0x80) { ++p; continue; }
    if (c >= 0xC2 && c <= 0xDF) { more = 1; lowest = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { more = 2; lowest = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { more = 3; lowest = 0x10000; }
    else return false;
    if (end - p <= more) return false;
    unsigned code = c & (0x3Fu >> more);
    for (int k = 1; k <= more; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[k] & 0x3Fu);
    }
    if (code < lowest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    p += more + 1;
  }
  return true;
}

/// Fails unless every text is UTF-8, as crmsim writes it (a damaged file
/// must not hand Python undecodable bytes).
void require_utf8(const Context& ctx, const std::vector<std::string>& texts, const std::string& what) {
  for (const auto& t : texts) {
    if (!valid_utf8(t)) ctx.fail(what + " is not UTF-8 text");
  }
}

std::vector<std::string> read_string_values(const Context& ctx, hid_t type, hid_t space,
                                            const std::string& what, bool attribute, hid_t obj) {
  if (H5Tget_class(type) != H5T_STRING) ctx.fail(what + " is not text");
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0) ctx.fail("cannot read " + what);
  const auto n = static_cast<std::size_t>(count);
  std::vector<std::string> out;
  if (n == 0) return out;
  const htri_t variable = H5Tis_variable_str(type);
  if (variable < 0) ctx.fail("cannot read " + what);
  check_allocation(n, 16, ctx.path + ": " + what);
  if (variable > 0) {
    if (!attribute) {
      // The references sit in the dataset's raw data, which carries no
      // checksum, and libhdf5 1.10 follows them blindly: check them first.
      const haddr_t at = H5Dget_offset(obj);
      if (at != HADDR_UNDEF) check_vlen_references(ctx.path, at, n);
    }
    Id mem(ctx.check(H5Tcopy(H5T_C_S1), "cannot read " + what));
    ctx.check_status(H5Tset_size(mem.get(), H5T_VARIABLE), "cannot read " + what);
    // HDF5 does not convert between character sets: read in the file's.
    ctx.check_status(H5Tset_cset(mem.get(), H5Tget_cset(type)), "cannot read " + what);
    std::vector<char*> texts(n, nullptr);
    const herr_t status = attribute ? H5Aread(obj, mem.get(), texts.data())
                                    : H5Dread(obj, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data());
    if (status >= 0) {
      for (char* t : texts) out.emplace_back(t != nullptr ? t : "");
    }
    // Also after a failed read: the strings read before it failed are ours
    // to free (found leaking by the fuzz test under LeakSanitizer).
    H5Dvlen_reclaim(mem.get(), space, H5P_DEFAULT, texts.data());
    if (status < 0) ctx.fail("cannot read " + what);
    require_utf8(ctx, out, what);
    return out;
  }
  const std::size_t size = H5Tget_size(type);
  if (size == 0) ctx.fail("cannot read " + what);
  check_allocation(n, size, ctx.path + ": " + what);
  Id mem(ctx.check(H5Tcopy(H5T_C_S1), "cannot read " + what));
  ctx.check_status(H5Tset_size(mem.get(), size), "cannot read " + what);
  ctx.check_status(H5Tset_cset(mem.get(), H5Tget_cset(type)), "cannot read " + what);
  std::vector<char> buffer(n * size);
  const herr_t status = attribute ? H5Aread(obj, mem.get(), buffer.data())
                                  : H5Dread(obj, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data());
  if (status < 0) ctx.fail("cannot read " + what);
  for (std::size_t k = 0; k < n; ++k) {
    const char* begin = &buffer[k * size];
    out.emplace_back(begin, strnlen(begin, size));
  }
  require_utf8(ctx, out, what);
  return out;
}

}  // namespace

std::string read_string_attribute(const Context& ctx, hid_t obj, const std::string& name) {
  Id attr = open_attribute(ctx, obj, name);
  Id type(ctx.check(H5Aget_type(attr.get()), "cannot read attribute '" + name + "'"));
  Id space(ctx.check(H5Aget_space(attr.get()), "cannot read attribute '" + name + "'"));
  auto values = read_string_values(ctx, type.get(), space.get(), "attribute '" + name + "'", true, attr.get());
  if (values.size() != 1) ctx.fail("attribute '" + name + "' is not a single text");
  return values[0];
}

std::vector<std::string> read_strings_attribute(const Context& ctx, hid_t obj, const std::string& name) {
  Id attr = open_attribute(ctx, obj, name);
  Id type(ctx.check(H5Aget_type(attr.get()), "cannot read attribute '" + name + "'"));
  Id space(ctx.check(H5Aget_space(attr.get()), "cannot read attribute '" + name + "'"));
  return read_string_values(ctx, type.get(), space.get(), "attribute '" + name + "'", true, attr.get());
}

namespace {

template <class T>
T read_number_attribute(const Context& ctx, hid_t obj, const std::string& name, H5T_class_t wanted) {
  Id attr = open_attribute(ctx, obj, name);
  Id type(ctx.check(H5Aget_type(attr.get()), "cannot read attribute '" + name + "'"));
  Id space(ctx.check(H5Aget_space(attr.get()), "cannot read attribute '" + name + "'"));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != wanted && !(wanted == H5T_FLOAT && cls == H5T_INTEGER)) {
    ctx.fail("attribute '" + name + "' is not a number of the expected kind");
  }
  if (H5Sget_simple_extent_npoints(space.get()) != 1) ctx.fail("attribute '" + name + "' is not a single value");
  T value{};
  ctx.check_status(H5Aread(attr.get(), native_type<T>(), &value), "cannot read attribute '" + name + "'");
  return value;
}

}  // namespace

std::int64_t read_int_attribute(const Context& ctx, hid_t obj, const std::string& name) {
  return read_number_attribute<std::int64_t>(ctx, obj, name, H5T_INTEGER);
}

std::uint64_t read_uint_attribute(const Context& ctx, hid_t obj, const std::string& name) {
  return read_number_attribute<std::uint64_t>(ctx, obj, name, H5T_INTEGER);
}

double read_double_attribute(const Context& ctx, hid_t obj, const std::string& name) {
  return read_number_attribute<double>(ctx, obj, name, H5T_FLOAT);
}

std::vector<std::pair<std::string, std::string>> read_text_attributes(const Context& ctx, hid_t obj) {
  std::vector<std::string> names;
  hsize_t index = 0;
  const herr_t status = H5Aiterate2(
      obj, H5_INDEX_NAME, H5_ITER_INC, &index,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
        return 0;
      },
      &names);
  if (status < 0) ctx.fail("cannot list attributes");
  require_utf8(ctx, names, "an attribute name");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& name : names) {
    Id attr(ctx.check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "cannot read attribute '" + name + "'"));
    Id type(ctx.check(H5Aget_type(attr.get()), "cannot read attribute '" + name + "'"));
    Id space(ctx.check(H5Aget_space(attr.get()), "cannot read attribute '" + name + "'"));
    if (H5Tget_class(type.get()) != H5T_STRING || H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) {
      continue;
    }
    out.emplace_back(name, read_string_attribute(ctx, obj, name));
  }
  return out;
}

bool exists(hid_t loc, const std::string& path) noexcept {
  // Check each part of the path: H5Lexists fails on a missing intermediate group.
  std::string part;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    const std::size_t next = path.find('/', pos + 1);
    part = path.substr(0, next);
    if (!part.empty() && part != "/") {
      const htri_t found = H5Lexists(loc, part.c_str(), H5P_DEFAULT);
      if (found <= 0) {
        take_error();
        return false;
      }
    }
    pos = next;
  }
  return true;
}

std::vector<std::string> read_strings(const Context& ctx, hid_t loc, const std::string& name) {
  Id set(ctx.check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "has no dataset " + name));
  Id type(ctx.check(H5Dget_type(set.get()), "cannot read " + name));
  Id space(ctx.check(H5Dget_space(set.get()), "cannot read " + name));
  return read_string_values(ctx, type.get(), space.get(), name, false, set.get());
}

std::vector<hsize_t> shape(const Context& ctx, hid_t set, const std::string& name) {
  Id space(ctx.check(H5Dget_space(set), "cannot read the shape of " + name));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) ctx.fail("cannot read the shape of " + name);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

std::vector<std::string> members(const Context& ctx, hid_t group, const std::string& name) {
  std::vector<std::string> out;
  const herr_t status = H5Literate(
      group, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* member, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(member);
        return 0;
      },
      &out);
  if (status < 0) ctx.fail("cannot list " + name);
  require_utf8(ctx, out, "a member name of " + name);
  return out;
}

// -- files ------------------------------------------------------------------

Id file_access(const Context& ctx) {
  Id access(ctx.check(H5Pcreate(H5P_FILE_ACCESS), "cannot set up file access"));
  ctx.check_status(H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG), "cannot set up file access");
  ctx.check_status(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V110, H5F_LIBVER_V110),
                   "cannot set up file access");
  return access;
}

Id open_for_reading(const Context& ctx) {
  struct stat info {};
  if (::stat(ctx.path.c_str(), &info) != 0) {
    const int error = errno;
    throw IoError(ctx.path, error == ENOENT ? std::string("no such file") : std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw IoError(ctx.path, "is a folder, not a file");
  const htri_t is_hdf5 = H5Fis_hdf5(ctx.path.c_str());
  if (is_hdf5 <= 0) {
    const std::string detail = take_error();
    if (is_hdf5 == 0 || detail.find("signature") != std::string::npos) {
      throw FileFormatError(ctx.path, "is not an HDF5 file (no HDF5 signature)");
    }
    throw FileFormatError(ctx.path, "cannot be read as HDF5" + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
  }
  // libhdf5 trusts the one unchecksummed part of the file, its global heaps:
  // check them first, so that a damaged file is an error, not a hang.
  check_global_heaps(ctx.path);
  Context reading = ctx;
  reading.reading = true;
  Id access(ctx.check(H5Pcreate(H5P_FILE_ACCESS), "cannot set up file access"));
  ctx.check_status(H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG), "cannot set up file access");
  const hid_t file = H5Fopen(ctx.path.c_str(), H5F_ACC_RDONLY, access.get());
  if (file < 0) {
    const std::string detail = take_error();
    std::string message = "is an HDF5 file that cannot be opened";
    if (detail.find("truncated") != std::string::npos) {
      message = "is truncated: it is shorter than its HDF5 header says (an incomplete copy or "
                "an interrupted write?)";
    }
    throw FileFormatError(ctx.path, message + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
  }
  return Id(file);
}

namespace {

std::string temp_name(const std::string& path) {
  return path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
}

std::string folder_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void sync_path(const Context& ctx, const std::string& path, bool folder) {
  const int fd = ::open(path.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) {
    if (folder) return;  // some file systems do not open folders; the rename still stands
    throw IoError(ctx.path, "cannot reopen " + path + " to sync it: " + std::strerror(errno));
  }
  const int status = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (status != 0 && !folder) {
    throw IoError(ctx.path, "cannot sync " + path + " to disk: " + std::strerror(error));
  }
}

}  // namespace

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), temp_(temp_name(path_)), ctx_{path_, false} {
  quiet();
  struct stat info {};
  const std::string folder = folder_of(path_);
  if (::stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw IoError(path_, "cannot write: folder " + folder + " does not exist");
  }
  if (::stat(path_.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    throw IoError(path_, "cannot write: it is a folder");
  }
  Id access = file_access(ctx_);
  // The root group keeps its links and attributes in its checksummed object
  // header too, however many there are (see create_group()).
  Id creation(ctx_.check(H5Pcreate(H5P_FILE_CREATE), "cannot create the file"));
  ctx_.check_status(H5Pset_link_phase_change(creation.get(), 65535, 65535), "cannot create the file");
  ctx_.check_status(H5Pset_attr_phase_change(creation.get(), 65535, 65535), "cannot create the file");
  const hid_t file = H5Fcreate(temp_.c_str(), H5F_ACC_TRUNC, creation.get(), access.get());
  if (file < 0) {
    const std::string detail = take_error();
    throw IoError(path_, "cannot create " + temp_ + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
  }
  file_ = Id(file);
  pending_ = true;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::flush() {
  quiet();
  ctx_.check_status(H5Fflush(file_.get(), H5F_SCOPE_LOCAL), "cannot write " + temp_);
}

void AtomicFile::commit() {
  quiet();
  if (!pending_ || !file_) throw IoError(path_, "the file was already committed or discarded");
  // Everything is written before closing: a write failure (disk full) is
  // caught here, where the file can still be discarded cleanly.
  if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) {
    const std::string detail = take_error();
    discard();
    throw IoError(path_, "cannot write " + temp_ + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
  }
  const herr_t closed = H5Fclose(file_.get());
  file_.release();  // closed (or failed to): never close twice
  if (closed < 0) {
    pending_ = false;
    const std::string detail = take_error();
    ::unlink(temp_.c_str());
    throw IoError(path_, "cannot finish writing " + temp_ + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
  }
  try {
    sync_path(ctx_, temp_, false);
  } catch (...) {
    discard();
    throw;
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    discard();
    throw IoError(path_, "cannot rename " + temp_ + " onto it: " + std::strerror(error));
  }
  pending_ = false;  // the temporary name is gone: nothing left to discard
  committed_ = true;
  sync_path(ctx_, folder_of(path_), true);
}

void AtomicFile::discard() noexcept {
  if (file_) {
    quiet();
    // Nothing of a discarded file needs to reach the disk: its descriptor is
    // pointed at memory (or /dev/null) before HDF5 flushes it on close. That
    // makes discarding quick, frees the disk space at once, and lets the
    // close succeed even when the disk is full.
    void* handle = nullptr;
    if (H5Fget_vfd_handle(file_.get(), H5P_DEFAULT, &handle) >= 0 && handle != nullptr) {
      const int fd = *static_cast<int*>(handle);
      int sink = ::memfd_create("crmsim-discarded", MFD_CLOEXEC);
      if (sink < 0) sink = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (sink >= 0) {
        ::dup2(sink, fd);
        ::close(sink);
      }
    }
    // A close that fails leaves HDF5's file half-freed: never touch it again.
    H5Fclose(file_.get());
    file_.release();
    take_error();
  }
  if (pending_) {
    ::unlink(temp_.c_str());
    pending_ = false;
  }
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace crmsim::detail::h5
