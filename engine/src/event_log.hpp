// Recording events for the optional event log (internal to the engine).
// The passes call `record` only where a state changes, and only when a
// sampler is set, so a run without an event log pays one null test per
// state change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crmsim/agents.hpp"
#include "crmsim/events.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/rng.hpp"

namespace crmsim::detail {

/// Which agents' events are logged: those whose hash of (seed, agent) falls
/// under the share, so the sample is the same whatever the thread count and
/// an agent's whole history is either in the log or not.
struct EventSampler {
  std::uint64_t seed = 0;
  std::uint64_t threshold = 0;  ///< word < threshold: the agent is in the sample

  bool sampled(std::size_t agent) const noexcept {
    return draw_block(seed, Purpose::event_sample, static_cast<std::uint32_t>(agent), 0, 0)[0] <
           threshold;
  }

  /// Appends the event of a state change counted as `flow` (a Kpi flow
  /// column) if the agent is in the sample. `flags` are the agent's flags
  /// after the change; `campaign` is the responsible campaign index + 1, or 0.
  void record(std::vector<Event>& out, std::int32_t day, std::size_t agent, int segment,
              Kpi flow, std::uint8_t flags, std::uint8_t campaign) const {
    if (!sampled(agent)) return;
    EventKind kind;
    switch (flow) {
      case Kpi::enquiries: kind = EventKind::enquiry; break;
      case Kpi::acquisitions:
        kind = (flags & agent_flags::via_enquiry) ? EventKind::lead_conversion : EventKind::acquisition;
        break;
      case Kpi::lead_expiries: kind = EventKind::lead_expiry; break;
      case Kpi::welcomed: kind = EventKind::welcomed; break;
      case Kpi::developments: kind = EventKind::development; break;
      case Kpi::problems: kind = EventKind::problem; break;
      case Kpi::recoveries: kind = EventKind::recovery; break;
      case Kpi::defections: kind = EventKind::defection; break;
      case Kpi::win_backs: kind = EventKind::win_back; break;
      case Kpi::returns_to_market: kind = EventKind::return_to_market; break;
      default: return;  // not a state change
    }
    out.push_back({day, static_cast<std::uint32_t>(agent), static_cast<std::uint8_t>(segment), kind,
                   campaign});
  }
};

}  // namespace crmsim::detail
