// The simulation: a population advanced day by day through fixed phases.
//
// Phases of a day (each a parallel pass where it touches agents):
//   1. market update  - yesterday's customer share sets today's Bass hazards
//                       (double buffer: nobody sees today's changes today)
//   2. [campaigns, service queues, competition: later features slot in here]
//   3. lifecycle pass - one competing-risks event, purchases, per agent
//   4. KPI reduction  - chunk tallies added in chunk order (integers: exact)
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "crmsim/agents.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/rates.hpp"
#include "crmsim/scenario.hpp"

namespace crmsim {

/// How to run; none of it changes results except the seed.
struct RunOptions {
  std::uint64_t seed = 0;            ///< root of every random draw
  int threads = 0;                   ///< worker threads; 0 = all cores
  std::int64_t chunk_size = 16384;   ///< agents per parallel work item
};

/// One simulation run. Not copyable; the agent arrays and KPI table it owns
/// are handed out by reference.
class Simulation {
 public:
  /// Validates the scenario and builds the initial population (day 0).
  Simulation(ScenarioSpec spec, RunOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Simulates the next `days` days; throws UsageError past the horizon.
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
  /// KPI table; rows 0..day() are filled.
  const KpiTable& kpis() const noexcept { return kpis_; }

 private:
  struct Parallel;  // TBB arena, kept out of this header

  void step();
  KpiRow reduce_chunks() const;

  ScenarioSpec spec_;
  RunOptions options_;
  int threads_;
  std::vector<SegmentRates> rates_;
  AgentArrays agents_;
  KpiTable kpis_;
  std::vector<KpiRow> chunk_tallies_;
  std::unique_ptr<Parallel> parallel_;
  int day_ = 0;
};

}  // namespace crmsim
