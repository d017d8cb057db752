// The engine's invariants, checked at the end of a day (internal to the
// engine). Simulation::check_invariants() runs them: every day when checks
// are on (CRMSIM_CHECKS), and whenever a caller asks.
//
// Invariants (docs/reliability.md lists them for users):
//   agents     - every column in range: segment matches the agent's block,
//                state < 7, products consistent with the state (none for
//                prospects, leads and lapsed people; at least one for
//                customers, two when developed), campaign indices in range,
//                days between 100,000 days back and today, rates finite and
//                >= 0, revenue >= 0,
//                holdout/converted flags only with a measurement assignment
//   closed market   - per segment, the state counts add up to market_size,
//                and equal the agents' states
//   no negatives    - every count and amount of every table >= 0, and below
//                2^62 (agents' revenue and budgets used too), so that no
//                later addition can overflow
//   flow balance    - from one day to the next, customers, prospects, leads
//                and lapsed people change by exactly their in- and outflows
//   revenue         - the agents' lifetime revenue equals the daily revenue
//                added up; segment and tier revenue, customers and costs agree
//   campaigns       - held out <= eligible, selected <= eligible - held out,
//                contacted <= selected, delivered <= contacted, responses and
//                unsubscribes <= delivered, converted <= measured
//   limits          - contacts per day <= the campaign's daily cap, contacts
//                per channel and day <= its capacity, budget used <= budget,
//                and the budget used equals the contact and incentive costs
//   measurement     - the person buckets add up to the campaign table's
//                treated and holdout totals
//   brand adstock   - finite and >= 0
// Service queues do not exist yet; "queue conservation" joins this list when
// they do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "campaigns.hpp"
#include "crmsim/agents.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/scenario.hpp"

namespace crmsim::detail {

/// Sums in the checks are 128-bit: a damaged checkpoint may hold values
/// whose sum overflows 64 bits, and the checks must report it, not overflow.
using Wide = __int128;

/// Read-only views of a Simulation's state at the end of `day`.
struct InvariantInputs {
  int day = 0;
  const ScenarioSpec* spec = nullptr;
  const AgentArrays* agents = nullptr;
  const std::vector<std::int64_t>* segment_offsets = nullptr;  ///< first agent of each segment, and the end
  const DailyTable<std::int64_t>* kpis = nullptr;
  const DailyTable<std::int64_t>* campaigns = nullptr;
  const Tally<std::int64_t>* buckets = nullptr;
  const DailyTable<std::int64_t>* tiers = nullptr;
  int tier_count = 1;
  const std::vector<CampaignPlan>* plans = nullptr;
  const std::vector<CampaignState>* states = nullptr;
};

/// What the agent check of one chunk found: per-segment state counts and
/// revenue, and the first broken rule (agent order, so the report is the
/// same for any thread count).
struct AgentCheck {
  std::vector<std::int64_t> states;   ///< segment x state
  std::vector<Wide> revenue;          ///< per segment, cents
  bool failed = false;
  std::size_t agent = 0;              ///< first agent that breaks a rule
  std::string problem;                ///< what it breaks
  void reset(std::size_t segments);
};

/// Checks agents [begin, end) and tallies their states and revenue.
void check_agents(const InvariantInputs& in, std::size_t begin, std::size_t end, AgentCheck& out);

/// Checks the tables of `in.day` against each other, the previous day and
/// the agents' tallies; keeps running totals so that a daily check costs
/// the same on day 10 as on day 10,000.
class InvariantChecker {
 public:
  /// Throws InvariantError naming the day, the segment or campaign, the
  /// invariant and the values. `incremental`: the tables have not changed
  /// since the last check except for the new day's row, so the running
  /// totals may be carried on; otherwise they are added up afresh.
  void check(const InvariantInputs& in, const std::vector<AgentCheck>& chunks, bool incremental);

 private:
  void update_totals(const InvariantInputs& in, bool incremental);
  int totals_day_ = -1;                         ///< last day in the totals; -1 = none
  std::vector<Wide> revenue_;   ///< per segment: revenue of days 0..totals_day_
  std::vector<Wide> spent_;     ///< per campaign: contact + incentive cost, micros
  std::vector<Wide> measured_;  ///< per campaign x [treated, holdout] x BucketKpi
};

}  // namespace crmsim::detail
