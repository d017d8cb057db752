// Memory limits: what a run will need, checked before anything is allocated,
// so that a population or horizon too large for the machine is refused with
// the estimate in the message instead of failing half-way (or swapping).
#pragma once

#include <cstdint>
#include <string>

#include "crmsim/scenario.hpp"

namespace crmsim {

/// Bytes a run needs, about, by what holds them. Every part is allocated
/// when the Simulation is built, except the candidate lists, which are the
/// peak of a day's campaign targeting.
struct MemoryEstimate {
  std::int64_t agents = 0;              ///< people simulated
  int days = 0;                         ///< horizon in days
  std::uint64_t bytes_per_agent = 0;    ///< agent columns, bytes per person
  std::uint64_t agent_bytes = 0;        ///< all agent columns
  std::uint64_t table_bytes = 0;        ///< daily KPI tables (days + 1 rows) and measurement buckets
  std::uint64_t working_bytes = 0;      ///< per-chunk tallies and campaign candidate lists
  /// Everything together.
  std::uint64_t total() const noexcept { return agent_bytes + table_bytes + working_bytes; }
};

/// Contact days kept per agent: enough for the contact policy's cap, and a
/// few for fatigue when there is no cap.
int contact_slots(const ScenarioSpec& spec) noexcept;

/// What a run of `spec` (already validated) needs, with work split into
/// chunks of `chunk_size` agents (0: chunk_size_for). Allocates nothing.
MemoryEstimate estimate_memory(const ScenarioSpec& spec, std::int64_t chunk_size = 0);

/// Memory this process may use, in bytes: the machine's physical memory, or
/// its control group's limit (containers, batch schedulers) when lower;
/// 0 if it cannot be told.
std::uint64_t machine_memory_bytes() noexcept;

/// Bytes as people read them: "640 GB", "1.5 GB", "300 MB", "12 kB" (powers of 1000).
std::string format_bytes(std::uint64_t bytes);

/// A whole number with thousands separators: "10,000,000".
std::string format_count(std::int64_t n);

/// Throws MemoryLimitError when `estimate` does not fit in `limit` bytes
/// (0 = machine_memory_bytes(); no check when that is unknown). The message
/// reads "4,000,000,000 agents for 730 days need about 216 GB; this machine
/// has 24 GB" followed by what holds the memory; `limit_is_machine` says
/// whether a given limit is the machine's memory ("the limit is" otherwise).
void check_memory(const MemoryEstimate& estimate, std::uint64_t limit = 0, bool limit_is_machine = false);

/// Throws MemoryLimitError when reading `count` values of `size` bytes for
/// `what` (a dataset of a file) would not fit in memory; guards readers of
/// files whose header may claim any size.
void check_allocation(std::uint64_t count, std::uint64_t size, const std::string& what);

}  // namespace crmsim
