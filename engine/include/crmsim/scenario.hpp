// The scenario as the engine receives it: plain structs in the planner's
// units (per year, shares, days), defaults already filled in by the caller.
// The engine derives its daily rates from these (rates.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crmsim/marketing.hpp"
#include "crmsim/model.hpp"

namespace crmsim {

/// Initial number of people in each non-prospect state; the rest are prospects.
struct InitialCounts {
  std::int64_t lead = 0;       ///< people with an open enquiry
  std::int64_t new_customer = 0;  ///< customers inside the welcome period
  std::int64_t active = 0;     ///< established single-product customers
  std::int64_t developed = 0;  ///< customers with more than one product
  std::int64_t at_risk = 0;    ///< customers with an unresolved problem
  std::int64_t lapsed = 0;     ///< former customers inside the win-back window
};

/// Organic acquisition: Bass diffusion plus the enquiry route.
struct AcquisitionParams {
  double innovation_per_year = 0.0;  ///< Bass p: share of prospects acquired per year unprompted
  double imitation_per_year = 0.0;   ///< Bass q: per year, times the market-wide customer share
  double enquiry_share = 0.0;        ///< share of acquisition events that start as an enquiry (lead)
  double enquiry_conversion = 0.5;   ///< probability that a lead converts within the enquiry window
};

/// Defection hazard and its heterogeneity across customers.
struct ChurnParams {
  double annual_rate = 0.2;       ///< mean share of active customers lost per year
  double polarization = 0.0;      ///< Beta polarization 1/(a+b+1): 0 = all alike, towards 1 = all-or-nothing
  double new_multiplier = 2.0;    ///< churn hazard factor inside the welcome period
  double developed_multiplier = 0.6;  ///< churn hazard factor for multi-product customers
  double at_risk_multiplier = 4.0;    ///< churn hazard factor while a problem is unresolved
};

/// Purchases: Poisson with a Gamma-distributed rate per customer; Gamma spend.
struct PurchaseParams {
  double per_year = 0.0;      ///< mean purchases per customer per year
  double rate_shape = 2.0;    ///< Gamma shape of the purchase rate (large = alike)
  double spend_mean = 0.0;    ///< mean spend per purchase, currency units
  double spend_shape = 4.0;   ///< Gamma shape of spend per purchase (large = alike)
};

/// Organic development to a second product.
struct DevelopmentParams {
  double per_year = 0.0;          ///< hazard per year that an active customer takes a second product
  double spend_multiplier = 1.5;  ///< spend factor of developed customers
};

/// Problems that put customers at risk.
struct ProblemParams {
  double per_year = 0.0;            ///< hazard per year that a customer meets a problem
  double recovery_days_mean = 30.0; ///< mean days until an at-risk customer recovers, if not lost first
};

/// How much each need weighs for a segment (weights are normalised to sum 1).
struct NeedsSpec {
  double price = 1.0;    ///< weight of price competitiveness
  double service = 1.0;  ///< weight of service level
  double brand = 1.0;    ///< weight of brand strength
};

/// One customer segment.
struct SegmentSpec {
  std::string name;               ///< unique name, used in overrides and reports
  std::int64_t market_size = 0;   ///< addressable people, customers included
  InitialCounts initial;          ///< starting states; the rest of the market are prospects
  AcquisitionParams acquisition;
  ChurnParams churn;
  PurchaseParams purchases;
  DevelopmentParams development;
  ProblemParams problems;
  NeedsSpec needs;                      ///< need weights, for proposition fit
  int proposition = -1;                 ///< index into ScenarioSpec::propositions; -1 = neutral fit
  double cost_to_serve_per_year = 0.0;  ///< currency per customer per year
  double gross_margin = 1.0;            ///< share of revenue kept after cost of goods
  BtydParams btyd;                      ///< BG/NBD parameters (model btyd only)
  SbgParams sbg;                        ///< sBG parameters (model sbg only)
  /// Later entries (model btyd and sbg only): customers who make their first
  /// purchase or sign up on a given day; initial.active are customers from day 0.
  std::vector<EntrySpec> entries;
};

/// Timers of the lifecycle shared by all segments.
struct LifecycleParams {
  int welcome_days = 90;          ///< days a new customer spends in the welcome period
  int enquiry_window_days = 14;   ///< days a lead stays open before returning to the market
  int winback_window_days = 180;  ///< days a lapsed customer stays in the win-back window
};

/// Everything the engine needs to run.
struct ScenarioSpec {
  std::string name;        ///< human-readable scenario name
  int days = 365;          ///< horizon in days
  ModelSpec model;         ///< lifecycle (default), btyd or sbg; see model.hpp
  LifecycleParams lifecycle;
  std::vector<SegmentSpec> segments;
  std::vector<PropositionSpec> propositions;
  FitEffects fit_effects;
  std::vector<ChannelSpec> channels;
  std::vector<CampaignSpec> campaigns;
  ContactPolicy contact_policy;
  std::vector<ValueTierSpec> value_tiers;  ///< empty = one tier for everybody
  AnalyticsSpec analytics;
};

/// Need-weighted fit of proposition `p` for segment `s`, 0..1 (0.5 when `p` is -1).
double proposition_fit(const ScenarioSpec& spec, int segment, int proposition);

/// Throws ScenarioError naming the first field the engine cannot run with.
/// The Python layer validates first with the JSON Schema; this is the
/// engine's own guard so that C++ callers get the same safety.
void validate(const ScenarioSpec& spec);

/// Total number of agents (sum of market sizes).
std::int64_t market_total(const ScenarioSpec& spec) noexcept;

}  // namespace crmsim
