// The optional event log: lifecycle transitions of a deterministic sample
// of agents, recorded by the engine while it runs (off by default, and then
// free). The output layer (hdf5_output.hpp) writes them to /events.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace crmsim {

/// What happened to an agent.
enum class EventKind : std::uint8_t {
  enquiry = 0,           ///< prospect became a lead
  acquisition = 1,       ///< prospect became a customer directly
  lead_conversion = 2,   ///< lead became a customer
  lead_expiry = 3,       ///< lead's enquiry window ran out; back to prospect
  welcomed = 4,          ///< new customer completed the welcome period
  development = 5,       ///< customer took another product
  problem = 6,           ///< customer met a problem (a service case opened); now at risk
  recovery = 7,          ///< at-risk customer's problem was resolved (case closed)
  defection = 8,         ///< customer lost; now lapsed
  win_back = 9,          ///< lapsed person won back as a customer
  return_to_market = 10, ///< lapsed person's win-back window ended; back to prospect
  count_                 ///< number of kinds (not a kind)
};

/// Number of event kinds.
inline constexpr int event_kind_count = static_cast<int>(EventKind::count_);

/// Event kind names as the results file and Python show them.
inline constexpr std::array<std::string_view, event_kind_count> event_kind_names = {
    "enquiry", "acquisition", "lead_conversion", "lead_expiry", "welcomed", "development",
    "problem", "recovery", "defection", "win_back", "return_to_market"};

/// One logged event.
struct Event {
  std::int32_t day = 0;        ///< simulation day on which it happened (1-based)
  std::uint32_t agent = 0;     ///< agent id (row in the agent columns)
  std::uint8_t segment = 0;    ///< the agent's segment index
  EventKind kind = EventKind::enquiry;  ///< what happened
  std::uint8_t campaign = 0;   ///< campaign index + 1 when a campaign response caused it; 0 = organic
};

}  // namespace crmsim
