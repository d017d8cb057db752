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

}  // namespace crmsim::detail::h5
