// The daily per-agent pass (internal to the engine): the hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "campaigns.hpp"
#include "crmsim/agents.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/rates.hpp"
#include "crmsim/scenario.hpp"
#include "event_log.hpp"

namespace crmsim::detail {

/// The day's screen: for each (segment, state), bounds that a person's two
/// lifecycle words must reach for the day to certainly hold nothing for
/// them (no event, no purchase, no timer running out). The bounds are in
/// units of 2^-24 of a word (its top 24 bits, exact in a float) and rounded
/// up, so the screen only ever passes over people the exact rules would
/// leave alone: results are the same as without it, just faster.
struct DayScreen {
  static constexpr int states = 8;  ///< entries per segment (state_count, padded)
  std::vector<float> event_fixed;       ///< event bound, the part that does not depend on the person
  std::vector<float> event_per_hazard;  ///< event bound per unit of the person's churn hazard
  std::vector<float> buy_per_rate;      ///< purchase bound per unit of the person's purchase rate
  std::vector<std::int32_t> due_since;  ///< a timer has run out when state_since <= this
  std::vector<std::int32_t> due_acquired;  ///< a timer has run out when acquired_day <= this
  /// By campaign index + 1 (0: none): the exact rules are needed when the
  /// person's effect_until < effect_due[effect_campaign], or their
  /// assigned_day <= close_due[assigned].
  static constexpr std::size_t campaign_entries = 256;
  std::vector<std::int32_t> effect_due;
  std::vector<std::int32_t> close_due;
  bool campaigns = false;  ///< the scenario has campaigns: check their timers

  /// A screen that flags everyone, for `segments` segments (the exact rules
  /// for every person: what the screen must never differ from).
  static DayScreen everyone(std::size_t segments);
};

/// Builds the screen of `day` (of a run ending on `horizon`) for the
/// lifecycle rules, the scenario's campaigns and today's acquisition
/// thresholds (one per segment).
DayScreen make_day_screen(const std::vector<SegmentRates>& rates, const LifecycleParams& lifecycle,
                          const std::vector<CampaignPlan>& campaigns,
                          const std::vector<std::uint64_t>& acquisition_threshold, std::int32_t day,
                          std::int32_t horizon);

/// What every agent sees on one day: read-only, shared by all chunks.
struct DayContext {
  std::int32_t day = 0;                           ///< the day being simulated (1-based)
  std::int32_t horizon = 0;                       ///< last day of the run
  std::uint64_t seed = 0;                         ///< run seed
  LifecycleParams lifecycle;                      ///< timers
  const SegmentRates* rates = nullptr;            ///< per segment
  const std::uint64_t* acquisition_threshold = nullptr;  ///< per segment: today's prospect acquisition probability, as a threshold
  const CampaignPlan* campaigns = nullptr;        ///< per campaign (effects and measurement)
  const TierBounds* tiers = nullptr;              ///< value tiers
  const EventSampler* events = nullptr;           ///< event log sample; null = no event log
  const DayScreen* screen = nullptr;              ///< who certainly has nothing to do today
};

/// One chunk's tallies of a day; added up in chunk order.
struct ChunkTallies {
  ChunkTallies(int segments, int campaigns, int tiers)
      : segments(segments, kpi_count), campaigns(campaigns, campaign_kpi_count),
        buckets(campaigns * 2 * measurement_bucket_count, bucket_kpi_count),
        tiers(segments * tiers, tier_kpi_count) {}
  KpiRow segments;                       ///< per segment
  Tally<std::int64_t> campaigns;         ///< per campaign
  Tally<std::int64_t> buckets;           ///< per (campaign, treated/holdout, bucket): measurement
  Tally<std::int64_t> tiers;             ///< per (segment, tier)
  std::vector<std::vector<Candidate>> candidates;  ///< per running campaign, for targeting
  std::vector<Event> events;             ///< the day's logged events, in agent order (event log only)
  void clear() {
    events.clear();
    segments.clear();
    campaigns.clear();
    buckets.clear();
    tiers.clear();
  }
};

/// Advances agents [begin, end) by one day and tallies their flows and
/// the changes of the state counts (count_move; the day's counts start from
/// yesterday's, carried into one chunk's tally by the caller).
void lifecycle_pass(const DayContext& ctx, AgentArrays& agents, std::size_t begin, std::size_t end,
                    ChunkTallies& tally);

/// Counts states and customers per tier of agents [begin, end).
void count_states(const AgentArrays& agents, const TierBounds& tiers, std::size_t begin,
                  std::size_t end, ChunkTallies& tally);

}  // namespace crmsim::detail
