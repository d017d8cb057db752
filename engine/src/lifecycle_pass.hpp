// The daily per-agent pass (internal to the engine): the hot path.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crmsim/agents.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/rates.hpp"
#include "crmsim/scenario.hpp"

namespace crmsim::detail {

/// What every agent sees on one day: read-only, shared by all chunks.
struct DayContext {
  std::int32_t day = 0;                           ///< the day being simulated (1-based)
  std::uint64_t seed = 0;                         ///< run seed
  LifecycleParams lifecycle;                      ///< timers
  const SegmentRates* rates = nullptr;            ///< per segment
  const std::uint64_t* acquisition_threshold = nullptr;  ///< per segment: today's prospect acquisition probability, as a threshold
};

/// Advances agents [begin, end) by one day and tallies their flows and
/// end-of-day states into `tally` (which the caller has cleared).
void lifecycle_pass(const DayContext& ctx, AgentArrays& agents, std::size_t begin, std::size_t end,
                    KpiRow& tally);

/// Counts end-of-day states of agents [begin, end) into `tally`.
void count_states(const AgentArrays& agents, std::size_t begin, std::size_t end, KpiRow& tally);

}  // namespace crmsim::detail
