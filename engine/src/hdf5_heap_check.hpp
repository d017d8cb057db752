// A check of a file's HDF5 global heap collections before libhdf5 reads
// them (see hdf5_heap_check.cpp for why).
#pragma once

#include <string>

namespace crmsim::detail::h5 {

/// Walks every global heap collection in the file at `path` the way
/// libhdf5 1.10 will; throws FileFormatError naming the byte offset when one
/// would make libhdf5 loop forever or read out of bounds. Reads the file
/// once (about a second per GB from the page cache).
void check_global_heaps(const std::string& path);

/// Checks the `count` variable-length string references stored at byte
/// `address` of the file (a dataset's contiguous raw data, which has no
/// checksum): each must name an object its global heap holds, no shorter
/// than the string. Throws FileFormatError naming the string.
void check_vlen_references(const std::string& path, std::uint64_t address, std::uint64_t count);

}  // namespace crmsim::detail::h5
