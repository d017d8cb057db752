// Day-0 population and run plan of the btyd and sbg models.
#include <algorithm>
#include <cmath>

#include "crmsim/rates.hpp"
#include "crmsim/rng.hpp"
#include "model_pass.hpp"

namespace crmsim::detail {

ModelPlan plan_model(const ScenarioSpec& spec, std::uint64_t seed) {
  ModelPlan plan;
  plan.kind = spec.model.kind;
  plan.period_days = std::max(1, spec.model.period_days);
  plan.seed = seed;
  plan.entry_day.assign(static_cast<std::size_t>(spec.days) + 1, 0);
  plan.renewal_phase.assign(static_cast<std::size_t>(plan.period_days), 0);
  plan.renewal_phase[0] = 1;  // customers from day 0 renew on multiples of period_days
  for (const auto& s : spec.segments) {
    ModelSegment m;
    m.dropout_multiplier = s.btyd.dropout_multiplier;
    m.has_spend = s.btyd.has_spend;
    m.spend = s.btyd.spend;
    m.churn_multiplier = s.sbg.churn_multiplier;
    m.fee_cents = std::llround(s.sbg.fee * 100.0);
    plan.segments.push_back(m);
    for (const auto& e : s.entries) {
      if (e.customers <= 0 || e.day < 1 || e.day > spec.days) continue;
      plan.entry_day[static_cast<std::size_t>(e.day)] = 1;
      plan.renewal_phase[static_cast<std::size_t>(e.day % plan.period_days)] = 1;
    }
  }
  return plan;
}

void initialise_model_agents(const ScenarioSpec& spec, const std::vector<std::int64_t>& offsets,
                             std::uint64_t seed, AgentArrays& agents, std::size_t begin,
                             std::size_t end) {
  const bool btyd = spec.model.kind == ModelKind::btyd;
  const double period = static_cast<double>(std::max(1, spec.model.period_days));
  auto seg = static_cast<std::size_t>(
      std::upper_bound(offsets.begin(), offsets.end(), static_cast<std::int64_t>(begin)) -
      offsets.begin() - 1);
  // Cumulative ends of the entry blocks of the current segment (agent index within it).
  std::vector<std::int64_t> entry_end;
  std::size_t prepared = static_cast<std::size_t>(-1);
  for (std::size_t i = begin; i < end; ++i) {
    while (static_cast<std::int64_t>(i) >= offsets[seg + 1]) ++seg;
    const SegmentSpec& s = spec.segments[seg];
    if (prepared != seg) {
      entry_end.clear();
      std::int64_t at = s.initial.active;
      for (const auto& e : s.entries)
        entry_end.push_back(at += std::max<std::int64_t>(0, e.customers));
      prepared = seg;
    }
    const auto id = static_cast<std::uint32_t>(i);
    const std::int64_t k = static_cast<std::int64_t>(i) - offsets[seg];

    DrawStream traits(seed, Purpose::traits, id, 0);
    if (btyd) {
      // lambda ~ Gamma(r, rate alpha) per period, stored per day.
      const double lambda = traits.gamma(s.btyd.r) / s.btyd.alpha;
      agents.purchase_rate[i] = static_cast<float>(lambda / period);
      agents.churn_hazard[i] = static_cast<float>(traits.beta(s.btyd.a, s.btyd.b));
    } else {
      const double theta = s.sbg.alpha > 0.0 ? traits.beta(s.sbg.alpha, s.sbg.beta) : s.sbg.churn;
      agents.purchase_rate[i] = 0.0f;
      agents.churn_hazard[i] = static_cast<float>(theta);
    }
    agents.segment[i] = static_cast<std::uint8_t>(seg);
    if (k < s.initial.active) {
      agents.state[i] = State::active;
      agents.products[i] = 1;
      agents.acquired_day[i] = 0;
      agents.state_since[i] = 0;
      agents.last_purchase_day[i] = 0;
      continue;
    }
    agents.state[i] = State::prospect;
    const auto block = std::upper_bound(entry_end.begin(), entry_end.end(), k);
    // The entry day waits in acquired_day; 0 (never reached) for those who never enter.
    agents.acquired_day[i] =
        block == entry_end.end()
            ? 0
            : s.entries[static_cast<std::size_t>(block - entry_end.begin())].day;
  }
}

bool model_day_idle(const ModelPlan& plan, int day) {
  if (plan.kind != ModelKind::sbg) return false;
  if (plan.entry_day[static_cast<std::size_t>(day)] != 0) return false;
  return plan.renewal_phase[static_cast<std::size_t>(day % plan.period_days)] == 0;
}

void carry_state_counts(const KpiTable& kpis, const DailyTable<std::int64_t>& tiers, int day,
                        ChunkTallies& tally) {
  for (int g = 0; g < kpis.groups(); ++g) {
    for (int k = 0; k < state_count; ++k) {
      tally.segments.at(g, static_cast<Kpi>(k)) = kpis.at(day, g, static_cast<Kpi>(k));
    }
  }
  for (int g = 0; g < tiers.groups(); ++g) {
    tally.tiers.at(g, TierKpi::customers) = tiers.at(day, g, TierKpi::customers);
  }
}

}  // namespace crmsim::detail
