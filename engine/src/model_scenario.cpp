// The engine's own guard on the model fields of a scenario (the Python layer
// checks first, with friendlier messages).
#include <cmath>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/scenario.hpp"
#include "scenario_checks.hpp"

namespace crmsim {
namespace {

using detail::require;
using detail::require_non_negative;
using detail::require_positive;

std::string kind_name(ModelKind kind) {
  return std::string(model_kind_names[static_cast<std::size_t>(kind)]);
}

}  // namespace

void validate_model(const ScenarioSpec& spec) {
  const auto kind = static_cast<int>(spec.model.kind);
  require(kind >= 0 && kind < model_kind_count, "model.kind", "lifecycle, btyd or sbg (0 to 2)",
          kind);
  require(spec.model.period_days >= 1 && spec.model.period_days <= 3650, "model.period_days",
          "between 1 and 3650", spec.model.period_days);
  const bool lifecycle = spec.model.kind == ModelKind::lifecycle;
  const std::string model = "model '" + kind_name(spec.model.kind) + "'";
  if (!lifecycle) {
    if (!spec.campaigns.empty()) {
      throw ScenarioError("campaigns", "are not simulated by " + model + "; leave them out");
    }
    if (!spec.value_tiers.empty()) {
      throw ScenarioError("value_tiers", "are not used by " + model + "; leave them out");
    }
  }
  for (std::size_t i = 0; i < spec.segments.size(); ++i) {
    const auto& s = spec.segments[i];
    const std::string at = "segments[" + std::to_string(i) + "].";
    if (lifecycle) {
      if (!s.entries.empty()) {
        throw ScenarioError(at + "entries", "are used only by model 'btyd' or 'sbg'");
      }
      continue;
    }
    if (s.proposition != -1) {
      throw ScenarioError(at + "proposition", "is not used by " + model + "; leave it out");
    }
    const auto& init = s.initial;
    const std::int64_t others[] = {init.lead, init.new_customer, init.developed, init.at_risk,
                                   init.lapsed};
    for (std::int64_t n : others) {
      if (n != 0) {
        throw ScenarioError(at + "initial", "may hold only active customers in " + model);
      }
    }
    std::int64_t placed = init.active;
    for (std::size_t k = 0; k < s.entries.size(); ++k) {
      const auto& e = s.entries[k];
      const std::string where = at + "entries[" + std::to_string(k) + "].";
      // Entries after the horizon are allowed (a shorter run of the same
      // scenario): those people simply never enter.
      require(e.day >= 1 && e.day <= 36500, where + "day", "between 1 and 36500", e.day);
      require(e.customers >= 0, where + "customers", "at least 0",
              static_cast<double>(e.customers));
      placed += e.customers;
    }
    if (placed > s.market_size) {
      throw ScenarioError(at + "entries", "initial active customers and entries (" +
                                              std::to_string(placed) +
                                              ") must not exceed market_size (" +
                                              std::to_string(s.market_size) + ")");
    }
    if (spec.model.kind == ModelKind::btyd) {
      const auto& b = s.btyd;
      require_positive(b.r, at + "btyd.r");
      require_positive(b.alpha, at + "btyd.alpha");
      require_positive(b.a, at + "btyd.a");
      require_positive(b.b, at + "btyd.b");
      require_non_negative(b.dropout_multiplier, at + "btyd.dropout_multiplier");
      if (b.has_spend) {
        require_positive(b.spend.p, at + "btyd.spend.p");
        require_positive(b.spend.q, at + "btyd.spend.q");
        require_positive(b.spend.gamma, at + "btyd.spend.gamma");
      }
    } else {
      const auto& g = s.sbg;
      if (g.alpha == 0.0 && g.beta == 0.0) {
        require(std::isfinite(g.churn) && g.churn >= 0.0 && g.churn <= 1.0, at + "sbg.churn",
                "between 0 and 1 (alpha and beta are 0)", g.churn);
      } else {
        require_positive(g.alpha, at + "sbg.alpha");
        require_positive(g.beta, at + "sbg.beta");
      }
      require_non_negative(g.churn_multiplier, at + "sbg.churn_multiplier");
      require_non_negative(g.fee, at + "sbg.fee");
      require(g.fee * 100.0 < 9.0e15, at + "sbg.fee", "below 9e13", g.fee);
    }
  }
}

}  // namespace crmsim
