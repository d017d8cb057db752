// Per-year scenario parameters -> per-day engine rates.
#include <algorithm>
#include <cmath>

#include "crmsim/rates.hpp"

namespace crmsim {

std::vector<SegmentRates> derive_rates(const ScenarioSpec& spec) {
  std::vector<SegmentRates> all;
  all.reserve(spec.segments.size());
  const double window = static_cast<double>(spec.lifecycle.enquiry_window_days);
  for (std::size_t index = 0; index < spec.segments.size(); ++index) {
    const SegmentSpec& s = spec.segments[index];
    SegmentRates r;
    // Proposition fit, neutral (0.5) without a proposition: see FitEffects.
    const double fit_gap = proposition_fit(spec, static_cast<int>(index), s.proposition) - 0.5;
    const double churn_fit = std::exp(-spec.fit_effects.churn * fit_gap);
    const double spend_fit = std::max(0.0, 1.0 + spec.fit_effects.spend * fit_gap);
    r.acquisition_fit = std::exp(spec.fit_effects.acquisition * fit_gap);
    r.innovation_per_day = s.acquisition.innovation_per_year / 365.0;
    r.imitation_per_day = s.acquisition.imitation_per_year / 365.0;
    r.enquiry_threshold = probability_threshold(s.acquisition.enquiry_share);
    // A constant daily hazard h over the window converts a lead with
    // probability 1 - exp(-h * window) = enquiry_conversion.
    const double conversion_hazard = -std::log1p(-s.acquisition.enquiry_conversion) / window;
    r.lead_conversion_threshold = probability_threshold(daily_probability(conversion_hazard));

    r.churn_multiplier.fill(0.0);
    r.churn_multiplier[static_cast<int>(State::new_customer)] = s.churn.new_multiplier;
    r.churn_multiplier[static_cast<int>(State::active)] = 1.0;
    r.churn_multiplier[static_cast<int>(State::developed)] = s.churn.developed_multiplier;
    r.churn_multiplier[static_cast<int>(State::at_risk)] = s.churn.at_risk_multiplier;
    for (double& m : r.churn_multiplier) m *= churn_fit;

    r.development_per_day = s.development.per_year / 365.0;
    r.problems_per_day = s.problems.per_year / 365.0;
    r.recovery_per_day = 1.0 / s.problems.recovery_days_mean;

    r.spend_shape = s.purchases.spend_shape;
    r.spend_scale = s.purchases.spend_mean * spend_fit / s.purchases.spend_shape;
    r.developed_spend_multiplier = s.development.spend_multiplier;
    r.purchase_rate_shape = s.purchases.rate_shape;
    r.purchase_rate_scale = s.purchases.per_year / 365.0 / s.purchases.rate_shape;

    r.churn_annual_rate = s.churn.annual_rate;
    const double phi = s.churn.polarization;
    // Below 1e-12 customers are alike for all purposes; a tinier (subnormal)
    // polarization would make the Beta shapes infinite and the traits NaN
    // (found by the invariant checks on random scenarios).
    if (phi >= 1e-12 && s.churn.annual_rate > 0.0) {
      // Polarization phi = 1 / (a + b + 1) with mean a / (a + b) = annual_rate.
      const double concentration = (1.0 - phi) / phi;
      r.churn_beta_a = s.churn.annual_rate * concentration;
      r.churn_beta_b = (1.0 - s.churn.annual_rate) * concentration;
    }
    all.push_back(r);
  }
  return all;
}

}  // namespace crmsim
