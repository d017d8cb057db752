// Visiting the few flagged entries of a block (internal to the engine).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace crmsim::detail {

/// Calls visit(k) for every k < n with flags[k] != 0, in order. `flags`
/// holds 0 or 1 per entry and has room for n rounded up to a multiple of 8
/// (the padding is cleared here): runs of unflagged entries, the common
/// case, are skipped eight at a time.
template <class Visit>
void for_each_flagged(std::uint8_t* flags, std::size_t n, Visit&& visit) {
  std::fill(flags + n, flags + ((n + 7) & ~std::size_t{7}), std::uint8_t{0});
  for (std::size_t k = 0; k < n; k += 8) {
    std::uint64_t group;
    std::memcpy(&group, flags + k, sizeof group);
    while (group != 0) {
      // Each flag is the lowest bit of its byte: byte order is entry order.
      visit(k + static_cast<std::size_t>(__builtin_ctzll(group)) / 8);
      group &= group - 1;
    }
  }
}

}  // namespace crmsim::detail
