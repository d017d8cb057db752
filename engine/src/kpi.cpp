// Compile-time checks tying KPI columns to lifecycle states.
#include "crmsim/kpi.hpp"

#include "crmsim/lifecycle.hpp"

namespace crmsim {

// State counts are tallied by casting the state to its KPI column.
static_assert(column(Kpi::prospect) == static_cast<int>(State::prospect));
static_assert(column(Kpi::new_customer) == static_cast<int>(State::new_customer));
static_assert(column(Kpi::lapsed) == static_cast<int>(State::lapsed));

}  // namespace crmsim
