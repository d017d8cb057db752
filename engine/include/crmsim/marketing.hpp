// Customer-management activity as the engine receives it: propositions,
// channels, campaigns and the contact policy (QCi "propositions",
// "customer management activity", "measuring the effect"; IDIC "interact",
// "customise"). Names have been resolved to indices by the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crmsim {

/// An offer attached to a proposition: what a responder gets, what it costs us.
struct OfferSpec {
  double discount_share = 0.0;  ///< share taken off the responder's spend while the offer runs
  double incentive = 0.0;       ///< one-off cost per responder, currency units
  int duration_days = 0;        ///< days the discount runs after the response
};

/// What we put in front of customers; scored 0..1 on each need.
struct PropositionSpec {
  std::string name;                    ///< unique name
  double price_competitiveness = 0.5;  ///< 0 = dearest in the market, 1 = cheapest
  double service_level = 0.5;          ///< 0 = poor, 1 = best in the market
  double brand_strength = 0.5;         ///< 0 = unknown, 1 = strongest brand
  OfferSpec offer;                     ///< offer made to campaign responders
};

/// How strongly proposition fit moves behaviour. Fit is the segment's
/// need-weighted score of a proposition, 0..1, neutral at 0.5:
///   acquisition and response x exp(acquisition * (fit - 0.5))
///   churn hazard             x exp(-churn * (fit - 0.5))
///   spend                    x (1 + spend * (fit - 0.5))
struct FitEffects {
  double acquisition = 1.0;  ///< sensitivity of acquisition and response to fit
  double churn = 1.0;        ///< sensitivity of churn to fit
  double spend = 0.5;        ///< sensitivity of spend to fit
};

/// A contact channel (email, direct mail, outbound call, ...).
struct ChannelSpec {
  std::string name;                  ///< unique name
  double cost_per_contact = 0.0;     ///< currency per contact attempted
  double fixed_cost_per_wave = 0.0;  ///< currency per campaign and day the channel is used
  double reach = 1.0;                ///< share of contacts delivered
  std::vector<double> base_response; ///< per segment: probability a delivered contact responds
  std::int64_t capacity_per_day = -1;  ///< contacts per day across campaigns; -1 = unlimited
  double fatigue = 0.0;              ///< response x 1 / (1 + fatigue x contacts in the policy window)
  double unsubscribe_probability = 0.0;  ///< per delivered contact: the person opts out for good
  double adstock_decay_per_day = 0.0;    ///< brand carry-over kept from one day to the next
};

/// Campaign types; each response does what its type says.
enum class CampaignType : std::uint8_t {
  acquisition,       ///< prospect -> lead or new customer
  welcome,           ///< new customer: lower churn for a while
  cross_sell,        ///< customer takes one more product (developed)
  retention,         ///< customer: lower churn for a while, at the offer's cost
  service_recovery,  ///< at-risk customer: problem resolved now
  win_back,          ///< lapsed person: customer again, flagged as won back
  brand,             ///< raises organic acquisition through adstock
};

/// Number of campaign types.
inline constexpr int campaign_type_count = 7;

/// What starts a contact for one person (besides the schedule).
enum class TriggerKind : std::uint8_t {
  none,                  ///< every eligible person on every wave day
  tenure_day,            ///< on tenure day N (days since acquisition)
  entered_at_risk,       ///< the day after the person became at risk
  lapsed_for_days,       ///< N days after defecting
  no_purchase_for_days,  ///< N days after the last purchase (customers only)
};

/// When a campaign runs: waves on start_day, start_day + every_days, ... up to end_day.
struct ScheduleSpec {
  int start_day = 1;   ///< first day (1-based)
  int end_day = 0;     ///< last day, inclusive; 0 = the horizon
  int every_days = 1;  ///< days between waves; 1 = every day (triggered campaigns)
};

/// A per-person trigger.
struct TriggerSpec {
  TriggerKind kind = TriggerKind::none;  ///< what starts a contact
  int days = 0;                          ///< N of the trigger, in days
};

/// Who a campaign may contact.
struct TargetingSpec {
  std::uint8_t states = 0;                ///< bit mask over State values
  std::vector<std::uint8_t> segments;     ///< segment indices; empty = all
  std::vector<std::uint8_t> value_tiers;  ///< value tier indices; empty = all
  double min_score = 0.0;                 ///< lowest propensity score contacted, 0..1
  double max_score = 1.0;                 ///< highest propensity score contacted, 0..1
};

/// What a response does beyond the type's transition.
struct EffectSpec {
  double churn_reduction = 0.0;  ///< share taken off the churn hazard (welcome, retention, win-back)
  int duration_days = 0;         ///< days the churn reduction lasts
  double direct_share = 0.0;     ///< acquisition: share of responders who buy at once (rest enquire)
  double brand_lift = 0.0;       ///< brand: innovation x (1 + brand_lift x adstock per 1% of the market)
};

/// One campaign.
struct CampaignSpec {
  std::string name;               ///< unique name
  CampaignType type = CampaignType::retention;
  int channel = 0;                ///< index into ScenarioSpec::channels
  int proposition = -1;           ///< index into propositions; -1 = the segment's own
  ScheduleSpec schedule;
  TriggerSpec trigger;
  TargetingSpec targeting;
  EffectSpec effect;
  double budget = -1.0;                   ///< total spend allowed, currency; -1 = unlimited
  std::int64_t max_contacts_per_day = -1; ///< -1 = unlimited
  double holdout_share = 0.0;             ///< share of eligible people kept as a control group
  int priority = 0;                       ///< lower runs first when campaigns compete
  int measurement_days = 30;              ///< days outcomes are followed after assignment
};

/// Caps on how often one person is contacted, across all campaigns.
struct ContactPolicy {
  int max_contacts = 0;   ///< contacts per person per window; 0 = no cap
  int window_days = 30;   ///< rolling window, days (also the fatigue window)
};

/// A value tier: customers whose expected annual value is at least `min_annual_value`.
struct ValueTierSpec {
  std::string name;               ///< unique name
  double min_annual_value = 0.0;  ///< currency per year; tiers ascend, the first starts at 0
};

/// Analytics quality (QCi "analysis and planning", IDIC "identify").
struct AnalyticsSpec {
  double score_accuracy = 0.8;  ///< weight of the true propensity in scores; the rest is noise
};

}  // namespace crmsim
