// How a day's state counts are kept (internal to the engine). The counts of
// people per state, and of customers per value tier, start each day from
// yesterday's (carry_state_counts) and change only when someone moves: the
// people who stay put, most of them on most days, cost nothing.
#pragma once

#include "campaigns.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/lifecycle.hpp"

namespace crmsim::detail {

/// Books a move of one person of segment `seg` from state `from` to `to`
/// in a day's tallies: one fewer in `from`, one more in `to`, and the same
/// for customers per tier (`rate` is the person's purchase rate, which
/// with the segment and the developed state decides the tier). The flow
/// itself is the caller's to count.
inline void count_move(KpiRow& segments, Tally<std::int64_t>& tiers, const TierBounds& bounds,
                       int seg, State from, State to, float rate) noexcept {
  --segments.at(seg, static_cast<Kpi>(from));
  ++segments.at(seg, static_cast<Kpi>(to));
  if (is_customer(from)) {
    --tiers.at(seg * bounds.tiers + bounds.tier_of(seg, from == State::developed, rate), TierKpi::customers);
  }
  if (is_customer(to)) {
    ++tiers.at(seg * bounds.tiers + bounds.tier_of(seg, to == State::developed, rate), TierKpi::customers);
  }
}

}  // namespace crmsim::detail
