// The daily lifecycle pass. Per agent and day: one Philox block (four
// 32-bit words) decides everything that usually happens, compared as
// integers against precomputed thresholds:
//   word 0: the lifecycle event (competing risks: at most one per day)
//   word 1: whether the customer buys today
//   word 2: the acquisition route (enquiry or direct)
// Only a purchase opens a second stream (for its count and spend), so the
// common case of "nothing happens today" costs one Philox call and a few
// comparisons.
#include "lifecycle_pass.hpp"

#include <cmath>

#include "crmsim/rng.hpp"

namespace crmsim::detail {
namespace {

/// Number of purchases given that at least one happens: inverse CDF of the
/// zero-truncated Poisson(rate) at `u`.
int purchases_given_any(double rate, double p_any, double u) {
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

struct AgentRef {
  AgentArrays& a;
  std::size_t i;
  std::int32_t day;
  int seg;
  KpiRow& tally;

  void move_to(State s, Kpi flow) const {
    a.state[i] = s;
    a.state_since[i] = day;
    ++tally.at(seg, flow);
  }

  void become_customer(bool via_enquiry) const {
    a.acquired_day[i] = day;
    a.products[i] = 1;
    a.flags[i] = static_cast<std::uint8_t>(
        via_enquiry ? (a.flags[i] | agent_flags::via_enquiry)
                    : (a.flags[i] & ~agent_flags::via_enquiry));
    move_to(State::new_customer, Kpi::acquisitions);
  }
};

void buy(const DayContext& ctx, const SegmentRates& r, const AgentRef& ref, State s,
         std::uint32_t word) {
  const double rate = ref.a.purchase_rate[ref.i];
  if (!(rate > 0.0)) return;
  const double p_any = daily_probability(rate);
  if (word >= probability_threshold(p_any)) return;
  DrawStream draws(ctx.seed, Purpose::purchases, static_cast<std::uint32_t>(ref.i),
                   static_cast<std::uint32_t>(ctx.day));
  const int n = purchases_given_any(rate, p_any, draws.uniform());
  const double factor = s == State::developed ? r.developed_spend_multiplier : 1.0;
  std::int64_t cents = 0;
  if (r.spend_scale > 0.0) {
    for (int k = 0; k < n; ++k) {
      cents += std::llround(draws.gamma(r.spend_shape) * r.spend_scale * factor * 100.0);
    }
  }
  ref.a.revenue_cents[ref.i] += cents;
  ref.tally.at(ref.seg, Kpi::purchases) += n;
  ref.tally.at(ref.seg, Kpi::revenue_cents) += cents;
}

void customer_event(const SegmentRates& r, const AgentRef& ref, State s, std::uint32_t word,
                    int welcome_days) {
  const double h_churn =
      static_cast<double>(ref.a.churn_hazard[ref.i]) * r.churn_multiplier[static_cast<int>(s)];
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
      ref.a.products[ref.i] = 0;
      ref.move_to(State::lapsed, Kpi::defections);
      break;
    case Pick::problem:
      ref.move_to(State::at_risk, Kpi::problems);
      break;
    case Pick::second:
      if (s == State::active) {
        ref.a.products[ref.i] = 2;
        ref.move_to(State::developed, Kpi::developments);
      } else {
        const bool in_welcome = ref.day - ref.a.acquired_day[ref.i] < welcome_days;
        const State back = ref.a.products[ref.i] >= 2 ? State::developed
                           : in_welcome               ? State::new_customer
                                                      : State::active;
        ref.move_to(back, Kpi::recoveries);
      }
      break;
  }
}

}  // namespace

void lifecycle_pass(const DayContext& ctx, AgentArrays& a, std::size_t begin, std::size_t end,
                    KpiRow& tally) {
  const auto& life = ctx.lifecycle;
  const auto day_word = static_cast<std::uint32_t>(ctx.day);
  for (std::size_t i = begin; i < end; ++i) {
    const int seg = a.segment[i];
    const SegmentRates& r = ctx.rates[seg];
    const State s = a.state[i];
    const AgentRef ref{a, i, ctx.day, seg, tally};

    if (s == State::lapsed) {
      // No randomness: the win-back window simply runs out.
      if (ctx.day - a.state_since[i] >= life.winback_window_days) {
        ref.move_to(State::prospect, Kpi::returns_to_market);
      }
    } else {
      const PhiloxBlock w =
          draw_block(ctx.seed, Purpose::lifecycle, static_cast<std::uint32_t>(i), day_word, 0);
      switch (s) {
        case State::prospect:
          if (w[0] < ctx.acquisition_threshold[seg]) {
            if (w[2] < r.enquiry_threshold) {
              ref.move_to(State::lead, Kpi::enquiries);
            } else {
              ref.become_customer(false);
            }
          }
          break;
        case State::lead:
          // A lead opened on day d may convert on days d+1 .. d+window.
          if (ctx.day - a.state_since[i] > life.enquiry_window_days) {
            ref.move_to(State::prospect, Kpi::lead_expiries);
          } else if (w[0] < r.lead_conversion_threshold) {
            ++tally.at(seg, Kpi::lead_conversions);
            ref.become_customer(true);
          }
          break;
        case State::new_customer:
          buy(ctx, r, ref, s, w[1]);
          // Completing the welcome period is the day's event for this agent.
          if (ctx.day - a.acquired_day[i] >= life.welcome_days) {
            ref.move_to(State::active, Kpi::welcomed);
          } else {
            customer_event(r, ref, s, w[0], life.welcome_days);
          }
          break;
        case State::active:
        case State::developed:
        case State::at_risk:
          buy(ctx, r, ref, s, w[1]);
          customer_event(r, ref, s, w[0], life.welcome_days);
          break;
        case State::lapsed:
          break;
      }
    }
    ++tally.at(seg, static_cast<Kpi>(a.state[i]));
  }
}

void count_states(const AgentArrays& a, std::size_t begin, std::size_t end, KpiRow& tally) {
  for (std::size_t i = begin; i < end; ++i) {
    ++tally.at(a.segment[i], static_cast<Kpi>(a.state[i]));
  }
}

}  // namespace crmsim::detail
