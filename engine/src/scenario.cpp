// The engine's own guard on scenario values (the Python layer checks first).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/lifecycle.hpp"
#include "crmsim/scenario.hpp"
#include "scenario_checks.hpp"

namespace crmsim {
namespace {

using detail::describe;
using detail::require;
using detail::require_index;
using detail::require_non_negative;
using detail::require_positive;
using detail::require_range;

/// The smallest Gamma shape of purchase rates and spend (as in the schema).
constexpr double min_gamma_shape = 0.001;

void validate_marketing(const ScenarioSpec& spec) {
  const std::size_t segments = spec.segments.size();
  for (std::size_t i = 0; i < spec.propositions.size(); ++i) {
    const auto& p = spec.propositions[i];
    const std::string at = "propositions[" + std::to_string(i) + "].";
    require_range(p.price_competitiveness, 0.0, 1.0, at + "price_competitiveness");
    require_range(p.service_level, 0.0, 1.0, at + "service_level");
    require_range(p.brand_strength, 0.0, 1.0, at + "brand_strength");
    require_range(p.offer.discount_share, 0.0, 1.0, at + "offer.discount_share");
    require_range(p.offer.incentive, 0.0, 1e6, at + "offer.incentive");
    require(p.offer.duration_days >= 0 && p.offer.duration_days <= 3650, at + "offer.duration_days",
            "between 0 and 3650", p.offer.duration_days);
  }
  require_range(spec.fit_effects.acquisition, 0.0, 10.0, "fit_effects.acquisition");
  require_range(spec.fit_effects.churn, 0.0, 10.0, "fit_effects.churn");
  require_range(spec.fit_effects.spend, 0.0, 2.0, "fit_effects.spend");
  require_range(spec.analytics.score_accuracy, 0.0, 1.0, "analytics.score_accuracy");
  require(spec.contact_policy.max_contacts >= 0 && spec.contact_policy.max_contacts <= 16,
          "contact_policy.max_contacts", "between 0 and 16", spec.contact_policy.max_contacts);
  require(spec.contact_policy.window_days >= 1 && spec.contact_policy.window_days <= 3650,
          "contact_policy.window_days", "between 1 and 3650", spec.contact_policy.window_days);
  for (std::size_t t = 0; t < spec.value_tiers.size(); ++t) {
    const std::string at = "value_tiers[" + std::to_string(t) + "].min_annual_value";
    const double v = spec.value_tiers[t].min_annual_value;
    require_range(v, 0.0, 1e12, at);
    if (t == 0) require(v == 0.0, at, "0 for the first tier", v);
    if (t > 0) require(v > spec.value_tiers[t - 1].min_annual_value, at,
                       "greater than the previous tier's", v);
  }
  for (std::size_t i = 0; i < spec.channels.size(); ++i) {
    const auto& c = spec.channels[i];
    const std::string at = "channels[" + std::to_string(i) + "].";
    require_range(c.cost_per_contact, 0.0, 1e4, at + "cost_per_contact");
    require_range(c.fixed_cost_per_wave, 0.0, 1e9, at + "fixed_cost_per_wave");
    require_range(c.reach, 0.0, 1.0, at + "reach");
    if (c.base_response.size() != segments) {
      throw ScenarioError(at + "base_response", "must have one value per segment (" +
                                                    std::to_string(segments) + "), got " +
                                                    std::to_string(c.base_response.size()));
    }
    for (std::size_t s = 0; s < segments; ++s) {
      require_range(c.base_response[s], 0.0, 1.0, at + "base_response[" + std::to_string(s) + "]");
    }
    require(c.capacity_per_day >= -1, at + "capacity_per_day", "-1 (unlimited) or at least 0",
            static_cast<double>(c.capacity_per_day));
    require_range(c.fatigue, 0.0, 100.0, at + "fatigue");
    require_range(c.unsubscribe_probability, 0.0, 1.0, at + "unsubscribe_probability");
    require_range(c.adstock_decay_per_day, 0.0, 1.0, at + "adstock_decay_per_day", false, true);
  }
  require(spec.campaigns.size() <= 254, "campaigns", "at most 254 campaigns",
          static_cast<double>(spec.campaigns.size()));
  const std::size_t tiers = std::max<std::size_t>(1, spec.value_tiers.size());
  for (std::size_t i = 0; i < spec.campaigns.size(); ++i) {
    const auto& c = spec.campaigns[i];
    const std::string at = "campaigns[" + std::to_string(i) + "].";
    if (c.name.empty()) throw ScenarioError(at + "name", "must not be empty");
    require_index(c.channel, spec.channels.size(), at + "channel", "channels");
    if (c.proposition != -1) {
      require_index(c.proposition, spec.propositions.size(), at + "proposition", "propositions");
    }
    require(c.schedule.start_day >= 1, at + "schedule.start_day", "at least 1", c.schedule.start_day);
    require(c.schedule.end_day == 0 || c.schedule.end_day >= c.schedule.start_day,
            at + "schedule.end_day", "0 (the horizon) or at least start_day", c.schedule.end_day);
    require(c.schedule.every_days >= 1, at + "schedule.every_days", "at least 1",
            c.schedule.every_days);
    require(c.trigger.days >= 0, at + "trigger.days", "at least 0", c.trigger.days);
    require(c.targeting.states < (1u << state_count), at + "targeting.states",
            "a mask of the 7 lifecycle states", c.targeting.states);
    for (std::size_t k = 0; k < c.targeting.segments.size(); ++k) {
      require_index(c.targeting.segments[k], segments,
                    at + "targeting.segments[" + std::to_string(k) + "]", "segments");
    }
    for (std::size_t k = 0; k < c.targeting.value_tiers.size(); ++k) {
      require_index(c.targeting.value_tiers[k], tiers,
                    at + "targeting.value_tiers[" + std::to_string(k) + "]", "value tiers");
    }
    require_range(c.targeting.min_score, 0.0, 1.0, at + "targeting.min_score");
    require_range(c.targeting.max_score, c.targeting.min_score, 1.0, at + "targeting.max_score");
    require_range(c.effect.churn_reduction, 0.0, 1.0, at + "effect.churn_reduction");
    require(c.effect.duration_days >= 0 && c.effect.duration_days <= 3650,
            at + "effect.duration_days", "between 0 and 3650", c.effect.duration_days);
    require_range(c.effect.direct_share, 0.0, 1.0, at + "effect.direct_share");
    require_range(c.effect.brand_lift, 0.0, 1000.0, at + "effect.brand_lift");
    require(c.budget == -1.0 || (std::isfinite(c.budget) && c.budget >= 0.0 && c.budget <= 1e12),
            at + "budget", "-1 (unlimited) or an amount between 0 and 1e12", c.budget);
    require(c.max_contacts_per_day >= -1, at + "max_contacts_per_day",
            "-1 (unlimited) or at least 0", static_cast<double>(c.max_contacts_per_day));
    require_range(c.holdout_share, 0.0, 1.0, at + "holdout_share", false, true);
    if (c.type == CampaignType::brand) {
      require(c.holdout_share == 0.0, at + "holdout_share",
              "0 for a brand campaign (its effect is market-wide)", c.holdout_share);
    }
    require(c.measurement_days >= 1 && c.measurement_days <= 3650, at + "measurement_days",
            "between 1 and 3650", c.measurement_days);
  }
}

}  // namespace

double proposition_fit(const ScenarioSpec& spec, int segment, int proposition) {
  if (proposition < 0) return 0.5;
  const auto& needs = spec.segments[static_cast<std::size_t>(segment)].needs;
  const auto& p = spec.propositions[static_cast<std::size_t>(proposition)];
  const double weight = needs.price + needs.service + needs.brand;
  if (!(weight > 0.0)) return 0.5;
  return (needs.price * p.price_competitiveness + needs.service * p.service_level +
          needs.brand * p.brand_strength) / weight;
}

std::int64_t market_total(const ScenarioSpec& spec) noexcept {
  std::int64_t total = 0;
  for (const auto& s : spec.segments) total += s.market_size;
  return total;
}

// Money amounts and factors have upper bounds so that no product of them can
// overflow the engine's integer cents and micros (or its int32 window revenue).
void validate(const ScenarioSpec& spec) {
  require(spec.days >= 1 && spec.days <= 100 * 365, "days", "between 1 and 36500", spec.days);
  const auto& life = spec.lifecycle;
  require(life.welcome_days >= 0 && life.welcome_days <= 3650, "lifecycle.welcome_days",
          "between 0 and 3650", life.welcome_days);
  require(life.enquiry_window_days >= 1 && life.enquiry_window_days <= 3650,
          "lifecycle.enquiry_window_days", "between 1 and 3650", life.enquiry_window_days);
  require(life.winback_window_days >= 0 && life.winback_window_days <= 3650,
          "lifecycle.winback_window_days", "between 0 and 3650", life.winback_window_days);
  if (spec.segments.empty()) throw ScenarioError("segments", "must list at least one segment");
  require(spec.segments.size() <= 255, "segments", "at most 255 segments",
          static_cast<double>(spec.segments.size()));

  std::int64_t total = 0;
  for (std::size_t i = 0; i < spec.segments.size(); ++i) {
    const auto& s = spec.segments[i];
    const std::string at = "segments[" + std::to_string(i) + "].";
    if (s.name.empty()) throw ScenarioError(at + "name", "must not be empty");
    for (std::size_t j = 0; j < i; ++j) {
      if (spec.segments[j].name == s.name)
        throw ScenarioError(at + "name", "duplicate segment name '" + s.name + "'");
    }
    require(s.market_size >= 1, at + "market_size", "at least 1", static_cast<double>(s.market_size));
    const auto& init = s.initial;
    const std::int64_t counts[] = {init.lead, init.new_customer, init.active,
                                   init.developed, init.at_risk, init.lapsed};
    const char* names[] = {"lead", "new", "active", "developed", "at_risk", "lapsed"};
    std::int64_t placed = 0;
    for (int k = 0; k < 6; ++k) {
      require(counts[k] >= 0, at + "initial." + names[k], "at least 0", static_cast<double>(counts[k]));
      placed += counts[k];
    }
    if (placed > s.market_size) {
      throw ScenarioError(at + "initial", "initial people (" + std::to_string(placed) +
                                              ") must not exceed market_size (" +
                                              std::to_string(s.market_size) + ")");
    }
    total += s.market_size;

    require_range(s.acquisition.innovation_per_year, 0.0, 10.0, at + "acquisition.innovation_per_year");
    require_range(s.acquisition.imitation_per_year, 0.0, 50.0, at + "acquisition.imitation_per_year");
    require_range(s.acquisition.enquiry_share, 0.0, 1.0, at + "acquisition.enquiry_share");
    require_range(s.acquisition.enquiry_conversion, 0.0, 1.0, at + "acquisition.enquiry_conversion",
                  false, true);
    require_range(s.churn.annual_rate, 0.0, 1.0, at + "churn.annual_rate", false, true);
    require_range(s.churn.polarization, 0.0, 1.0, at + "churn.polarization", false, true);
    require_range(s.churn.new_multiplier, 0.0, 1000.0, at + "churn.new_multiplier");
    require_range(s.churn.developed_multiplier, 0.0, 1000.0, at + "churn.developed_multiplier");
    require_range(s.churn.at_risk_multiplier, 0.0, 1000.0, at + "churn.at_risk_multiplier");
    require_range(s.purchases.per_year, 0.0, 3650.0, at + "purchases.per_year");
    // Gamma shapes below 0.001 give nearly everybody 0 and a few people an
    // astronomical rate or spend; a subnormal one made the scale mean / shape
    // infinite and every draw NaN (found by fuzzing the scenario loader).
    require(std::isfinite(s.purchases.rate_shape) && s.purchases.rate_shape >= min_gamma_shape,
            at + "purchases.rate_shape", "a finite number >= 0.001", s.purchases.rate_shape);
    require_range(s.purchases.spend_mean, 0.0, 1e6, at + "purchases.spend_mean");
    require(std::isfinite(s.purchases.spend_shape) && s.purchases.spend_shape >= min_gamma_shape,
            at + "purchases.spend_shape", "a finite number >= 0.001", s.purchases.spend_shape);
    require_range(s.development.per_year, 0.0, 365.0, at + "development.per_year");
    require_range(s.development.spend_multiplier, 0.0, 100.0, at + "development.spend_multiplier");
    require_range(s.problems.per_year, 0.0, 365.0, at + "problems.per_year");
    require_range(s.problems.recovery_days_mean, 0.0, 36500.0, at + "problems.recovery_days_mean", true);
    require_non_negative(s.needs.price, at + "needs.price");
    require_non_negative(s.needs.service, at + "needs.service");
    require_non_negative(s.needs.brand, at + "needs.brand");
    if (s.proposition != -1) {
      require_index(s.proposition, spec.propositions.size(), at + "proposition", "propositions");
    }
    require_range(s.cost_to_serve_per_year, 0.0, 1e9, at + "cost_to_serve_per_year");
    require_range(s.gross_margin, 0.0, 1.0, at + "gross_margin");
  }
  // Agent ids are 32-bit counters of the random number generator.
  require(total <= std::int64_t{std::numeric_limits<std::uint32_t>::max()}, "segments",
          "a total market_size of at most 4294967295", static_cast<double>(total));
  validate_marketing(spec);
  validate_model(spec);
}

}  // namespace crmsim
