// The engine's own guard on scenario values (the Python layer checks first).
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/scenario.hpp"

namespace crmsim {
namespace {

std::string describe(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

void require(bool ok, const std::string& field, const std::string& expected, double got) {
  if (!ok) throw ScenarioError(field, "must be " + expected + ", got " + describe(got));
}

void require_range(double value, double lo, double hi, const std::string& field,
                   bool lo_open = false, bool hi_open = false) {
  const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) &&
                  (hi_open ? value < hi : value <= hi);
  std::string expected = "between " + describe(lo) + (lo_open ? " (exclusive)" : "") + " and " +
                         describe(hi) + (hi_open ? " (exclusive)" : "");
  require(ok, field, expected, value);
}

void require_non_negative(double value, const std::string& field) {
  require(std::isfinite(value) && value >= 0.0, field, "a finite number >= 0", value);
}

void require_positive(double value, const std::string& field) {
  require(std::isfinite(value) && value > 0.0, field, "a finite number > 0", value);
}

}  // namespace

std::int64_t market_total(const ScenarioSpec& spec) noexcept {
  std::int64_t total = 0;
  for (const auto& s : spec.segments) total += s.market_size;
  return total;
}

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
    require_non_negative(s.churn.new_multiplier, at + "churn.new_multiplier");
    require_non_negative(s.churn.developed_multiplier, at + "churn.developed_multiplier");
    require_non_negative(s.churn.at_risk_multiplier, at + "churn.at_risk_multiplier");
    require_range(s.purchases.per_year, 0.0, 3650.0, at + "purchases.per_year");
    require_positive(s.purchases.rate_shape, at + "purchases.rate_shape");
    require_non_negative(s.purchases.spend_mean, at + "purchases.spend_mean");
    require_positive(s.purchases.spend_shape, at + "purchases.spend_shape");
    require_range(s.development.per_year, 0.0, 365.0, at + "development.per_year");
    require_non_negative(s.development.spend_multiplier, at + "development.spend_multiplier");
    require_range(s.problems.per_year, 0.0, 365.0, at + "problems.per_year");
    require_positive(s.problems.recovery_days_mean, at + "problems.recovery_days_mean");
  }
  // Agent ids are 32-bit counters of the random number generator.
  require(total <= std::int64_t{std::numeric_limits<std::uint32_t>::max()}, "segments",
          "a total market_size of at most 4294967295", static_cast<double>(total));
}

}  // namespace crmsim
