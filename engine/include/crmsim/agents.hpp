// The population as a struct of arrays: one column per attribute, one row
// per agent, no per-agent heap objects. About 28 bytes per agent today;
// later features add columns here, within the 64-byte budget.
#pragma once

#include <cstdint>
#include <vector>

#include "crmsim/lifecycle.hpp"

namespace crmsim {

/// Bit flags stored per agent.
namespace agent_flags {
inline constexpr std::uint8_t via_enquiry = 1u << 0;  ///< last acquisition went through an enquiry
inline constexpr std::uint8_t via_campaign = 1u << 1; ///< last acquisition or enquiry came from a campaign
inline constexpr std::uint8_t won_back = 1u << 2;     ///< last acquisition was a win-back
inline constexpr std::uint8_t opted_out = 1u << 3;    ///< never to be contacted again
inline constexpr std::uint8_t holdout = 1u << 4;      ///< measured as a control of its assigned campaign
inline constexpr std::uint8_t converted = 1u << 5;    ///< converted within its measurement window
}  // namespace agent_flags

/// Agent columns. Days are simulation days (day 1 is the first simulated
/// day; negative days lie before the start). Campaign columns: an agent has
/// at most one running campaign effect and one measurement assignment.
struct AgentArrays {
  std::vector<std::uint8_t> segment;        ///< index into ScenarioSpec::segments
  std::vector<State> state;                 ///< lifecycle state
  std::vector<std::uint8_t> products;       ///< products held (0 when not a customer)
  std::vector<std::uint8_t> flags;          ///< agent_flags bits
  std::vector<std::int32_t> state_since;    ///< day the agent entered its current state
  std::vector<std::int32_t> acquired_day;   ///< day the agent last became a customer
  std::vector<float> purchase_rate;         ///< purchases per day while a customer (trait)
  /// Defection hazard per day when active (trait); model btyd: dropout
  /// probability after each purchase; model sbg: churn probability per period.
  std::vector<float> churn_hazard;
  std::vector<std::int64_t> revenue_cents;  ///< lifetime revenue, in cents of the currency
  std::vector<std::int32_t> last_purchase_day;  ///< day of the last purchase (or acquisition)
  std::vector<std::uint16_t> contact_days;  ///< ring of recent contact days, contact_slots per agent; 0 = empty
  std::vector<std::int32_t> effect_until;   ///< last day the campaign effect runs
  std::vector<std::uint8_t> effect_campaign;  ///< campaign index + 1 of the running effect; 0 = none
  std::vector<std::uint8_t> assigned;       ///< campaign index + 1 of the measurement assignment; 0 = none
  std::vector<std::int32_t> assigned_day;   ///< day of the measurement assignment
  std::vector<std::int32_t> window_revenue_cents;  ///< revenue since the assignment, cents
  int contact_slots = 4;                    ///< contact days kept per agent

  /// Number of agents.
  std::size_t size() const noexcept { return state.size(); }

  /// Allocates `n` zeroed agents with `slots` contact days each.
  void resize(std::size_t n, int slots) {
    contact_slots = slots;
    last_purchase_day.assign(n, 0);
    contact_days.assign(n * static_cast<std::size_t>(slots), 0);
    effect_until.assign(n, 0);
    effect_campaign.assign(n, 0);
    assigned.assign(n, 0);
    assigned_day.assign(n, 0);
    window_revenue_cents.assign(n, 0);
    segment.assign(n, 0);
    state.assign(n, State::prospect);
    products.assign(n, 0);
    flags.assign(n, 0);
    state_since.assign(n, 0);
    acquired_day.assign(n, 0);
    purchase_rate.assign(n, 0.0f);
    churn_hazard.assign(n, 0.0f);
    revenue_cents.assign(n, 0);
  }

  /// Bytes held per agent by the columns above.
  std::size_t bytes_per_agent() const noexcept {
    return sizeof(std::uint8_t) * 5 + sizeof(State) + sizeof(std::int32_t) * 6 +
           sizeof(float) * 2 + sizeof(std::int64_t) +
           sizeof(std::uint16_t) * static_cast<std::size_t>(contact_slots);
  }
};

}  // namespace crmsim
