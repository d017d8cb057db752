// The buy-till-you-die (btyd) and contract (sbg) models, internal to the
// engine: the day-0 population they start from and their daily passes.
// Simulation::step() runs one of these instead of the lifecycle pass when
// the scenario's model is btyd or sbg (model.hpp says what the KPI columns
// mean then). They use the engine's machinery unchanged: counter-based
// draws keyed by (seed, purpose, agent, day), fixed chunks, integer tallies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crmsim/agents.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/scenario.hpp"
#include "event_log.hpp"
#include "lifecycle_pass.hpp"

namespace crmsim::detail {

/// Per-segment constants of a btyd or sbg run.
struct ModelSegment {
  double dropout_multiplier = 1.0;  ///< btyd: factor on p
  bool has_spend = false;           ///< btyd: purchases carry Gamma-Gamma spend
  GammaGammaSpend spend;            ///< btyd: spend parameters
  double churn_multiplier = 1.0;    ///< sbg: factor on theta
  std::int64_t fee_cents = 0;       ///< sbg: revenue per paid period, cents
};

/// What the model passes need, fixed for the run (plus the day's event sampler).
struct ModelPlan {
  ModelKind kind = ModelKind::lifecycle;
  int period_days = 1;
  std::uint64_t seed = 0;
  std::vector<ModelSegment> segments;
  std::vector<char> entry_day;      ///< per day 0..days: some segment has entries that day
  std::vector<char> renewal_phase;  ///< sbg, per (day % period_days): some customer can renew then
  const EventSampler* events = nullptr;  ///< the event log sample of the day; null = no log
};

/// The plan of a btyd or sbg scenario.
ModelPlan plan_model(const ScenarioSpec& spec, std::uint64_t seed);

/// Initialises agents [begin, end) of a btyd or sbg scenario. Per segment:
/// the first initial.active agents are customers from day 0, then each entry
/// of `entries` in turn (prospects until their entry day, kept in
/// acquired_day), then prospects who never enter. Traits: btyd stores the
/// purchase rate per day in purchase_rate and the dropout probability p in
/// churn_hazard; sbg stores the churn probability per period theta in
/// churn_hazard. Draws depend only on (seed, agent id).
void initialise_model_agents(const ScenarioSpec& spec, const std::vector<std::int64_t>& offsets,
                             std::uint64_t seed, AgentArrays& agents, std::size_t begin,
                             std::size_t end);

/// True when nothing can happen on `day` (sbg between renewal and entry
/// days); the day's row is then yesterday's states with no flows.
bool model_day_idle(const ModelPlan& plan, int day);

/// Puts the state counts of `day` (and its customers per tier) into `tally`:
/// an idle day's row, and the counts the lifecycle model's next day starts
/// from.
void carry_state_counts(const KpiTable& kpis, const DailyTable<std::int64_t>& tiers, int day,
                        ChunkTallies& tally);

/// Advances agents [begin, end) of a btyd run by day `day`: entries, then
/// for each alive customer today's purchases, each followed by the dropout
/// draw; tallies flows and end-of-day states.
void btyd_pass(const ModelPlan& plan, int day, AgentArrays& agents, std::size_t begin,
               std::size_t end, ChunkTallies& tally);

/// Advances agents [begin, end) of an sbg run by day `day`: sign-ups, then
/// renewal or churn for each customer whose period ends today.
void sbg_pass(const ModelPlan& plan, int day, AgentArrays& agents, std::size_t begin,
              std::size_t end, ChunkTallies& tally);

}  // namespace crmsim::detail
