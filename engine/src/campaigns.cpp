// Campaign targeting, selection and contact. See campaigns.hpp.
#include "campaigns.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "crmsim/rng.hpp"
#include "flagged.hpp"
#include "state_counts.hpp"
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

bool trigger_fires(const TriggerSpec& t, const AgentArrays& a, std::size_t i, int day) {
  const State s = a.state[i];
  switch (t.kind) {
    case TriggerKind::none:
      return true;
    case TriggerKind::tenure_day:
      return is_customer(s) && day - a.acquired_day[i] == t.days;
    case TriggerKind::entered_at_risk:
      return s == State::at_risk && a.state_since[i] == day - 1;
    case TriggerKind::lapsed_for_days:
      return s == State::lapsed && day - a.state_since[i] == t.days;
    case TriggerKind::no_purchase_for_days:
      return is_customer(s) && day - a.last_purchase_day[i] == t.days;
  }
  return false;
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

int recent_contacts(const AgentArrays& a, std::size_t i, int day, int window_days) noexcept {
  const auto slots = static_cast<std::size_t>(a.contact_slots);
  const std::uint16_t* ring = &a.contact_days[i * slots];
  int n = 0;
  for (std::size_t k = 0; k < slots; ++k) {
    if (ring[k] != 0 && day - ring[k] < window_days) ++n;
  }
  return n;
}

namespace {

/// wanted[k] = 1 when agent first + k is in one of the states of `mask` and
/// has not opted out: who today's running campaigns may target at all.
/// Branch-free, so that the compiler vectorises it.
CRMSIM_TARGET_CLONES
void select_targetable(std::uint8_t mask, const AgentArrays& a, std::size_t first, std::size_t n,
                       std::uint8_t* __restrict wanted) {
  const auto* __restrict state = reinterpret_cast<const std::uint8_t*>(a.state.data()) + first;
  const std::uint8_t* __restrict flags = a.flags.data() + first;
  for (std::size_t k = 0; k < n; ++k) {
    const unsigned in_state = (static_cast<unsigned>(mask) >> state[k]) & 1u;
    const unsigned opted_out = (flags[k] & agent_flags::opted_out) != 0 ? 1u : 0u;
    wanted[k] = static_cast<std::uint8_t>(in_state & ~opted_out);
  }
}

/// Puts agent i on the candidate list of every running campaign it is
/// eligible for today.
void target_agent(const TargetingContext& ctx, const AgentArrays& a, std::size_t i,
                  std::vector<std::vector<Candidate>>& out, Tally<std::int64_t>& tally) {
  const auto& plans = *ctx.plans;
  const auto& running = *ctx.running;
  const std::uint8_t state_bit = bit(a.state[i]);
  const int seg = a.segment[i];
  const SegmentRates& r = (*ctx.rates)[static_cast<std::size_t>(seg)];
  for (std::size_t k = 0; k < running.size(); ++k) {
    const CampaignPlan& p = plans[static_cast<std::size_t>(running[k])];
    if (!(p.state_mask & state_bit) || !p.segment_ok[static_cast<std::size_t>(seg)]) continue;
    // Somebody still followed for this campaign's last contact is not
    // contacted again until that measurement window closes.
    if (a.assigned[i] == p.index + 1) continue;
    if (!trigger_fires(p.trigger, a, i, ctx.day)) continue;
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
  std::uint8_t any_state = 0;
  for (int c : *ctx.running) any_state |= (*ctx.plans)[static_cast<std::size_t>(c)].state_mask;
  // Most people are in no state any running campaign targets (prospects,
  // for most campaigns): find the others a block at a time, skip the rest
  // eight at a time.
  constexpr std::size_t block = 256;
  alignas(8) std::uint8_t wanted[block];
  for (std::size_t first = begin; first < end; first += block) {
    const std::size_t n = std::min(block, end - first);
    select_targetable(any_state, a, first, n, wanted);
    for_each_flagged(wanted, n, [&](std::size_t k) { target_agent(ctx, a, first + k, out, tally); });
  }
}

namespace {

/// Applies one day's selection and contacts for one campaign.
class CampaignDay {
 public:
  CampaignDay(const ContactContext& ctx, const CampaignPlan& plan, CampaignState& state,
              std::vector<std::int64_t>& channel_used, AgentArrays& agents,
              CampaignDayTallies& tallies)
      : ctx_(ctx), plan_(plan), state_(state), channel_used_(channel_used), a_(agents),
        t_(tallies), channel_(ctx.spec->channels[static_cast<std::size_t>(plan.channel)]),
        policy_(ctx.spec->contact_policy) {}

  void run(std::vector<Candidate>& candidates) {
    // Total order: score (high first), then the hash, then the agent id.
    // Only needed when a limit can cut the list; otherwise everybody is
    // contacted and agent order (the order targeting produced) will do.
    // And only as far as the limits reach: once they are, the rest is only
    // counted, in any order. So the list is ranked a head at a time (about
    // twice what the limits allow), never more than needed.
    const auto first = [](const Candidate& x, const Candidate& y) {
      if (x.score != y.score) return x.score > y.score;
      if (x.hash != y.hash) return x.hash < y.hash;
      return x.agent < y.agent;
    };
    const std::size_t n = candidates.size();
    std::size_t ranked = fits_all(static_cast<std::int64_t>(n)) ? n : 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (k == ranked && !exhausted_) {
        const std::size_t head = std::min(n, k + std::max<std::size_t>(k, 2 * room() + 1024));
        const auto from = candidates.begin() + static_cast<std::ptrdiff_t>(k);
        const auto to = candidates.begin() + static_cast<std::ptrdiff_t>(head);
        std::nth_element(from, to, candidates.end(), first);
        std::sort(from, to, first);
        ranked = head;
      }
      visit(candidates[k]);
    }
  }

  /// Selects, contacts or (for controls) assigns one candidate.
  void visit(const Candidate& cand) {
    const std::size_t i = cand.agent;
    // The contact policy filters controls exactly as it filters the
    // treated, so that both groups stay comparable.
    if (policy_.max_contacts > 0 &&
        recent_contacts(a_, i, ctx_.day, policy_.window_days) >= policy_.max_contacts) {
      return;
    }
    if (cand.holdout) {
      // Controls are followed only up to the point where treatment stopped,
      // so that both groups are cut by the same ranking.
      if (!exhausted_) assign(i, true);
      return;
    }
    ++t_.campaigns.at(static_cast<int>(plan_.index), CampaignKpi::selected);
    if (exhausted_ || !within_limits()) {
      exhausted_ = true;
      return;
    }
    contact(i);
  }


 private:
  /// True when no limit could stop `n` contacts today.
  bool fits_all(std::int64_t n) const {
    if (plan_.max_contacts_per_day >= 0 && n > plan_.max_contacts_per_day) return false;
    if (channel_.capacity_per_day >= 0 &&
        channel_used_[static_cast<std::size_t>(plan_.channel)] + n > channel_.capacity_per_day) {
      return false;
    }
    if (plan_.budget_micros >= 0) {
      const std::int64_t worst =
          n * (plan_.cost_per_contact_micros + plan_.incentive_micros) + plan_.wave_cost_micros;
      if (state_.spent_micros + worst > plan_.budget_micros) return false;
    }
    return true;
  }

  /// About how many more people the limits let this campaign contact today.
  std::size_t room() const {
    std::int64_t left = std::numeric_limits<std::int64_t>::max();
    if (plan_.max_contacts_per_day >= 0) left = std::min(left, plan_.max_contacts_per_day - contacted_);
    if (channel_.capacity_per_day >= 0) {
      left = std::min(left, channel_.capacity_per_day -
                                channel_used_[static_cast<std::size_t>(plan_.channel)]);
    }
    const std::int64_t per_contact = plan_.cost_per_contact_micros + plan_.incentive_micros;
    if (plan_.budget_micros >= 0 && per_contact > 0) {
      left = std::min(left, (plan_.budget_micros - state_.spent_micros) / per_contact + 1);
    }
    return static_cast<std::size_t>(std::clamp<std::int64_t>(left, 0, std::int64_t{1} << 40));
  }

  bool within_limits() const {
    if (plan_.max_contacts_per_day >= 0 && contacted_ >= plan_.max_contacts_per_day) return false;
    if (channel_.capacity_per_day >= 0 &&
        channel_used_[static_cast<std::size_t>(plan_.channel)] >= channel_.capacity_per_day) {
      return false;
    }
    if (plan_.budget_micros >= 0) {
      // The incentive is reserved up front: a response must never overspend.
      const std::int64_t worst = plan_.cost_per_contact_micros +
                                 (contacted_ == 0 ? plan_.wave_cost_micros : 0) +
                                 plan_.incentive_micros;
      if (state_.spent_micros + worst > plan_.budget_micros) return false;
    }
    return true;
  }

  void spend(std::size_t i, std::int64_t micros, CampaignKpi column) {
    state_.spent_micros += micros;
    const int seg = a_.segment[i];
    t_.campaigns.at(static_cast<int>(plan_.index), column) += micros;
    t_.segments.at(seg, Kpi::marketing_cost_micros) += micros;
    t_.tiers.at(tier_group(i), TierKpi::marketing_cost_micros) += micros;
  }

  int tier_group(std::size_t i) const {
    const int seg = a_.segment[i];
    return seg * ctx_.tiers->tiers +
           ctx_.tiers->tier_of(seg, a_.state[i] == State::developed, a_.purchase_rate[i]);
  }

  void remember_contact(std::size_t i) {
    const auto slots = static_cast<std::size_t>(a_.contact_slots);
    std::uint16_t* ring = &a_.contact_days[i * slots];
    std::size_t oldest = 0;
    for (std::size_t k = 1; k < slots; ++k) {
      if (ring[k] < ring[oldest]) oldest = k;
    }
    ring[oldest] = static_cast<std::uint16_t>(ctx_.day);
  }

  void assign(std::size_t i, bool holdout) {
    if (plan_.type == CampaignType::brand || a_.assigned[i] != 0) return;
    a_.assigned[i] = static_cast<std::uint8_t>(plan_.index + 1);
    a_.assigned_day[i] = ctx_.day;
    a_.window_revenue_cents[i] = 0;
    auto f = static_cast<std::uint8_t>(a_.flags[i] & ~(agent_flags::holdout | agent_flags::converted));
    if (holdout) f = static_cast<std::uint8_t>(f | agent_flags::holdout);
    a_.flags[i] = f;
  }

  void contact(std::size_t i) {
    const int c = static_cast<int>(plan_.index);
    const int recent = recent_contacts(a_, i, ctx_.day, policy_.window_days);
    spend(i, plan_.cost_per_contact_micros + (contacted_ == 0 ? plan_.wave_cost_micros : 0),
          CampaignKpi::contact_cost_micros);
    ++contacted_;
    ++channel_used_[static_cast<std::size_t>(plan_.channel)];
    ++t_.campaigns.at(c, CampaignKpi::contacted);
    remember_contact(i);
    assign(i, false);

    const PhiloxBlock w = draw_block(ctx_.seed, Purpose::contact, static_cast<std::uint32_t>(i),
                                     static_cast<std::uint32_t>(ctx_.day), plan_.index);
    if (w[0] >= probability_threshold(channel_.reach)) return;
    ++t_.campaigns.at(c, CampaignKpi::delivered);
    if (w[2] < probability_threshold(channel_.unsubscribe_probability)) {
      a_.flags[i] = static_cast<std::uint8_t>(a_.flags[i] | agent_flags::opted_out);
      ++t_.campaigns.at(c, CampaignKpi::unsubscribed);
    }
    if (plan_.type == CampaignType::brand) return;
    const int seg = a_.segment[i];
    const double p = plan_.response[static_cast<std::size_t>(seg)] /
                     (1.0 + channel_.fatigue * recent);
    if (w[1] < probability_threshold(p)) respond(i, w[3]);
  }

  void move(std::size_t i, State to, Kpi flow) {
    count_move(t_.segments, t_.tiers, *ctx_.tiers, a_.segment[i], a_.state[i], to, a_.purchase_rate[i]);
    a_.state[i] = to;
    a_.state_since[i] = ctx_.day;
    ++t_.segments.at(a_.segment[i], flow);
    if (ctx_.events != nullptr) {
      ctx_.events->record(*t_.events, ctx_.day, i, a_.segment[i], flow, a_.flags[i],
                          static_cast<std::uint8_t>(plan_.index + 1));
    }
  }

  void become_customer(std::size_t i, Kpi flow) {
    a_.acquired_day[i] = ctx_.day;
    a_.last_purchase_day[i] = ctx_.day;
    a_.products[i] = 1;
    move(i, State::new_customer, flow);
  }

  void mark_converted(std::size_t i) {
    if (a_.assigned[i] == plan_.index + 1) {
      a_.flags[i] = static_cast<std::uint8_t>(a_.flags[i] | agent_flags::converted);
    }
  }

  void respond(std::size_t i, std::uint32_t route_word) {
    const int c = static_cast<int>(plan_.index);
    ++t_.campaigns.at(c, CampaignKpi::responded);
    if (plan_.incentive_micros > 0) spend(i, plan_.incentive_micros, CampaignKpi::incentive_cost_micros);
    const State s = a_.state[i];
    std::uint8_t& f = a_.flags[i];
    switch (plan_.type) {
      case CampaignType::acquisition:
        if (s != State::prospect) break;
        f = static_cast<std::uint8_t>(f | agent_flags::via_campaign);
        if (route_word < plan_.direct_threshold) {
          f = static_cast<std::uint8_t>(f & ~agent_flags::via_enquiry);
          become_customer(i, Kpi::acquisitions);
          ++t_.segments.at(a_.segment[i], Kpi::campaign_acquisitions);
          mark_converted(i);
        } else {
          move(i, State::lead, Kpi::enquiries);
        }
        break;
      case CampaignType::cross_sell:
        if (!is_customer(s)) break;
        a_.products[i] = static_cast<std::uint8_t>(std::min(255, a_.products[i] + 1));
        if (s == State::active || s == State::new_customer) {
          move(i, State::developed, Kpi::developments);
        } else {
          ++t_.segments.at(a_.segment[i], Kpi::developments);
        }
        mark_converted(i);
        break;
      case CampaignType::service_recovery: {
        if (s != State::at_risk) break;
        const bool in_welcome =
            ctx_.day - a_.acquired_day[i] < ctx_.spec->lifecycle.welcome_days;
        const State back = a_.products[i] >= 2 ? State::developed
                           : in_welcome        ? State::new_customer
                                               : State::active;
        move(i, back, Kpi::recoveries);
        mark_converted(i);
        break;
      }
      case CampaignType::win_back:
        if (s != State::lapsed) break;
        f = static_cast<std::uint8_t>((f | agent_flags::won_back | agent_flags::via_campaign) &
                                      ~agent_flags::via_enquiry);
        become_customer(i, Kpi::win_backs);
        mark_converted(i);
        break;
      case CampaignType::welcome:
      case CampaignType::retention:
      case CampaignType::brand:
        break;
    }
    if (plan_.effect_span > 0 && is_customer(a_.state[i])) {
      a_.effect_campaign[i] = static_cast<std::uint8_t>(plan_.index + 1);
      a_.effect_until[i] = ctx_.day + plan_.effect_span - 1;
    }
  }

  const ContactContext& ctx_;
  const CampaignPlan& plan_;
  CampaignState& state_;
  std::vector<std::int64_t>& channel_used_;
  AgentArrays& a_;
  CampaignDayTallies& t_;
  const ChannelSpec& channel_;
  const ContactPolicy& policy_;
  std::int64_t contacted_ = 0;
  bool exhausted_ = false;
};

}  // namespace

void select_and_contact(const ContactContext& ctx, const std::vector<CampaignPlan>& plans,
                        const std::vector<int>& running,
                        std::vector<std::vector<Candidate>>& candidates,
                        std::vector<CampaignState>& states, AgentArrays& agents,
                        CampaignDayTallies tallies) {
  // Campaigns compete for people and channel capacity in priority order
  // (ties: the order in the scenario).
  std::vector<std::size_t> order(running.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return plans[static_cast<std::size_t>(running[x])].priority <
           plans[static_cast<std::size_t>(running[y])].priority;
  });
  std::vector<std::int64_t> channel_used(ctx.spec->channels.size(), 0);
  for (std::size_t k : order) {
    const auto c = static_cast<std::size_t>(running[k]);
    CampaignDay day(ctx, plans[c], states[c], channel_used, agents, tallies);
    day.run(candidates[k]);
  }
}

}  // namespace crmsim::detail
