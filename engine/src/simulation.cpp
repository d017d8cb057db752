// Orchestration of a run: population, phases of a day, deterministic reduction.
#include "crmsim/simulation.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <string>

#include "crmsim/errors.hpp"
#include "lifecycle_pass.hpp"
#include "population.hpp"

namespace crmsim {

struct Simulation::Parallel {
  explicit Parallel(int threads) : arena(threads) {
    // TBB caps workers at the core count unless told otherwise; a run that
    // asks for more threads (e.g. to test determinism) must really get them.
    // The cap is process-wide and the smallest active value wins, so it is
    // only ever raised, never lowered.
    if (threads > tbb::info::default_concurrency()) {
      limit = std::make_unique<tbb::global_control>(
          tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    }
  }
  std::unique_ptr<tbb::global_control> limit;
  tbb::task_arena arena;

  /// Runs `body(chunk, begin, end)` for every fixed-size chunk of [0, n).
  /// Chunks are the unit of work and of reduction, so the thread count only
  /// changes who does a chunk, never what is in it.
  template <class Body>
  void for_each_chunk(std::size_t n, std::size_t chunk_size, const Body& body) {
    const std::size_t chunks = (n + chunk_size - 1) / chunk_size;
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(0, chunks, 1),
          [&](const tbb::blocked_range<std::size_t>& range) {
            for (std::size_t c = range.begin(); c != range.end(); ++c) {
              body(c, c * chunk_size, std::min(n, (c + 1) * chunk_size));
            }
          },
          tbb::simple_partitioner());
    });
  }
};

namespace {

int resolve_threads(int requested) {
  if (requested < 0) throw UsageError("threads must be >= 0 (0 = all cores), got " +
                                      std::to_string(requested));
  return requested == 0 ? tbb::info::default_concurrency() : requested;
}

std::size_t chunk_count(std::size_t agents, std::int64_t chunk_size) {
  if (chunk_size < 1) throw UsageError("chunk_size must be >= 1, got " + std::to_string(chunk_size));
  const auto size = static_cast<std::size_t>(chunk_size);
  return (agents + size - 1) / size;
}

}  // namespace

Simulation::Simulation(ScenarioSpec spec, RunOptions options)
    : spec_((validate(spec), std::move(spec))),
      options_(options),
      threads_(resolve_threads(options.threads)),
      rates_(derive_rates(spec_)),
      kpis_(spec_.days, static_cast<int>(spec_.segments.size())),
      parallel_(std::make_unique<Parallel>(threads_)) {
  options_.threads = threads_;
  const auto n = static_cast<std::size_t>(market_total(spec_));
  const int segments = static_cast<int>(spec_.segments.size());
  chunk_tallies_.assign(chunk_count(n, options_.chunk_size), KpiRow(segments));
  agents_.resize(n);

  const auto offsets = detail::segment_offsets(spec_);
  const auto chunk = static_cast<std::size_t>(options_.chunk_size);
  parallel_->for_each_chunk(n, chunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
    detail::initialise_agents(spec_, rates_, offsets, options_.seed, agents_, begin, end);
    chunk_tallies_[c].clear();
    detail::count_states(agents_, begin, end, chunk_tallies_[c]);
  });
  kpis_.set_row(0, reduce_chunks());
}

Simulation::~Simulation() = default;

void Simulation::advance(int days) {
  if (days < 0 || days > horizon() - day_) {
    throw UsageError("cannot advance " + std::to_string(days) + " days: day " +
                     std::to_string(day_) + " of a " + std::to_string(horizon()) + "-day horizon");
  }
  for (int k = 0; k < days; ++k) step();
}

void Simulation::step() {
  const int today = day_ + 1;

  // Phase 1, market update: yesterday's market-wide customer share drives
  // today's imitation (well-mixed Bass).
  std::int64_t customers = 0;
  for (Kpi k : {Kpi::new_customer, Kpi::active, Kpi::developed, Kpi::at_risk}) {
    customers += kpis_.total(day_, k);
  }
  const double share =
      static_cast<double>(customers) / static_cast<double>(market_total(spec_));
  std::vector<std::uint64_t> acquisition_threshold(rates_.size());
  for (std::size_t s = 0; s < rates_.size(); ++s) {
    const double hazard = rates_[s].innovation_per_day + rates_[s].imitation_per_day * share;
    acquisition_threshold[s] = probability_threshold(daily_probability(hazard));
  }

  // Phase 3, lifecycle pass over fixed chunks.
  detail::DayContext ctx;
  ctx.day = today;
  ctx.seed = options_.seed;
  ctx.lifecycle = spec_.lifecycle;
  ctx.rates = rates_.data();
  ctx.acquisition_threshold = acquisition_threshold.data();
  const auto chunk = static_cast<std::size_t>(options_.chunk_size);
  parallel_->for_each_chunk(agents_.size(), chunk,
                            [&](std::size_t c, std::size_t begin, std::size_t end) {
                              chunk_tallies_[c].clear();
                              detail::lifecycle_pass(ctx, agents_, begin, end, chunk_tallies_[c]);
                            });

  // Phase 4, KPI reduction in chunk order.
  kpis_.set_row(today, reduce_chunks());
  day_ = today;
}

KpiRow Simulation::reduce_chunks() const {
  KpiRow total(static_cast<int>(spec_.segments.size()));
  for (const auto& tally : chunk_tallies_) total.add(tally);
  return total;
}

}  // namespace crmsim
