// Campaigns inside a day (internal to the engine): planning and targeting
// (parallel; campaigns.cpp), and deterministic selection under budgets,
// caps, capacities and the contact policy, campaign by campaign in priority
// order, with contact outcomes, responses and the bookkeeping of treated and
// holdout groups (campaign_contact.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "crmsim/agents.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/rates.hpp"
#include "crmsim/scenario.hpp"
#include "event_log.hpp"

namespace crmsim::detail {

/// Money inside the engine's campaign accounting: millionths of a currency
/// unit, so that a 0.3-cent email is exact and budgets hold to the unit.
inline std::int64_t to_micros(double amount) noexcept {
  return static_cast<std::int64_t>(amount * 1e6 + (amount >= 0 ? 0.5 : -0.5));
}

/// Campaign constants derived once from the scenario.
struct CampaignPlan {
  std::uint32_t index = 0;
  CampaignType type = CampaignType::retention;
  int channel = 0;
  std::uint8_t state_mask = 0;
  std::vector<std::uint8_t> segment_ok;   ///< per segment: 1 if targeted
  std::vector<std::uint8_t> tier_ok;      ///< per value tier: 1 if targeted
  double min_score = 0.0;
  double max_score = 1.0;
  TriggerSpec trigger;
  ScheduleSpec schedule;                  ///< end_day resolved to the horizon
  std::uint64_t holdout_threshold = 0;
  std::vector<double> response;           ///< per segment: response of a delivered contact before fatigue
  std::uint64_t direct_threshold = 0;     ///< acquisition: responders who buy at once
  double churn_factor = 1.0;              ///< churn hazard factor while the effect runs
  int churn_days = 0;                     ///< days the churn reduction runs
  double discount_share = 0.0;            ///< offer discount on spend
  int discount_days = 0;                  ///< days the discount runs
  int effect_span = 0;                    ///< max(churn_days, discount_days)
  std::int64_t incentive_micros = 0;
  std::int64_t cost_per_contact_micros = 0;
  std::int64_t wave_cost_micros = 0;
  std::int64_t budget_micros = -1;        ///< -1 = unlimited
  std::int64_t max_contacts_per_day = -1; ///< -1 = unlimited
  double brand_lift = 0.0;
  int priority = 0;
  int measurement_days = 30;

  /// True when the campaign contacts people on `day`.
  bool runs_on(int day) const noexcept {
    return day >= schedule.start_day && day <= schedule.end_day &&
           (day - schedule.start_day) % schedule.every_days == 0;
  }
};

/// The lifecycle states (bit per State) a campaign type reaches when the
/// scenario does not say.
std::uint8_t default_target_states(CampaignType type) noexcept;

/// Derives every campaign's plan.
std::vector<CampaignPlan> plan_campaigns(const ScenarioSpec& spec,
                                         const std::vector<SegmentRates>& rates);

/// Value tier boundaries as purchase rates, per segment and product level,
/// so that the tier of a customer is a couple of comparisons.
struct TierBounds {
  int tiers = 1;
  /// [segment][developed 0/1][tier]: lowest purchase rate (per day) of the tier.
  std::vector<double> min_rate;
  int tier_of(int segment, bool developed, double rate) const noexcept {
    const double* bounds = &min_rate[(static_cast<std::size_t>(segment) * 2 + (developed ? 1 : 0)) *
                                     static_cast<std::size_t>(tiers)];
    int t = 0;
    while (t + 1 < tiers && rate >= bounds[t + 1]) ++t;
    return t;
  }
};

/// Tier boundaries of a scenario.
TierBounds derive_tier_bounds(const ScenarioSpec& spec, const std::vector<SegmentRates>& rates);

/// One eligible person for one campaign on one day.
struct Candidate {
  std::uint32_t agent;
  float score;          ///< propensity score, 0..1, higher first
  std::uint32_t hash;   ///< tie-break, from (agent, campaign, seed)
  bool holdout;         ///< in the campaign's control group
  std::uint8_t marks = 0;  ///< what selection found out and decided (campaign_contact.cpp)
};

/// Everything the targeting pass reads.
struct TargetingContext {
  std::int32_t day = 0;
  std::uint64_t seed = 0;
  const std::vector<CampaignPlan>* plans = nullptr;
  const std::vector<int>* running = nullptr;  ///< indices of campaigns that run today
  const std::vector<SegmentRates>* rates = nullptr;
  const TierBounds* tiers = nullptr;
  double score_accuracy = 0.8;
};

/// Collects, for agents [begin, end), the candidates of each running campaign
/// (out[k] for running[k]) and tallies eligible and held_out.
void target_agents(const TargetingContext& ctx, const AgentArrays& agents, std::size_t begin,
                   std::size_t end, std::vector<std::vector<Candidate>>& out,
                   Tally<std::int64_t>& campaign_tally);

/// Mutable campaign state carried from day to day (part of a checkpoint).
struct CampaignState {
  std::int64_t spent_micros = 0;  ///< budget used so far (contacts, waves, incentives)
  double adstock = 0.0;           ///< brand carry-over: share of the market reached, decayed
};

/// Tallies the campaign phase adds to the day: one per chunk.
struct CampaignDayTallies {
  KpiRow& segments;
  Tally<std::int64_t>& campaigns;
  Tally<std::int64_t>& tiers;
};

/// Runs body(chunk, begin, end) over the fixed-size chunks of [0, n), in
/// parallel; the work of chunk c may write only chunk c's tallies.
using ChunkBody = std::function<void(std::size_t chunk, std::size_t begin, std::size_t end)>;
using ChunkRunner = std::function<void(std::size_t n, std::size_t chunk_size, const ChunkBody& body)>;

/// Everything selection and contact need.
struct ContactContext {
  std::int32_t day = 0;
  std::uint64_t seed = 0;
  const ScenarioSpec* spec = nullptr;
  const std::vector<SegmentRates>* rates = nullptr;
  const TierBounds* tiers = nullptr;
  const EventSampler* events = nullptr;  ///< event log sample; null = no event log
  ChunkRunner for_each_chunk;            ///< the simulation's parallel loop
  std::size_t chunk_size = 16384;        ///< its chunk size: at most as many chunks as tallies
};

/// Selects and contacts, campaign by campaign in priority order, and applies
/// responses. `candidates[k]` holds running[k]'s candidates in agent order.
/// `tallies[c]` takes chunk c's counts (at least as many as chunks of the
/// longest list); logged events are appended to `events` (null: none).
void select_and_contact(const ContactContext& ctx, const std::vector<CampaignPlan>& plans,
                        const std::vector<int>& running,
                        std::vector<std::vector<Candidate>>& candidates,
                        std::vector<CampaignState>& states, AgentArrays& agents,
                        std::vector<CampaignDayTallies>& tallies, std::vector<Event>* events);

/// Contacts within the policy window before today, from the agent's ring.
int recent_contacts(const AgentArrays& agents, std::size_t i, int day, int window_days) noexcept;

}  // namespace crmsim::detail
