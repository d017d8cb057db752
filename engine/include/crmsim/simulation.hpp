// The simulation: a population advanced day by day through fixed phases.
//
// Phases of a day (each a parallel pass where it touches agents):
//   1. market update  - yesterday's customer share and brand adstock set
//                       today's acquisition hazards (double buffer: nobody
//                       sees today's changes today)
//   2. campaigns      - targeting (parallel pass), then selection under
//                       budgets, caps, capacities and the contact policy in
//                       priority order, contacts and responses (serial over
//                       the selected few, in a fixed order)
//      [service queues, competition: later features slot in here]
//   3. lifecycle pass - one competing-risks event, purchases, campaign
//                       effects and measurement windows, per agent
//   4. KPI reduction  - chunk tallies added in chunk order (integers: exact)
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "crmsim/agents.hpp"
#include "crmsim/events.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/rates.hpp"
#include "crmsim/scenario.hpp"

namespace crmsim {

namespace detail {
struct SimulationTestAccess;  // tests only: reaches private state to corrupt it on purpose
}

/// Whether runs check the engine's invariants every day unless told: on in
/// builds with the CMake option CRMSIM_CHECKS=ON; the environment variable
/// CRMSIM_CHECKS (1/on/true or 0/off/false) overrides the build's default.
bool checks_by_default() noexcept;

/// The chunk size a run of `agents` people uses by default: about 64
/// chunks, so that small runs still give every thread work, of 1,024 to
/// 16,384 people (a multiple of the lifecycle pass's batch of 128).
std::int64_t chunk_size_for(std::int64_t agents) noexcept;

/// How to run; none of it changes results except the seed.
struct RunOptions {
  std::uint64_t seed = 0;            ///< root of every random draw
  int threads = 0;                   ///< worker threads; 0 = all cores
  /// Agents per parallel work item; 0 = chosen from the population
  /// (chunk_size_for), never from the thread count.
  std::int64_t chunk_size = 0;
  /// Check every invariant at the end of every day (see invariants.cpp);
  /// a violation throws InvariantError. Costs one extra pass over the agents a day.
  bool checks = checks_by_default();
  /// Refuse (MemoryLimitError, before allocating) a run estimated to need
  /// more bytes than this; 0 = this machine's memory.
  std::uint64_t memory_limit_bytes = 0;
  /// Pass over the people the day's screen shows to have certainly nothing
  /// to do (lifecycle model). Never changes results; off only to prove that.
  bool screen = true;
};

/// Everything that changes during a run. With the scenario and the seed it
/// determines the rest of the run: random numbers are a pure function of
/// (seed, purpose, agent, day, draw), so there is no generator state to
/// keep. A checkpoint is this plus the scenario.
struct SimulationState {
  int day = 0;                         ///< days simulated
  std::uint64_t seed = 0;              ///< the run's seed
  AgentArrays agents;                  ///< agent columns at the end of `day`
  std::vector<std::int64_t> kpis;      ///< rows 0..day of Simulation::kpis(), row-major
  std::vector<std::int64_t> campaign_kpis;   ///< rows 0..day of campaign_kpis()
  std::vector<std::int64_t> measurement_buckets;  ///< values of measurement_buckets()
  std::vector<std::int64_t> tier_kpis;       ///< rows 0..day of tier_kpis()
  std::vector<std::int64_t> campaign_spent_micros;  ///< per campaign, millionths of the currency
  std::vector<double> campaign_adstock;      ///< per campaign (0 for non-brand campaigns)
};

/// One simulation run. Not copyable; the agent arrays and KPI table it owns
/// are handed out by reference.
class Simulation {
 public:
  /// Validates the scenario and builds the initial population (day 0).
  /// Throws MemoryLimitError, before allocating, if the run would not fit in
  /// memory (see estimate_memory()).
  Simulation(ScenarioSpec spec, RunOptions options);
  /// Resumes a run from a saved state (a checkpoint) of the same scenario
  /// and seed; the run then continues bit-identically to one that was never
  /// interrupted, for any thread count. Throws UsageError naming what does
  /// not match (seed, agent count, table shapes, out-of-range values).
  Simulation(ScenarioSpec spec, RunOptions options, SimulationState state);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Simulates the next `days` days; throws UsageError past the horizon,
  /// Interrupted after request_stop(), InvariantError when checks are on
  /// and an invariant breaks.
  void advance(int days);
  /// Simulates to the horizon.
  void run_to_end() { advance(horizon() - day()); }

  /// Days simulated so far (0 before the first step).
  int day() const noexcept { return day_; }
  /// Horizon in days.
  int horizon() const noexcept { return spec_.days; }
  /// Threads the run uses.
  int threads() const noexcept { return threads_; }
  /// The scenario being run.
  const ScenarioSpec& scenario() const noexcept { return spec_; }
  /// Options the run was created with (threads resolved).
  const RunOptions& options() const noexcept { return options_; }
  /// Agent columns as of the end of day().
  const AgentArrays& agents() const noexcept { return agents_; }
  /// Per-segment KPI table; rows 0..day() are filled.
  const KpiTable& kpis() const noexcept { return kpis_; }
  /// Per-campaign table (day, campaign, CampaignKpi).
  const DailyTable<std::int64_t>& campaign_kpis() const noexcept { return campaign_kpis_; }
  /// Measurement so far per (campaign, [treated, holdout], bucket): BucketKpi
  /// columns, group index (campaign * 2 + holdout) * measurement_bucket_count + bucket.
  const Tally<std::int64_t>& measurement_buckets() const noexcept { return buckets_; }
  /// Per-(segment, value tier) table: (day, segment x tiers + tier, TierKpi).
  const DailyTable<std::int64_t>& tier_kpis() const noexcept { return tier_kpis_; }
  /// Number of value tiers (at least 1).
  int tiers() const noexcept;
  /// Budget used so far per campaign, millionths of the currency.
  std::vector<std::int64_t> campaign_spent_micros() const;
  /// Brand adstock per campaign (0 for other types).
  std::vector<double> campaign_adstock() const;

  /// Asks a running advance() to stop soon (from any thread; within one
  /// chunk of agents): it throws Interrupted. Stopped between two days, the
  /// run can go on once the request is withdrawn with request_stop(false);
  /// stopped inside a day, its state is incomplete and advance() refuses to
  /// continue (UsageError).
  void request_stop(bool stop = true) noexcept { stop_.store(stop, std::memory_order_relaxed); }
  /// Whether the run checks its invariants every day.
  bool checks() const noexcept { return options_.checks; }
  /// Checks every invariant now (whether or not checks are on); throws
  /// InvariantError naming the day, the segment or campaign, the invariant
  /// and the values.
  void check_invariants();

  /// Starts logging the lifecycle events of a deterministic sample of agents
  /// (chosen by a hash of agent id and seed): `share` of them, 0 to 1;
  /// 0 stops logging. Logging does not change the run.
  void log_events(double share);
  /// Share of agents whose events are logged (0 = no log).
  double event_share() const noexcept;
  /// Hands over the events logged since the last call, in day order (within
  /// a day: campaign responses in selection order, then agents in id order).
  std::vector<Event> take_events();

 private:
  struct Parallel;  // TBB arena, kept out of this header
  struct Campaigns; // campaign plans and state, kept out of this header
  struct EventLog;  // event sampling and the pending events
  struct Model;     // the btyd or sbg model's plan (model.hpp), when the scenario picks one
  struct Checks;    // invariant checker and its running totals
  friend struct detail::SimulationTestAccess;

  Simulation(ScenarioSpec spec, RunOptions options, SimulationState* saved);
  void restore(SimulationState& saved);
  void step();
  void step_model();  // step() of a btyd or sbg run
  void reduce_chunks(int day);
  bool stop_requested() const noexcept { return stop_.load(std::memory_order_relaxed); }
  /// The invariant checks; `incremental`: today follows the last day checked.
  void run_checks(bool incremental);

  ScenarioSpec spec_;
  RunOptions options_;
  int threads_;
  std::vector<SegmentRates> rates_;
  AgentArrays agents_;
  KpiTable kpis_;
  DailyTable<std::int64_t> campaign_kpis_;
  Tally<std::int64_t> buckets_;
  DailyTable<std::int64_t> tier_kpis_;
  std::unique_ptr<Campaigns> campaigns_;
  std::unique_ptr<Parallel> parallel_;
  std::unique_ptr<EventLog> events_;
  std::unique_ptr<Model> model_;  // null for the lifecycle model
  std::unique_ptr<Checks> checks_;
  std::atomic<bool> stop_{false};
  int broken_day_ = 0;  ///< day a stop cut short (its state is incomplete); 0 = none
  int day_ = 0;
};

}  // namespace crmsim
