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

/// Size of "lengths" in the file, from its superblock (at byte 0, 512,
/// 1024, ... after a user block); 8 if it cannot be told (HDF5 then fails
/// on its own when it opens the file).
unsigned length_size(std::ifstream& in, std::uint64_t file_size) {
  static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (std::uint64_t at = 0; at + 16 <= file_size; at = at == 0 ? 512 : at * 2) {
    unsigned char head[16];
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(reinterpret_cast<char*>(head), sizeof head)) break;
    if (std::memcmp(head, signature, 8) != 0) continue;
    const unsigned version = head[8];
    const unsigned size = version >= 2 ? head[10] : head[14];
    if (size == 2 || size == 4 || size == 8 || size == 16 || size == 32) return size > 8 ? 8 : size;
    return 8;
  }
  return 8;
}

/// What is wrong with the collection at `data` (its bytes, `size` long), or "".
std::string collection_problem(const unsigned char* data, std::uint64_t size, unsigned lengths) {
  const std::uint64_t header = align8(4 + 1 + 3 + lengths);
  const std::uint64_t object_header = align8(2 + 2 + 4 + lengths);
  std::uint64_t p = header;
  while (p < size) {
    if (p + object_header > size) break;  // a tail too small for an object: free space
    const unsigned index = static_cast<unsigned>(little_endian(data + p, 2));
    const std::uint64_t length = little_endian(data + p + 8, lengths);
    std::uint64_t need = 0;
    if (index > 0) {
      if (length > size) return "object " + std::to_string(index) + " is larger than its collection";
      need = object_header + align8(length);
    } else {
      need = length;  // the free space, its header included
      if (need < object_header) return "its free space has an impossible size (" + std::to_string(length) + ")";
    }
    if (need > size - p) {
      return "object " + std::to_string(index) + " runs past the end of its collection";
    }
    p += need;
  }
  return "";
}

}  // namespace

void check_global_heaps(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;  // opening it fails later with the usual message
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  const unsigned lengths = length_size(in, file_size);
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
      if (size < header || size > file_size - at) continue;
      collection.resize(static_cast<std::size_t>(size));
      in.seekg(static_cast<std::streamoff>(at));
      if (!in.read(reinterpret_cast<char*>(collection.data()), static_cast<std::streamsize>(size))) continue;
      const std::string problem = collection_problem(collection.data(), size, lengths);
      if (!problem.empty()) {
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

}  // namespace crmsim::detail::h5
