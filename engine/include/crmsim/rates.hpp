// Daily rates derived once from a scenario's per-year parameters, so the
// per-agent pass only looks numbers up.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "crmsim/lifecycle.hpp"
#include "crmsim/rng.hpp"
#include "crmsim/scenario.hpp"

namespace crmsim {

/// Probability that an event with hazard `h` (per day) happens within a day:
/// 1 - exp(-h). A degree-7 series below 1/8 (error < 2e-12) keeps the hot
/// path free of libm calls; it is deterministic on every IEEE machine.
inline double daily_probability(double h) noexcept {
  if (h < 0.125) {
    const double h2 = h * h;
    return h - h2 * (0.5 - h * (1.0 / 6.0 - h * (1.0 / 24.0 - h * (1.0 / 120.0 -
                                               h * (1.0 / 720.0 - h * (1.0 / 5040.0))))));
  }
  return -std::expm1(-h);
}

/// Number of purchases on a day with at least one: inverse CDF at `u` of the
/// zero-truncated Poisson(rate), where `p_any` = 1 - exp(-rate).
inline int purchases_given_any(double rate, double p_any, double u) noexcept {
  double term = rate * (1.0 - p_any) / p_any;  // P(N = 1 | N >= 1)
  double cumulative = term;
  int n = 1;
  while (u > cumulative && n < 100000) {
    ++n;
    term *= rate / n;
    cumulative += term;
  }
  return n;
}

/// Converts a share lost over a year into a constant hazard per day.
inline double annual_share_to_daily_hazard(double share) noexcept {
  return -std::log1p(-share) / 365.0;
}

/// Per-segment rates in per-day units.
struct SegmentRates {
  double innovation_per_day = 0.0;      ///< Bass p per day
  double imitation_per_day = 0.0;       ///< Bass q per day
  std::uint64_t enquiry_threshold = 0;  ///< word < threshold: acquisition starts as a lead
  std::uint64_t lead_conversion_threshold = 0;  ///< daily conversion probability of a lead, as a threshold
  /// Churn hazard factor by state (0 for states that cannot defect),
  /// proposition fit included.
  std::array<double, state_count> churn_multiplier{};
  double development_per_day = 0.0;     ///< hazard active -> developed
  double problems_per_day = 0.0;        ///< hazard customer -> at_risk
  double recovery_per_day = 0.0;        ///< hazard at_risk -> recovered
  double spend_shape = 1.0;             ///< Gamma shape of spend per purchase
  double spend_scale = 0.0;             ///< Gamma scale of spend per purchase, currency units (fit included)
  double developed_spend_multiplier = 1.0;  ///< spend factor of developed customers
  double purchase_rate_shape = 1.0;     ///< Gamma shape of purchase rates
  double purchase_rate_scale = 0.0;     ///< Gamma scale of purchase rates, per day
  double churn_beta_a = 0.0;            ///< Beta a of annual churn propensity (0: no heterogeneity)
  double churn_beta_b = 0.0;            ///< Beta b of annual churn propensity
  double churn_annual_rate = 0.0;       ///< mean annual churn propensity
  double acquisition_fit = 1.0;         ///< acquisition factor from the segment's proposition fit
};

/// Rates for every segment of a scenario.
std::vector<SegmentRates> derive_rates(const ScenarioSpec& spec);

}  // namespace crmsim
