// The agent columns by name (internal to the engine): one list that the
// results writer, the checkpoint writer and reader, and their tests share,
// so that a column added to AgentArrays is added here once.
#pragma once

#include <cstddef>

#include "crmsim/agents.hpp"

namespace crmsim::detail {

/// Calls `f(name, column, width)` for every column of `a` (const or not),
/// in a fixed order; `width` is values per agent (contact_days has
/// contact_slots, every other column 1).
template <class Arrays, class F>
void for_each_agent_column(Arrays& a, F&& f) {
  f("segment", a.segment, 1);
  f("state", a.state, 1);
  f("products", a.products, 1);
  f("flags", a.flags, 1);
  f("state_since", a.state_since, 1);
  f("acquired_day", a.acquired_day, 1);
  f("purchase_rate", a.purchase_rate, 1);
  f("churn_hazard", a.churn_hazard, 1);
  f("revenue_cents", a.revenue_cents, 1);
  f("last_purchase_day", a.last_purchase_day, 1);
  f("contact_days", a.contact_days, a.contact_slots);
  f("effect_until", a.effect_until, 1);
  f("effect_campaign", a.effect_campaign, 1);
  f("assigned", a.assigned, 1);
  f("assigned_day", a.assigned_day, 1);
  f("window_revenue_cents", a.window_revenue_cents, 1);
}

}  // namespace crmsim::detail
