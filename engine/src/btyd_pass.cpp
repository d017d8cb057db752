// The buy-till-you-die (BG/NBD) daily pass. An alive customer with purchase
// rate lambda (per day) buys N ~ Poisson(lambda) times today; after each
// purchase it drops out with probability p (its trait, times the segment's
// dropout_multiplier), and buys no more. Purchases of a day happen in order,
// so this is the continuous-time BG/NBD process observed day by day:
// the expected repeat purchases E[X(t)] of the closed form hold at every
// whole day, with no discretisation error.
//
// Draws: one word per alive agent-day (Purpose::model_daily, half a Philox
// block) decides whether any purchase happens; only then a stream of its
// own (Purpose::purchases) draws the count and the dropouts, and a separate
// block range of it the spend, so that a what-if on spend leaves every
// dropout unchanged and one on dropout leaves every spend unchanged
// (common random numbers).
#include <algorithm>
#include <cmath>

#include "crmsim/rates.hpp"
#include "model_agent.hpp"

namespace crmsim::detail {
namespace {

/// First block of the spend draws within a purchase day's stream: far past
/// any count and dropout draws (one uniform each).
constexpr std::uint32_t spend_first_block = 1u << 20;

/// Today's purchases of an alive customer who buys at least once.
void purchase_day(const ModelPlan& plan, int day, AgentArrays& a, std::size_t i, int seg,
                  double rate, double p_any, ChunkTallies& tally) {
  const auto id = static_cast<std::uint32_t>(i);
  const auto today = static_cast<std::uint32_t>(day);
  const ModelSegment& m = plan.segments[static_cast<std::size_t>(seg)];
  DrawStream draws(plan.seed, Purpose::purchases, id, today);
  const int n = purchases_given_any(rate, p_any, draws.uniform());
  const double p_drop =
      std::min(1.0, static_cast<double>(a.churn_hazard[i]) * m.dropout_multiplier);
  // Gamma-Gamma: the customer's spend level nu ~ Gamma(q, rate gamma) is a
  // trait; it is drawn again from its own stream (the same value every time)
  // rather than stored, as purchases are rare next to agent-days.
  double spend_scale = 0.0;  // 1 / nu
  DrawStream spend(plan.seed, Purpose::purchases, id, today, spend_first_block);
  if (m.has_spend) {
    DrawStream level(plan.seed, Purpose::spend_trait, id, 0);
    spend_scale = m.spend.gamma / level.gamma(m.spend.q);
  }
  for (int k = 0; k < n; ++k) {
    const std::int64_t cents =
        m.has_spend ? std::llround(spend.gamma(m.spend.p) * spend_scale * 100.0) : 0;
    model_purchase(day, a, i, seg, cents, tally);
    if (draws.uniform() < p_drop) {
      model_leave(plan, day, a, i, seg, tally);
      return;
    }
  }
}

}  // namespace

void btyd_pass(const ModelPlan& plan, int day, AgentArrays& a, std::size_t begin, std::size_t end,
               ChunkTallies& tally) {
  DailyWords words(plan.seed, day);
  for (std::size_t i = begin; i < end; ++i) {
    const int seg = a.segment[i];
    const State s = a.state[i];
    if (s == State::active) {
      const double rate = a.purchase_rate[i];
      if (rate > 0.0) {
        const double p_any = daily_probability(rate);
        if (words.word(i) < probability_threshold(p_any)) {
          purchase_day(plan, day, a, i, seg, rate, p_any, tally);
        }
      }
    } else if (s == State::prospect && a.acquired_day[i] == day) {
      // The first purchase: the customer's clock starts; repeat purchases
      // (the BG/NBD's X(t)) from tomorrow.
      model_enter(plan, day, a, i, seg, tally);
    }
    model_count(a, i, seg, tally);
  }
}

}  // namespace crmsim::detail
