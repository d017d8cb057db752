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
}  // namespace agent_flags

/// Agent columns. Days are simulation days (day 1 is the first simulated
/// day; negative days lie before the start).
struct AgentArrays {
  std::vector<std::uint8_t> segment;        ///< index into ScenarioSpec::segments
  std::vector<State> state;                 ///< lifecycle state
  std::vector<std::uint8_t> products;       ///< products held (0 when not a customer)
  std::vector<std::uint8_t> flags;          ///< agent_flags bits
  std::vector<std::int32_t> state_since;    ///< day the agent entered its current state
  std::vector<std::int32_t> acquired_day;   ///< day the agent last became a customer
  std::vector<float> purchase_rate;         ///< purchases per day while a customer (trait)
  std::vector<float> churn_hazard;          ///< defection hazard per day when active (trait)
  std::vector<std::int64_t> revenue_cents;  ///< lifetime revenue, in cents of the currency

  /// Number of agents.
  std::size_t size() const noexcept { return state.size(); }

  /// Allocates `n` zeroed agents.
  void resize(std::size_t n) {
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
  static constexpr std::size_t bytes_per_agent =
      sizeof(std::uint8_t) * 3 + sizeof(State) + sizeof(std::int32_t) * 2 + sizeof(float) * 2 +
      sizeof(std::int64_t);
};

}  // namespace crmsim
