// The daily lifecycle pass. Per agent and day two 32-bit words (half a
// Philox block, computed in vectorised batches) decide everything that
// usually happens, compared as integers against precomputed thresholds:
//   event word: the lifecycle event (competing risks: at most one per day)
//   buy word:   whether the customer buys today
// Only rare events open a stream of their own (a purchase's count and
// spend, an acquisition's route), so the common case of "nothing happens
// today" costs half a Philox call and a few comparisons. Campaign effects and measurement windows are looked up only
// for the agents that carry them.
#include "lifecycle_pass.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "crmsim/rng.hpp"
#include "flagged.hpp"
#include "state_counts.hpp"
#include "target_clones.hpp"

namespace crmsim::detail {
namespace {

/// Which of up to three competing events happened, given that one did, from
/// a position uniform on [0, total hazard).
enum class Pick { churn, second, problem };

Pick pick_event(double pos, double h_churn, double h_second, double h_problem) {
  if (pos < h_churn) return Pick::churn;
  if (pos < h_churn + h_second) return Pick::second;
  // Rounding can put pos a hair above the total; give it to the last event
  // that can happen at all.
  if (h_problem > 0.0) return Pick::problem;
  if (h_second > 0.0) return Pick::second;
  return Pick::churn;
}

/// The campaign effect running for an agent today, if any.
struct Effect {
  const CampaignPlan* plan = nullptr;
  double churn_factor = 1.0;
  double discount_share = 0.0;
};

class Agent {
 public:
  Agent(const DayContext& ctx, AgentArrays& a, std::size_t i, ChunkTallies& tally)
      : ctx_(ctx), a_(a), i_(i), seg_(a.segment[i]), tally_(tally) {}

  int segment() const { return seg_; }

  void move_to(State s, Kpi flow) const {
    count_move(tally_.segments, tally_.tiers, *ctx_.tiers, seg_, a_.state[i_], s, a_.purchase_rate[i_]);
    a_.state[i_] = s;
    a_.state_since[i_] = ctx_.day;
    ++tally_.segments.at(seg_, flow);
    if (ctx_.events != nullptr) {
      ctx_.events->record(tally_.events, ctx_.day, i_, seg_, flow, a_.flags[i_], 0);
    }
  }

  void become_customer(bool via_enquiry) const {
    a_.acquired_day[i_] = ctx_.day;
    a_.last_purchase_day[i_] = ctx_.day;
    a_.products[i_] = 1;
    auto f = a_.flags[i_];
    f = static_cast<std::uint8_t>(via_enquiry ? (f | agent_flags::via_enquiry)
                                              : (f & ~(agent_flags::via_enquiry | agent_flags::via_campaign)));
    f = static_cast<std::uint8_t>(f & ~agent_flags::won_back);
    a_.flags[i_] = f;
    if (via_enquiry && (f & agent_flags::via_campaign)) {
      ++tally_.segments.at(seg_, Kpi::campaign_acquisitions);
    }
    move_to(State::new_customer, Kpi::acquisitions);
    converted_if(CampaignType::acquisition);
    converted_if(CampaignType::win_back);
  }

  /// Marks the measurement assignment converted when its campaign is of `type`.
  void converted_if(CampaignType type) const {
    const int c = a_.assigned[i_];
    if (c != 0 && ctx_.campaigns[c - 1].type == type) {
      a_.flags[i_] = static_cast<std::uint8_t>(a_.flags[i_] | agent_flags::converted);
    }
  }

  Effect effect() const {
    Effect e;
    const int c = a_.effect_campaign[i_];
    if (c == 0) return e;
    if (ctx_.day > a_.effect_until[i_]) {
      a_.effect_campaign[i_] = 0;  // ran out: the common case stays a single byte test
      return e;
    }
    e.plan = &ctx_.campaigns[c - 1];
    const int since_start = ctx_.day - (a_.effect_until[i_] - e.plan->effect_span + 1);
    if (since_start < e.plan->churn_days) e.churn_factor = e.plan->churn_factor;
    if (since_start < e.plan->discount_days) e.discount_share = e.plan->discount_share;
    return e;
  }

  void buy(const SegmentRates& r, State s, std::uint32_t word, const Effect& effect) const {
    const double rate = a_.purchase_rate[i_];
    if (!(rate > 0.0)) return;
    const double p_any = daily_probability(rate);
    if (word >= probability_threshold(p_any)) return;
    DrawStream draws(ctx_.seed, Purpose::purchases, static_cast<std::uint32_t>(i_),
                     static_cast<std::uint32_t>(ctx_.day));
    const int n = purchases_given_any(rate, p_any, draws.uniform());
    const double factor = s == State::developed ? r.developed_spend_multiplier : 1.0;
    std::int64_t cents = 0;
    if (r.spend_scale > 0.0) {
      for (int k = 0; k < n; ++k) {
        cents += std::llround(draws.gamma(r.spend_shape) * r.spend_scale * factor * 100.0);
      }
    }
    if (effect.discount_share > 0.0) {
      const auto discount = static_cast<std::int64_t>(std::llround(static_cast<double>(cents) * effect.discount_share));
      cents -= discount;
      const std::int64_t micros = discount * 10000;
      // Segment and tier revenue is already net of the discount, so the
      // discount is booked to the campaign only.
      tally_.campaigns.at(static_cast<int>(effect.plan->index), CampaignKpi::discount_cost_micros) += micros;
    }
    a_.revenue_cents[i_] += cents;
    a_.last_purchase_day[i_] = ctx_.day;
    if (a_.assigned[i_] != 0) {
      // 32 bits per agent: saturate rather than wrap to a negative revenue.
      const std::int64_t window = a_.window_revenue_cents[i_] + cents;
      a_.window_revenue_cents[i_] =
          static_cast<std::int32_t>(std::min<std::int64_t>(window, std::numeric_limits<std::int32_t>::max()));
    }
    tally_.segments.at(seg_, Kpi::purchases) += n;
    tally_.segments.at(seg_, Kpi::revenue_cents) += cents;
    tally_.tiers.at(tier_group(s), TierKpi::revenue_cents) += cents;
  }

  void customer_event(const SegmentRates& r, State s, std::uint32_t word,
                      const Effect& effect) const {
    const double h_churn = static_cast<double>(a_.churn_hazard[i_]) *
                           r.churn_multiplier[static_cast<int>(s)] * effect.churn_factor;
    double h_second = 0.0;  // development when active, recovery when at risk
    double h_problem = r.problems_per_day;
    if (s == State::active) h_second = r.development_per_day;
    if (s == State::at_risk) {
      h_second = r.recovery_per_day;
      h_problem = 0.0;
    }
    const double total = h_churn + h_second + h_problem;
    const double p = daily_probability(total);
    if (word >= probability_threshold(p)) return;
    const double pos = to_open_unit(word) / p * total;
    switch (pick_event(pos, h_churn, h_second, h_problem)) {
      case Pick::churn:
        a_.products[i_] = 0;
        a_.effect_campaign[i_] = 0;
        move_to(State::lapsed, Kpi::defections);
        break;
      case Pick::problem:
        move_to(State::at_risk, Kpi::problems);
        break;
      case Pick::second:
        if (s == State::active) {
          a_.products[i_] = 2;
          move_to(State::developed, Kpi::developments);
          converted_if(CampaignType::cross_sell);
        } else {
          const bool in_welcome = ctx_.day - a_.acquired_day[i_] < ctx_.lifecycle.welcome_days;
          const State back = a_.products[i_] >= 2 ? State::developed
                             : in_welcome          ? State::new_customer
                                                   : State::active;
          move_to(back, Kpi::recoveries);
          converted_if(CampaignType::service_recovery);
        }
        break;
    }
  }

  /// Closes the measurement window when it has run its length (or the run ends).
  void close_measurement() const {
    const int c = a_.assigned[i_];
    if (c == 0) return;
    const CampaignPlan& plan = ctx_.campaigns[c - 1];
    // The window covers measurement_days days, the day of assignment first,
    // and is closed before the next day's campaigns look for people.
    if (ctx_.day - a_.assigned_day[i_] + 1 < plan.measurement_days && ctx_.day < ctx_.horizon) {
      return;
    }
    // Retention-type campaigns convert by keeping the customer.
    const bool keeps = plan.type == CampaignType::retention || plan.type == CampaignType::welcome;
    const bool converted = keeps ? is_customer(a_.state[i_])
                                 : (a_.flags[i_] & agent_flags::converted) != 0;
    const bool holdout = (a_.flags[i_] & agent_flags::holdout) != 0;
    const std::int64_t revenue = a_.window_revenue_cents[i_];
    const int id = c - 1;
    auto& t = tally_.campaigns;
    ++t.at(id, holdout ? CampaignKpi::holdout_measured : CampaignKpi::treated_measured);
    if (converted) ++t.at(id, holdout ? CampaignKpi::holdout_converted : CampaignKpi::treated_converted);
    t.at(id, holdout ? CampaignKpi::holdout_revenue_cents : CampaignKpi::treated_revenue_cents) += revenue;
    const int bucket = (id * 2 + (holdout ? 1 : 0)) * measurement_bucket_count +
                       measurement_bucket(static_cast<std::uint32_t>(i_));
    ++tally_.buckets.at(bucket, BucketKpi::measured);
    if (converted) ++tally_.buckets.at(bucket, BucketKpi::converted);
    tally_.buckets.at(bucket, BucketKpi::revenue_cents) += revenue;
    a_.assigned[i_] = 0;
    a_.flags[i_] = static_cast<std::uint8_t>(a_.flags[i_] & ~(agent_flags::holdout | agent_flags::converted));
  }

 private:
  int tier_group(State s) const {
    return seg_ * ctx_.tiers->tiers +
           ctx_.tiers->tier_of(seg_, s == State::developed, a_.purchase_rate[i_]);
  }

  const DayContext& ctx_;
  AgentArrays& a_;
  std::size_t i_;
  int seg_;
  ChunkTallies& tally_;
};

/// One agent's day, given its two lifecycle words: `event` decides the
/// lifecycle event, `buy` whether the customer buys today.
void step_agent(const DayContext& ctx, AgentArrays& a, std::size_t i, std::uint32_t event,
                std::uint32_t buy, ChunkTallies& tally) {
  const auto& life = ctx.lifecycle;
  const Agent agent(ctx, a, i, tally);
  const int seg = agent.segment();
  const SegmentRates& r = ctx.rates[seg];
  const State s = a.state[i];
  switch (s) {
    case State::lapsed:
      // No randomness: the win-back window simply runs out.
      if (ctx.day - a.state_since[i] >= life.winback_window_days) {
        agent.move_to(State::prospect, Kpi::returns_to_market);
      }
      break;
    case State::prospect:
      if (event < ctx.acquisition_threshold[seg]) {
        // The route is drawn only for the few acquired today.
        const std::uint32_t route = draw_block(ctx.seed, Purpose::acquisition_route,
                                               static_cast<std::uint32_t>(i),
                                               static_cast<std::uint32_t>(ctx.day), 0)[0];
        if (route < r.enquiry_threshold) {
          a.flags[i] = static_cast<std::uint8_t>(a.flags[i] & ~agent_flags::via_campaign);
          agent.move_to(State::lead, Kpi::enquiries);
        } else {
          agent.become_customer(false);
        }
      }
      break;
    case State::lead:
      // A lead opened on day d may convert on days d+1 .. d+window.
      if (ctx.day - a.state_since[i] > life.enquiry_window_days) {
        agent.move_to(State::prospect, Kpi::lead_expiries);
      } else if (event < r.lead_conversion_threshold) {
        ++tally.segments.at(seg, Kpi::lead_conversions);
        agent.become_customer(true);
      }
      break;
    case State::new_customer: {
      const Effect effect = agent.effect();
      agent.buy(r, s, buy, effect);
      // Completing the welcome period is the day's event for this agent.
      if (ctx.day - a.acquired_day[i] >= life.welcome_days) {
        agent.move_to(State::active, Kpi::welcomed);
      } else {
        agent.customer_event(r, s, event, effect);
      }
      break;
    }
    case State::active:
    case State::developed:
    case State::at_risk: {
      const Effect effect = agent.effect();
      agent.buy(r, s, buy, effect);
      agent.customer_event(r, s, event, effect);
      break;
    }
  }
  agent.close_measurement();
}

/// Flags the agents [first, first + n) for whom something may happen
/// today: flagged[k] = 1 unless the day's screen shows that agent first + k
/// has no event, no purchase and no timer running out (lifecycle timers,
/// and with `Campaigns` a campaign effect's end and a measurement window's
/// close; without, anyone with an effect or a window is flagged). `words`
/// holds the agents' event and buy words, interleaved. Branch-free, so that
/// the compiler vectorises it.
template <bool Campaigns>
void screen_agents(const DayScreen& screen, const AgentArrays& a, std::size_t first, std::size_t n,
                   const std::uint32_t* __restrict words, std::uint8_t* __restrict flagged) {
  const std::uint8_t* __restrict segment = a.segment.data() + first;
  const auto* __restrict state = reinterpret_cast<const std::uint8_t*>(a.state.data()) + first;
  const float* __restrict hazard = a.churn_hazard.data() + first;
  const float* __restrict rate = a.purchase_rate.data() + first;
  const std::int32_t* __restrict since = a.state_since.data() + first;
  const std::int32_t* __restrict acquired = a.acquired_day.data() + first;
  const std::uint8_t* __restrict effect = a.effect_campaign.data() + first;
  const std::uint8_t* __restrict assigned = a.assigned.data() + first;
  const std::int32_t* __restrict effect_until = a.effect_until.data() + first;
  const std::int32_t* __restrict assigned_day = a.assigned_day.data() + first;
  const float* __restrict event_fixed = screen.event_fixed.data();
  const float* __restrict event_per_hazard = screen.event_per_hazard.data();
  const float* __restrict buy_per_rate = screen.buy_per_rate.data();
  const std::int32_t* __restrict due_since = screen.due_since.data();
  const std::int32_t* __restrict due_acquired = screen.due_acquired.data();
  const std::int32_t* __restrict effect_due = screen.effect_due.data();
  const std::int32_t* __restrict close_due = screen.close_due.data();
  for (std::size_t k = 0; k < n; ++k) {
    const int idx = segment[k] * DayScreen::states + state[k];
    const float event_bound = event_fixed[idx] + hazard[k] * event_per_hazard[idx];
    const float buy_bound = rate[k] * buy_per_rate[idx] + 2.0f;
    const auto event_word = static_cast<float>(static_cast<std::int32_t>(words[2 * k] >> 8));
    const auto buy_word = static_cast<float>(static_cast<std::int32_t>(words[2 * k + 1] >> 8));
    int maybe = (event_word < event_bound) | (buy_word < buy_bound) | (since[k] <= due_since[idx]) |
                (acquired[k] <= due_acquired[idx]);
    if constexpr (Campaigns) {
      maybe |= (effect_until[k] < effect_due[effect[k]]) | (assigned_day[k] <= close_due[assigned[k]]);
    } else {
      maybe |= (effect[k] | assigned[k]) != 0;
    }
    flagged[k] = static_cast<std::uint8_t>(maybe);
  }
}

CRMSIM_TARGET_CLONES
void screen_lifecycle(const DayScreen& screen, const AgentArrays& a, std::size_t first, std::size_t n,
                      const std::uint32_t* __restrict words, std::uint8_t* __restrict flagged) {
  screen_agents<false>(screen, a, first, n, words, flagged);
}

CRMSIM_TARGET_CLONES
void screen_with_campaigns(const DayScreen& screen, const AgentArrays& a, std::size_t first,
                           std::size_t n, const std::uint32_t* __restrict words,
                           std::uint8_t* __restrict flagged) {
  screen_agents<true>(screen, a, first, n, words, flagged);
}

}  // namespace

DayScreen DayScreen::everyone(std::size_t segments) {
  const std::size_t entries = segments * states;
  DayScreen screen;
  screen.event_fixed.assign(entries, 0x1.0p25f);
  screen.event_per_hazard.assign(entries, 0.0f);
  screen.buy_per_rate.assign(entries, 0.0f);
  screen.due_since.assign(entries, std::numeric_limits<std::int32_t>::min());
  screen.due_acquired.assign(entries, std::numeric_limits<std::int32_t>::min());
  screen.effect_due.assign(DayScreen::campaign_entries, std::numeric_limits<std::int32_t>::max());
  screen.close_due.assign(DayScreen::campaign_entries, std::numeric_limits<std::int32_t>::max());
  return screen;
}

DayScreen make_day_screen(const std::vector<SegmentRates>& rates, const LifecycleParams& lifecycle,
                          const std::vector<CampaignPlan>& campaigns,
                          const std::vector<std::uint64_t>& acquisition_threshold, std::int32_t day,
                          std::int32_t horizon) {
  // Rounded up by far more than float rounding can take away, plus 2 units
  // for the word's lower 8 bits and the threshold's own rounding down.
  constexpr double unit = 0x1.0p24 * (1.0 + 0x1.0p-16);
  // Leads (rare) keep everyone()'s bound above every word, like the
  // padding entry: the exact rules decide for them every day.
  DayScreen screen = DayScreen::everyone(rates.size());
  for (std::size_t seg = 0; seg < rates.size(); ++seg) {
    const SegmentRates& r = rates[seg];
    auto entry = [&](State s) { return seg * DayScreen::states + static_cast<std::size_t>(s); };
    // A prospect is acquired when its event word is below today's threshold.
    screen.event_fixed[entry(State::prospect)] =
        static_cast<float>(static_cast<double>(acquisition_threshold[seg]) * 0x1.0p-8 * (1.0 + 0x1.0p-16) + 2.0);
    // A lapsed person has no event, only the win-back window running out.
    screen.event_fixed[entry(State::lapsed)] = 0.0f;
    screen.due_since[entry(State::lapsed)] = day - lifecycle.winback_window_days;
    // Customers: an event has probability 1 - exp(-h) <= h, a purchase
    // 1 - exp(-rate) <= rate (customer_event and buy without an effect).
    // A new customer's welcome period ends after welcome_days.
    screen.due_acquired[entry(State::new_customer)] = day - lifecycle.welcome_days;
    for (State s : {State::new_customer, State::active, State::developed, State::at_risk}) {
      double other = r.problems_per_day;
      if (s == State::active) other += r.development_per_day;
      if (s == State::at_risk) other = r.recovery_per_day;
      screen.event_fixed[entry(s)] = static_cast<float>(other * unit + 2.0);
      screen.event_per_hazard[entry(s)] = static_cast<float>(r.churn_multiplier[static_cast<int>(s)] * unit);
      screen.buy_per_rate[entry(s)] = static_cast<float>(unit);
    }
  }
  // Campaign columns, by campaign index + 1 (0: none, never due). An effect
  // that only lowers churn leaves the bounds above valid: it needs the exact
  // rules only on the day after it ends (effect() clears it then). One
  // that could raise churn needs them every day. A measurement window
  // closes once it has run its days, and for everyone on the last day.
  screen.campaigns = !campaigns.empty();
  screen.effect_due[0] = std::numeric_limits<std::int32_t>::min();
  screen.close_due[0] = std::numeric_limits<std::int32_t>::min();
  for (const CampaignPlan& plan : campaigns) {
    const std::size_t c = plan.index + 1;
    screen.effect_due[c] = plan.churn_factor <= 1.0 ? day : std::numeric_limits<std::int32_t>::max();
    screen.close_due[c] = day < horizon ? day + 1 - plan.measurement_days : std::numeric_limits<std::int32_t>::max();
  }
  return screen;
}

void lifecycle_pass(const DayContext& ctx, AgentArrays& a, std::size_t begin, std::size_t end,
                    ChunkTallies& tally) {
  const auto day_word = static_cast<std::uint32_t>(ctx.day);
  std::uint32_t words[4 * lifecycle_batch_pairs];
  // One flag per agent of a batch, padded to whole 8-byte groups.
  alignas(8) std::uint8_t flagged[2 * lifecycle_batch_pairs + 8];
  for (std::size_t batch = begin; batch < end;) {
    // A batch ends on a pair boundary so that it never needs more blocks than fit.
    const std::size_t first_pair = batch >> 1;
    const std::size_t last = std::min(end, (first_pair + lifecycle_batch_pairs) * 2);
    const auto pairs = static_cast<std::uint32_t>(((last - 1) >> 1) - first_pair + 1);
    lifecycle_words(ctx.seed, day_word, static_cast<std::uint32_t>(first_pair), pairs, words);
    // Agent i's words are words[2 * (i - 2 * first_pair)] (event) and the one after (buy).
    const std::uint32_t* batch_words = &words[2 * (batch - 2 * first_pair)];
    const std::size_t n = last - batch;
    if (ctx.screen->campaigns) {
      screen_with_campaigns(*ctx.screen, a, batch, n, batch_words, flagged);
    } else {
      screen_lifecycle(*ctx.screen, a, batch, n, batch_words, flagged);
    }
    // The screen did not read the columns a purchase or a move writes: ask
    // for them all first, so that the few flagged people's cache misses
    // overlap instead of coming one after another.
    for_each_flagged(flagged, n, [&](std::size_t k) {
      __builtin_prefetch(&a.revenue_cents[batch + k], 1);
      __builtin_prefetch(&a.last_purchase_day[batch + k], 1);
    });
    for_each_flagged(flagged, n, [&](std::size_t k) {
      step_agent(ctx, a, batch + k, batch_words[2 * k], batch_words[2 * k + 1], tally);
    });
    batch = last;
  }
}

void count_states(const AgentArrays& a, const TierBounds& tiers, std::size_t begin,
                  std::size_t end, ChunkTallies& tally) {
  for (std::size_t i = begin; i < end; ++i) {
    const State s = a.state[i];
    const int seg = a.segment[i];
    ++tally.segments.at(seg, static_cast<Kpi>(s));
    if (is_customer(s)) {
      ++tally.tiers.at(seg * tiers.tiers + tiers.tier_of(seg, s == State::developed, a.purchase_rate[i]),
                       TierKpi::customers);
    }
  }
}

}  // namespace crmsim::detail
