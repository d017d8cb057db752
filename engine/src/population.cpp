// Day-0 population: states laid out in blocks per segment, traits drawn per
// agent from its own counter-based stream.
#include "population.hpp"

#include <algorithm>
#include <cmath>

#include "crmsim/rng.hpp"

namespace crmsim::detail {
namespace {

/// Whole days in [0, span) from a uniform; 0 when span is 0.
std::int32_t days_within(double uniform, int span) {
  return static_cast<std::int32_t>(std::floor(uniform * span));
}

/// Mean tenure, in days, of an established customer: about one over the churn
/// rate, capped so that near-zero churn does not put acquisitions centuries back.
double mean_established_tenure_days(double annual_rate) {
  return 365.0 / std::max(annual_rate, 0.05);
}

/// The initial state of the `k`-th agent of a segment (blocks in state order).
State initial_state(const InitialCounts& init, std::int64_t k) {
  const std::pair<std::int64_t, State> blocks[] = {
      {init.lead, State::lead},           {init.new_customer, State::new_customer},
      {init.active, State::active},       {init.developed, State::developed},
      {init.at_risk, State::at_risk},     {init.lapsed, State::lapsed}};
  for (const auto& [count, state] : blocks) {
    if (k < count) return state;
    k -= count;
  }
  return State::prospect;
}

}  // namespace

std::vector<std::int64_t> segment_offsets(const ScenarioSpec& spec) {
  std::vector<std::int64_t> offsets{0};
  for (const auto& s : spec.segments) offsets.push_back(offsets.back() + s.market_size);
  return offsets;
}

void initialise_agents(const ScenarioSpec& spec, const std::vector<SegmentRates>& rates,
                       const std::vector<std::int64_t>& offsets, std::uint64_t seed,
                       AgentArrays& agents, std::size_t begin, std::size_t end) {
  const auto& life = spec.lifecycle;
  auto seg = static_cast<std::size_t>(
      std::upper_bound(offsets.begin(), offsets.end(), static_cast<std::int64_t>(begin)) -
      offsets.begin() - 1);
  for (std::size_t i = begin; i < end; ++i) {
    while (static_cast<std::int64_t>(i) >= offsets[seg + 1]) ++seg;
    const auto id = static_cast<std::uint32_t>(i);
    const SegmentSpec& s = spec.segments[seg];
    const SegmentRates& r = rates[seg];

    DrawStream traits(seed, Purpose::traits, id, 0);
    const double rate = r.purchase_rate_scale > 0.0
                            ? traits.gamma(r.purchase_rate_shape) * r.purchase_rate_scale
                            : 0.0;
    double theta = r.churn_beta_a > 0.0 ? traits.beta(r.churn_beta_a, r.churn_beta_b)
                                        : r.churn_annual_rate;
    theta = std::min(theta, 1.0 - 1e-9);  // a certain defector still needs a finite hazard
    agents.segment[i] = static_cast<std::uint8_t>(seg);
    agents.purchase_rate[i] = static_cast<float>(rate);
    agents.churn_hazard[i] = static_cast<float>(annual_share_to_daily_hazard(theta));

    const State state = initial_state(s.initial, static_cast<std::int64_t>(i) - offsets[seg]);
    agents.state[i] = state;
    if (state == State::prospect) continue;

    DrawStream timers(seed, Purpose::initial_state, id, 0);
    const double u = timers.uniform();
    const auto established = static_cast<std::int32_t>(
        std::min(-std::log(timers.uniform()) * mean_established_tenure_days(s.churn.annual_rate),
                 20.0 * 365.0));
    const std::int32_t welcomed_on = -established;
    const std::int32_t acquired_on = welcomed_on - life.welcome_days;
    switch (state) {
      case State::lead:
        agents.state_since[i] = -days_within(u, life.enquiry_window_days);
        break;
      case State::new_customer:
        agents.acquired_day[i] = -days_within(u, life.welcome_days);
        agents.state_since[i] = agents.acquired_day[i];
        agents.products[i] = 1;
        break;
      case State::active:
      case State::developed:
        agents.acquired_day[i] = acquired_on;
        agents.state_since[i] = welcomed_on;
        agents.products[i] = state == State::developed ? 2 : 1;
        break;
      case State::at_risk:
        agents.acquired_day[i] = acquired_on;
        agents.state_since[i] =
            -days_within(u, static_cast<int>(std::ceil(s.problems.recovery_days_mean)));
        agents.products[i] = 1;
        break;
      case State::lapsed:
        agents.state_since[i] = -days_within(u, life.winback_window_days);
        agents.acquired_day[i] = agents.state_since[i] - established - life.welcome_days;
        break;
      case State::prospect:
        break;
    }
    // Last purchase: an exponential wait back from day 0 at the agent's rate,
    // so that "no purchase for N days" triggers do not all fire on day N.
    if (is_customer(state)) {
      const double back = rate > 0.0 ? -std::log(timers.uniform()) / rate : 1e9;
      const double tenure = static_cast<double>(-agents.acquired_day[i]);
      agents.last_purchase_day[i] = -static_cast<std::int32_t>(std::min(back, tenure));
    }
  }
}

}  // namespace crmsim::detail
