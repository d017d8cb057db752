// Campaign planning and targeting. See campaigns.hpp; contacts: campaign_contact.cpp.
#include "campaigns.hpp"

#include <algorithm>
#include <cmath>

#include "crmsim/rng.hpp"
#include "flagged.hpp"
#include "target_clones.hpp"

namespace crmsim::detail {
namespace {

constexpr std::uint8_t bit(State s) { return static_cast<std::uint8_t>(1u << static_cast<int>(s)); }

std::vector<std::uint8_t> membership(const std::vector<std::uint8_t>& listed, std::size_t n) {
  std::vector<std::uint8_t> ok(n, listed.empty() ? 1 : 0);
  for (auto k : listed) {
    if (k < n) ok[k] = 1;
  }
  return ok;
}

/// The model's true propensity behind a campaign's score, 0..1.
double true_propensity(CampaignType type, const AgentArrays& a, std::size_t i,
                       const SegmentRates& r) {
  switch (type) {
    case CampaignType::welcome:
    case CampaignType::retention:
    case CampaignType::service_recovery: {
      // Probability of defecting within a year at today's hazard.
      const double h = static_cast<double>(a.churn_hazard[i]) *
                       std::max(r.churn_multiplier[static_cast<int>(a.state[i])], 1e-9);
      return daily_probability(365.0 * h);
    }
    case CampaignType::cross_sell:
    case CampaignType::win_back: {
      // Value: the purchase rate against the segment's mean.
      const double mean = r.purchase_rate_shape * r.purchase_rate_scale;
      return mean > 0.0 ? daily_probability(static_cast<double>(a.purchase_rate[i]) / mean) : 0.5;
    }
    case CampaignType::acquisition:
    case CampaignType::brand:
      return 0.5;
  }
  return 0.5;
}

}  // namespace

std::uint8_t default_target_states(CampaignType type) noexcept {
  switch (type) {
    case CampaignType::acquisition:
    case CampaignType::brand:
      return bit(State::prospect);
    case CampaignType::welcome:
      return bit(State::new_customer);
    case CampaignType::cross_sell:
      return static_cast<std::uint8_t>(bit(State::active) | bit(State::developed));
    case CampaignType::retention:
      return static_cast<std::uint8_t>(bit(State::active) | bit(State::developed) |
                                       bit(State::at_risk));
    case CampaignType::service_recovery:
      return bit(State::at_risk);
    case CampaignType::win_back:
      return bit(State::lapsed);
  }
  return 0;
}

std::vector<CampaignPlan> plan_campaigns(const ScenarioSpec& spec,
                                         const std::vector<SegmentRates>& rates) {
  const std::size_t segments = spec.segments.size();
  const std::size_t tiers = std::max<std::size_t>(1, spec.value_tiers.size());
  std::vector<CampaignPlan> plans;
  for (std::size_t c = 0; c < spec.campaigns.size(); ++c) {
    const CampaignSpec& cs = spec.campaigns[c];
    const ChannelSpec& ch = spec.channels[static_cast<std::size_t>(cs.channel)];
    CampaignPlan p;
    p.index = static_cast<std::uint32_t>(c);
    p.type = cs.type;
    p.channel = cs.channel;
    p.state_mask = cs.targeting.states != 0 ? cs.targeting.states : default_target_states(cs.type);
    p.segment_ok = membership(cs.targeting.segments, segments);
    p.tier_ok = membership(cs.targeting.value_tiers, tiers);
    p.min_score = cs.targeting.min_score;
    p.max_score = cs.targeting.max_score;
    p.trigger = cs.trigger;
    p.schedule = cs.schedule;
    if (p.schedule.end_day <= 0) p.schedule.end_day = spec.days;
    p.holdout_threshold = probability_threshold(cs.holdout_share);
    for (std::size_t s = 0; s < segments; ++s) {
      const double fit = proposition_fit(spec, static_cast<int>(s), cs.proposition);
      const double lift = cs.proposition >= 0
                              ? std::exp(spec.fit_effects.acquisition * (fit - 0.5))
                              : 1.0;
      p.response.push_back(std::min(1.0, ch.base_response[s] * lift));
    }
    p.direct_threshold = probability_threshold(cs.effect.direct_share);
    p.churn_factor = 1.0 - cs.effect.churn_reduction;
    p.churn_days = cs.effect.duration_days;
    if (cs.proposition >= 0) {
      const OfferSpec& offer = spec.propositions[static_cast<std::size_t>(cs.proposition)].offer;
      p.discount_share = offer.discount_share;
      p.discount_days = offer.duration_days;
      p.incentive_micros = to_micros(offer.incentive);
    }
    p.effect_span = std::max(p.churn_days, p.discount_days);
    p.cost_per_contact_micros = to_micros(ch.cost_per_contact);
    p.wave_cost_micros = to_micros(ch.fixed_cost_per_wave);
    p.budget_micros = cs.budget < 0.0 ? -1 : to_micros(cs.budget);
    p.max_contacts_per_day = cs.max_contacts_per_day;
    p.brand_lift = cs.effect.brand_lift;
    p.priority = cs.priority;
    p.measurement_days = cs.measurement_days;
    plans.push_back(std::move(p));
  }
  (void)rates;
  return plans;
}

TierBounds derive_tier_bounds(const ScenarioSpec& spec, const std::vector<SegmentRates>& rates) {
  TierBounds b;
  b.tiers = std::max<int>(1, static_cast<int>(spec.value_tiers.size()));
  b.min_rate.assign(spec.segments.size() * 2 * static_cast<std::size_t>(b.tiers), 0.0);
  for (std::size_t s = 0; s < spec.segments.size(); ++s) {
    const SegmentRates& r = rates[s];
    for (int developed = 0; developed < 2; ++developed) {
      // Expected annual value = rate x 365 x mean spend (x developed factor).
      const double value_per_rate = 365.0 * r.spend_shape * r.spend_scale *
                                    (developed ? r.developed_spend_multiplier : 1.0);
      for (int t = 0; t < b.tiers; ++t) {
        const double min_value =
            spec.value_tiers.empty() ? 0.0 : spec.value_tiers[static_cast<std::size_t>(t)].min_annual_value;
        double bound = 0.0;
        if (t > 0) bound = value_per_rate > 0.0 ? min_value / value_per_rate : HUGE_VAL;
        b.min_rate[(s * 2 + static_cast<std::size_t>(developed)) * static_cast<std::size_t>(b.tiers) +
                   static_cast<std::size_t>(t)] = bound;
      }
    }
  }
  return b;
}

namespace {

/// Whom a running campaign targets today by state and trigger: the person is
/// in one of `states` and, for a trigger, `column[i] == value` (the day they
/// were acquired, entered their state or last bought, against today less the
/// trigger's days).
struct TargetTest {
  std::uint8_t states = 0;
  const std::int32_t* column = nullptr;  ///< null: no trigger, the state decides
  std::int32_t value = 0;

  bool passes(const AgentArrays& a, std::size_t i) const noexcept {
    return ((states >> static_cast<unsigned>(a.state[i])) & 1u) != 0 &&
           (column == nullptr || column[i] == value);
  }
};

/// The test of campaign `p` on `day`: its target states, narrowed to those
/// its trigger can pick (customers for tenure_day and no_purchase_for_days,
/// at_risk for entered_at_risk, lapsed for lapsed_for_days).

TargetTest target_test(const CampaignPlan& p, const AgentArrays& a, int day) {
  constexpr auto customers = static_cast<std::uint8_t>(bit(State::new_customer) | bit(State::active) |
                                                       bit(State::developed) | bit(State::at_risk));
  const TriggerSpec& t = p.trigger;
  const auto only = [&](std::uint8_t states) { return static_cast<std::uint8_t>(p.state_mask & states); };
  switch (t.kind) {
    case TriggerKind::none:
      break;
    case TriggerKind::tenure_day:
      return {only(customers), a.acquired_day.data(), day - t.days};
    case TriggerKind::entered_at_risk:
      return {only(bit(State::at_risk)), a.state_since.data(), day - 1};
    case TriggerKind::lapsed_for_days:
      return {only(bit(State::lapsed)), a.state_since.data(), day - t.days};
    case TriggerKind::no_purchase_for_days:
      return {only(customers), a.last_purchase_day.data(), day - t.days};
  }
  return {p.state_mask, nullptr, 0};
}

/// The tests of `per_campaign` joined for the pre-pass: those without a
/// trigger into one (a state test), and so are triggers that test the same
/// column against the same day.
std::vector<TargetTest> joined_tests(const std::vector<TargetTest>& per_campaign) {
  std::vector<TargetTest> tests;
  for (const TargetTest& t : per_campaign) {
    if (t.states == 0) continue;
    auto same = std::find_if(tests.begin(), tests.end(), [&](const TargetTest& u) {
      return u.column == t.column && (t.column == nullptr || u.value == t.value);
    });
    if (same != tests.end()) {
      same->states = static_cast<std::uint8_t>(same->states | t.states);
    } else {
      tests.push_back(t);
    }
  }
  return tests;
}

/// wanted[k] = 1 when agent first + k passes the test of at least one of
/// today's running campaigns and has not opted out: whom they may target at
/// all. Branch-free, so that the compiler vectorises it.
CRMSIM_TARGET_CLONES
void select_targetable(const TargetTest* tests, std::size_t count, const AgentArrays& a,
                       std::size_t first, std::size_t n, std::uint8_t* __restrict wanted) {
  const auto* __restrict state = reinterpret_cast<const std::uint8_t*>(a.state.data()) + first;
  const std::uint8_t* __restrict flags = a.flags.data() + first;
  std::fill(wanted, wanted + n, std::uint8_t{0});
  for (std::size_t t = 0; t < count; ++t) {
    const unsigned states = tests[t].states;
    if (tests[t].column == nullptr) {
      for (std::size_t k = 0; k < n; ++k) {
        wanted[k] = static_cast<std::uint8_t>(wanted[k] | ((states >> state[k]) & 1u));
      }
    } else {
      const std::int32_t* __restrict column = tests[t].column + first;
      const std::int32_t value = tests[t].value;
      for (std::size_t k = 0; k < n; ++k) {
        const unsigned due = column[k] == value ? 1u : 0u;
        wanted[k] = static_cast<std::uint8_t>(wanted[k] | (((states >> state[k]) & 1u) & due));
      }
    }
  }
  for (std::size_t k = 0; k < n; ++k) {
    const unsigned opted_out = (flags[k] & agent_flags::opted_out) != 0 ? 1u : 0u;
    wanted[k] = static_cast<std::uint8_t>(wanted[k] & ~opted_out);
  }
}

/// Puts agent i on the candidate list of every running campaign it is
/// eligible for today (tests[k]: running[k]'s state and trigger test).
void target_agent(const TargetingContext& ctx, const std::vector<TargetTest>& tests,
                  const AgentArrays& a, std::size_t i, std::vector<std::vector<Candidate>>& out,
                  Tally<std::int64_t>& tally) {
  const auto& plans = *ctx.plans;
  const auto& running = *ctx.running;
  const int seg = a.segment[i];
  const SegmentRates& r = (*ctx.rates)[static_cast<std::size_t>(seg)];
  for (std::size_t k = 0; k < running.size(); ++k) {
    const CampaignPlan& p = plans[static_cast<std::size_t>(running[k])];
    if (!tests[k].passes(a, i) || !p.segment_ok[static_cast<std::size_t>(seg)]) continue;
    // Somebody still followed for this campaign's last contact is not
    // contacted again until that measurement window closes.
    if (a.assigned[i] == p.index + 1) continue;
    const int tier = ctx.tiers->tier_of(seg, a.state[i] == State::developed, a.purchase_rate[i]);
    if (!p.tier_ok[static_cast<std::size_t>(tier)]) continue;
    // Holdout, score noise and tie-break depend on (seed, agent, campaign)
    // only: the same person stays in the same group every day.
    const PhiloxBlock w = draw_block(ctx.seed, Purpose::campaign_assignment,
                                     static_cast<std::uint32_t>(i), p.index, 0);
    const double score = ctx.score_accuracy * true_propensity(p.type, a, i, r) +
                         (1.0 - ctx.score_accuracy) * to_open_unit(w[1]);
    if (score < p.min_score || score > p.max_score) continue;
    const bool holdout = w[0] < p.holdout_threshold;
    ++tally.at(running[k], CampaignKpi::eligible);
    if (holdout) ++tally.at(running[k], CampaignKpi::held_out);
    out[k].push_back({static_cast<std::uint32_t>(i), static_cast<float>(score), w[2], holdout});
  }
}

}  // namespace

void target_agents(const TargetingContext& ctx, const AgentArrays& a, std::size_t begin,
                   std::size_t end, std::vector<std::vector<Candidate>>& out,
                   Tally<std::int64_t>& tally) {
  // Most people are in no state any running campaign targets (prospects,
  // for most campaigns), or not on the day a trigger picks: find the others
  // a block at a time, skip the rest eight at a time.
  std::vector<TargetTest> per_campaign;
  for (int c : *ctx.running) {
    per_campaign.push_back(target_test((*ctx.plans)[static_cast<std::size_t>(c)], a, ctx.day));
  }
  const std::vector<TargetTest> joined = joined_tests(per_campaign);
  constexpr std::size_t block = 256;
  alignas(8) std::uint8_t wanted[block];
  for (std::size_t first = begin; first < end; first += block) {
    const std::size_t n = std::min(block, end - first);
    select_targetable(joined.data(), joined.size(), a, first, n, wanted);
    for_each_flagged(wanted, n, [&](std::size_t k) {
      target_agent(ctx, per_campaign, a, first + k, out, tally);
    });
  }
}

}  // namespace crmsim::detail
