// A check of a file's HDF5 global heap collections before HDF5 reads them.
//
// Variable-length strings (names, text attributes) live in "global heap
// collections", the one part of an HDF5 1.8 file that carries no checksum.
// libhdf5 1.10 trusts their object lists: an object of size 0 makes it loop
// forever, an object that overruns its collection makes it read out of
// bounds (HDFGroup/hdf5#1707; both found by fuzzing crmsim's readers). So
// every collection in the file is walked here, the way libhdf5 will walk
// it, and a file whose collections do not hold together is refused.
#include "hdf5_heap_check.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "crmsim/errors.hpp"

namespace crmsim::detail::h5 {
namespace {

constexpr std::uint64_t align8(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

std::uint64_t little_endian(const unsigned char* p, unsigned width) {
  std::uint64_t v = 0;
  for (unsigned k = width; k-- > 0;) v = (v << 8) | p[k];
  return v;
}

/// Sizes of offsets and lengths in the file, from its superblock (at byte
/// 0, 512, 1024, ... after a user block); 8 and 8 if they cannot be told
/// (libhdf5 then refuses the file on its own when it opens it).
struct Sizes {
  unsigned offsets = 8;
  unsigned lengths = 8;
};

Sizes superblock_sizes(std::ifstream& in, std::uint64_t file_size) {
  static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  auto valid = [](unsigned v) { return v == 2 || v == 4 || v == 8; };
  for (std::uint64_t at = 0; at + 16 <= file_size; at = at == 0 ? 512 : at * 2) {
    unsigned char head[16];
    in.clear();
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(reinterpret_cast<char*>(head), sizeof head)) break;
    if (std::memcmp(head, signature, 8) != 0) continue;
    const bool v2 = head[8] >= 2;
    Sizes s;
    const unsigned offsets = v2 ? head[9] : head[13];
    const unsigned lengths = v2 ? head[10] : head[14];
    if (valid(offsets)) s.offsets = offsets;
    if (valid(lengths)) s.lengths = lengths;
    return s;
  }
  return {};
}

/// The objects of a collection: index -> size; false if the collection
/// does not hold together (`problem` says why).
bool walk_collection(const unsigned char* data, std::uint64_t size, unsigned lengths,
                     std::vector<std::uint64_t>* sizes, std::string& problem);

bool walk_collection(const unsigned char* data, std::uint64_t size, unsigned lengths,
                     std::vector<std::uint64_t>* sizes, std::string& problem) {
  const std::uint64_t header = align8(4 + 1 + 3 + lengths);
  const std::uint64_t object_header = align8(2 + 2 + 4 + lengths);
  std::uint64_t p = header;
  while (p < size) {
    if (p + object_header > size) break;  // a tail too small for an object: free space
    const unsigned index = static_cast<unsigned>(little_endian(data + p, 2));
    const std::uint64_t length = little_endian(data + p + 8, lengths);
    std::uint64_t need = 0;
    if (index > 0) {
      if (length > size) {
        problem = "object " + std::to_string(index) + " is larger than its collection";
        return false;
      }
      need = object_header + align8(length);
    } else {
      need = length;  // the free space, its header included
      if (need < object_header) {
        problem = "its free space has an impossible size (" + std::to_string(length) + ")";
        return false;
      }
    }
    if (need > size - p) {
      problem = "object " + std::to_string(index) + " runs past the end of its collection";
      return false;
    }
    if (sizes != nullptr && index > 0) {
      if (sizes->size() <= index) sizes->resize(index + 1, ~std::uint64_t{0});
      (*sizes)[index] = length;
    }
    p += need;
  }
  return true;
}

}  // namespace

void check_global_heaps(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;  // opening it fails later with the usual message
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  const unsigned lengths = superblock_sizes(in, file_size).lengths;
  const std::uint64_t header = align8(4 + 1 + 3 + lengths);

  constexpr std::size_t block = 1 << 20;
  std::vector<unsigned char> buffer(block + 3);
  std::vector<unsigned char> collection;
  std::uint64_t base = 0;  // file offset of buffer[0]
  std::size_t kept = 0;    // bytes carried over from the previous block
  for (;;) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(base + kept));
    in.read(reinterpret_cast<char*>(buffer.data() + kept), static_cast<std::streamsize>(block));
    const std::size_t got = kept + static_cast<std::size_t>(in.gcount());
    if (got < 4) break;
    for (std::size_t k = 0; k + 4 <= got; ++k) {
      const void* hit = std::memchr(buffer.data() + k, 'G', got - k - 3);
      if (hit == nullptr) break;
      k = static_cast<std::size_t>(static_cast<const unsigned char*>(hit) - buffer.data());
      if (std::memcmp(buffer.data() + k, "GCOL", 4) != 0) continue;
      const std::uint64_t at = base + k;
      // Only what libhdf5 would take for a collection: version 1, a size
      // that holds the header and lies within the file. Anything else it
      // refuses itself (and random data almost never looks like this).
      unsigned char head[48];
      in.clear();
      in.seekg(static_cast<std::streamoff>(at));
      if (!in.read(reinterpret_cast<char*>(head), static_cast<std::streamsize>(header))) continue;
      if (head[4] != 1) continue;
      const std::uint64_t size = little_endian(head + 8, lengths);
      // libhdf5 checks a collection against the end of the file as
      // `at + size > end`, which a size near 2^64 wraps around (or lands
      // on its "undefined address", which compares as not greater): it
      // then asks for a buffer of 16 EB. Found by the fuzz test under
      // ASan, which stops on such a request; libhdf5 alone fails it.
      if (size >= ~std::uint64_t{0} - at) {
        throw FileFormatError(path, "is damaged: the HDF5 global heap collection at byte " + std::to_string(at) +
                                        " (where variable-length strings are kept) claims " + std::to_string(size) +
                                        " bytes, more than the whole file (" + std::to_string(file_size) + " bytes)");
      }
      if (size < header || size > file_size - at) continue;
      collection.resize(static_cast<std::size_t>(size));
      in.seekg(static_cast<std::streamoff>(at));
      if (!in.read(reinterpret_cast<char*>(collection.data()), static_cast<std::streamsize>(size))) continue;
      std::string problem;
      if (!walk_collection(collection.data(), size, lengths, nullptr, problem)) {
        throw FileFormatError(path, "is damaged: the HDF5 global heap collection at byte " + std::to_string(at) +
                                        " (where variable-length strings are kept) does not hold together: " +
                                        problem);
      }
    }
    if (got < block + kept) break;  // end of file
    // Keep the last 3 bytes: a signature may straddle two blocks.
    std::memmove(buffer.data(), buffer.data() + got - 3, 3);
    base += got - 3;
    kept = 3;
  }
}

void check_vlen_references(const std::string& path, std::uint64_t address, std::uint64_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  const Sizes sizes = superblock_sizes(in, file_size);
  const std::uint64_t width = 4 + sizes.offsets + 4;
  auto damaged = [&](std::uint64_t k, const std::string& what) {
    throw FileFormatError(path, "is damaged: variable-length string " + std::to_string(k) + " of the dataset at byte " +
                                    std::to_string(address) + " " + what);
  };
  if (count > file_size / width || address > file_size - count * width) {
    damaged(0, "lies beyond the end of the file");
  }
  std::vector<unsigned char> raw(static_cast<std::size_t>(count * width));
  in.clear();
  in.seekg(static_cast<std::streamoff>(address));
  if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()))) {
    damaged(0, "cannot be read");
  }
  const std::uint64_t header = align8(4 + 1 + 3 + sizes.lengths);
  std::vector<unsigned char> collection;
  for (std::uint64_t k = 0; k < count; ++k) {
    const unsigned char* d = raw.data() + k * width;
    const std::uint64_t length = little_endian(d, 4);
    const std::uint64_t heap = little_endian(d + 4, sizes.offsets);
    const auto index = static_cast<std::size_t>(little_endian(d + 4 + sizes.offsets, 4));
    if (length == 0 && heap == 0) continue;  // an empty string
    // libhdf5 allocates and clears `length` bytes before it looks at the
    // heap at all: a damaged length of 4 GB costs 4 GB and seconds (found
    // by the fuzz test). No string can be longer than the file holding it.
    if (length > file_size) {
      damaged(k, "claims " + std::to_string(length) + " bytes, more than the whole file (" +
                     std::to_string(file_size) + " bytes)");
    }
    unsigned char head[48];
    in.clear();
    in.seekg(static_cast<std::streamoff>(heap));
    if (heap > file_size || !in.read(reinterpret_cast<char*>(head), static_cast<std::streamsize>(header)) ||
        std::memcmp(head, "GCOL", 4) != 0) {
      continue;  // not a collection: libhdf5 refuses it on its own (bad signature)
    }
    const std::uint64_t size = little_endian(head + 8, sizes.lengths);
    if (size < header || size > file_size - heap) continue;  // libhdf5 cannot read it either
    collection.resize(static_cast<std::size_t>(size));
    in.seekg(static_cast<std::streamoff>(heap));
    if (!in.read(reinterpret_cast<char*>(collection.data()), static_cast<std::streamsize>(size))) continue;
    std::vector<std::uint64_t> objects;
    std::string problem;
    if (!walk_collection(collection.data(), size, sizes.lengths, &objects, problem)) damaged(k, "is in a damaged heap: " + problem);
    // libhdf5 1.10 looks the object up without checking that it exists.
    if (index == 0 || index >= objects.size() || objects[index] == ~std::uint64_t{0}) {
      damaged(k, "refers to object " + std::to_string(index) + ", which its heap does not hold");
    }
    if (length > objects[index]) damaged(k, "is longer than the heap object that holds it");
  }
}

}  // namespace crmsim::detail::h5
