// The contract (shifted-beta-geometric) daily pass. A customer signs up on
// its entry day and pays the first period's fee; every period_days days
// after its sign-up it churns with probability theta (its trait, times the
// segment's churn_multiplier) or renews and pays the next period's fee.
// After t renewal dates a cohort keeps S(t) = E[(1 - theta)^t] =
// B(alpha, beta + t) / B(alpha, beta) of its customers.
//
// Draws: one word per customer on each of its renewal days
// (Purpose::model_daily, half a Philox block); days on which no customer
// can renew or sign up are skipped by the simulation altogether.
#include <algorithm>

#include "model_agent.hpp"

namespace crmsim::detail {

void sbg_pass(const ModelPlan& plan, int day, AgentArrays& a, std::size_t begin, std::size_t end,
              ChunkTallies& tally) {
  DailyWords words(plan.seed, day);
  for (std::size_t i = begin; i < end; ++i) {
    const int seg = a.segment[i];
    const State s = a.state[i];
    const ModelSegment& m = plan.segments[static_cast<std::size_t>(seg)];
    if (s == State::active) {
      const int age = day - a.acquired_day[i];
      if (age > 0 && age % plan.period_days == 0) {
        const double theta =
            std::min(1.0, static_cast<double>(a.churn_hazard[i]) * m.churn_multiplier);
        if (words.word(i) < probability_threshold(theta)) {
          model_leave(plan, day, a, i, seg, tally);
        } else {
          model_purchase(day, a, i, seg, m.fee_cents, tally);
        }
      }
    } else if (s == State::prospect && a.acquired_day[i] == day) {
      model_enter(plan, day, a, i, seg, tally);
      model_purchase(day, a, i, seg, m.fee_cents, tally);  // the first period is paid on sign-up
    }
    model_count(a, i, seg, tally);
  }
}

}  // namespace crmsim::detail
