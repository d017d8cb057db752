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
/// end-of-day states (the caller has cleared `tally`).
void lifecycle_pass(const DayContext& ctx, AgentArrays& agents, std::size_t begin, std::size_t end,
                    ChunkTallies& tally);

/// Counts states and customers per tier of agents [begin, end).
void count_states(const AgentArrays& agents, const TierBounds& tiers, std::size_t begin,
                  std::size_t end, ChunkTallies& tally);

}  // namespace crmsim::detail
