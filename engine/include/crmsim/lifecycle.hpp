// Lifecycle states of a person in the addressable market.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace crmsim {

/// Where a person stands with us; stored as one byte per agent.
enum class State : std::uint8_t {
  prospect = 0,   ///< in the market, not a customer
  lead = 1,       ///< enquiry in progress
  new_customer = 2,  ///< inside the welcome period
  active = 3,     ///< established customer with one product
  developed = 4,  ///< holds more than one product
  at_risk = 5,    ///< unresolved problem: recovers or defects
  lapsed = 6,     ///< defected, inside the win-back window
};

/// Number of lifecycle states.
inline constexpr int state_count = 7;

/// Names as they appear in scenarios and KPI tables.
inline constexpr std::array<std::string_view, state_count> state_names = {
    "prospect", "lead", "new", "active", "developed", "at_risk", "lapsed"};

/// Customers are the states in which a person buys from us.
constexpr bool is_customer(State s) noexcept {
  return s == State::new_customer || s == State::active || s == State::developed ||
         s == State::at_risk;
}

}  // namespace crmsim
