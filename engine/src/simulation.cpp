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

#include "campaigns.hpp"
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

struct Simulation::Campaigns {
  std::vector<detail::CampaignPlan> plans;
  std::vector<detail::CampaignState> states;
  detail::TierBounds tiers;
  std::vector<detail::ChunkTallies> chunks;
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

int tier_count(const ScenarioSpec& spec) {
  return std::max(1, static_cast<int>(spec.value_tiers.size()));
}

/// Contact days kept per agent: enough for the policy cap, and a few for
/// fatigue when there is no cap.
int contact_slots(const ScenarioSpec& spec) {
  return std::max(4, spec.contact_policy.max_contacts);
}

}  // namespace

Simulation::Simulation(ScenarioSpec spec, RunOptions options)
    : spec_((validate(spec), std::move(spec))),
      options_(options),
      threads_(resolve_threads(options.threads)),
      rates_(derive_rates(spec_)),
      kpis_(spec_.days, static_cast<int>(spec_.segments.size()), kpi_count),
      campaign_kpis_(spec_.days, static_cast<int>(spec_.campaigns.size()), campaign_kpi_count),
      buckets_(static_cast<int>(spec_.campaigns.size()) * 2 * measurement_bucket_count, bucket_kpi_count),
      tier_kpis_(spec_.days, static_cast<int>(spec_.segments.size()) * tier_count(spec_),
                 tier_kpi_count),
      campaigns_(std::make_unique<Campaigns>()),
      parallel_(std::make_unique<Parallel>(threads_)) {
  options_.threads = threads_;
  const auto n = static_cast<std::size_t>(market_total(spec_));
  const int segments = static_cast<int>(spec_.segments.size());
  campaigns_->plans = detail::plan_campaigns(spec_, rates_);
  campaigns_->states.assign(spec_.campaigns.size(), {});
  campaigns_->tiers = detail::derive_tier_bounds(spec_, rates_);
  campaigns_->chunks.assign(
      chunk_count(n, options_.chunk_size),
      detail::ChunkTallies(segments, static_cast<int>(spec_.campaigns.size()), tier_count(spec_)));
  agents_.resize(n, contact_slots(spec_));

  const auto offsets = detail::segment_offsets(spec_);
  const auto chunk = static_cast<std::size_t>(options_.chunk_size);
  parallel_->for_each_chunk(n, chunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
    detail::initialise_agents(spec_, rates_, offsets, options_.seed, agents_, begin, end);
    campaigns_->chunks[c].clear();
    detail::count_states(agents_, campaigns_->tiers, begin, end, campaigns_->chunks[c]);
  });
  reduce_chunks(0);
}

Simulation::~Simulation() = default;

int Simulation::tiers() const noexcept { return campaigns_->tiers.tiers; }

std::vector<std::int64_t> Simulation::campaign_spent_micros() const {
  std::vector<std::int64_t> spent;
  for (const auto& s : campaigns_->states) spent.push_back(s.spent_micros);
  return spent;
}

std::vector<double> Simulation::campaign_adstock() const {
  std::vector<double> adstock;
  for (const auto& s : campaigns_->states) adstock.push_back(s.adstock);
  return adstock;
}

void Simulation::advance(int days) {
  if (days < 0 || days > horizon() - day_) {
    throw UsageError("cannot advance " + std::to_string(days) + " days: day " +
                     std::to_string(day_) + " of a " + std::to_string(horizon()) + "-day horizon");
  }
  for (int k = 0; k < days; ++k) step();
}

void Simulation::step() {
  const int today = day_ + 1;
  auto& camp = *campaigns_;
  const double market = static_cast<double>(market_total(spec_));

  // Phase 1, market update: yesterday's market-wide customer share drives
  // today's imitation (well-mixed Bass); brand adstock lifts innovation in
  // the segments its campaigns target.
  std::int64_t customers = 0;
  for (Kpi k : {Kpi::new_customer, Kpi::active, Kpi::developed, Kpi::at_risk}) {
    customers += kpis_.total(day_, k);
  }
  const double share = static_cast<double>(customers) / market;
  std::vector<double> brand(rates_.size(), 1.0);
  for (const auto& plan : camp.plans) {
    if (plan.type != CampaignType::brand) continue;
    const double lift = plan.brand_lift * camp.states[plan.index].adstock * 100.0;
    for (std::size_t s = 0; s < rates_.size(); ++s) {
      if (plan.segment_ok[s]) brand[s] += lift;
    }
  }
  std::vector<std::uint64_t> acquisition_threshold(rates_.size());
  for (std::size_t s = 0; s < rates_.size(); ++s) {
    const double hazard = (rates_[s].innovation_per_day * brand[s] +
                           rates_[s].imitation_per_day * share) * rates_[s].acquisition_fit;
    acquisition_threshold[s] = probability_threshold(daily_probability(hazard));
  }

  for (auto& tally : camp.chunks) tally.clear();
  const auto chunk = static_cast<std::size_t>(options_.chunk_size);

  // Phase 2, campaigns.
  std::vector<int> running;
  for (const auto& plan : camp.plans) {
    // A campaign whose budget cannot pay for one more day's first contact
    // (wave cost included) has ended.
    const bool spent = plan.budget_micros >= 0 &&
                       camp.states[plan.index].spent_micros + plan.wave_cost_micros +
                               plan.cost_per_contact_micros + plan.incentive_micros >
                           plan.budget_micros;
    if (plan.runs_on(today) && !spent) running.push_back(static_cast<int>(plan.index));
  }
  if (!running.empty()) {
    detail::TargetingContext target;
    target.day = today;
    target.seed = options_.seed;
    target.plans = &camp.plans;
    target.running = &running;
    target.rates = &rates_;
    target.tiers = &camp.tiers;
    target.score_accuracy = spec_.analytics.score_accuracy;
    target.policy_window_days = spec_.contact_policy.window_days;
    parallel_->for_each_chunk(agents_.size(), chunk,
                              [&](std::size_t c, std::size_t begin, std::size_t end) {
                                auto& lists = camp.chunks[c].candidates;
                                lists.assign(running.size(), {});
                                detail::target_agents(target, agents_, begin, end, lists,
                                                      camp.chunks[c].campaigns);
                              });
    // Candidates in chunk order are in agent order: the same list for any
    // thread count.
    std::vector<std::vector<detail::Candidate>> candidates(running.size());
    for (auto& tally : camp.chunks) {
      for (std::size_t k = 0; k < running.size(); ++k) {
        candidates[k].insert(candidates[k].end(), tally.candidates[k].begin(),
                             tally.candidates[k].end());
        tally.candidates[k].clear();
      }
    }
    detail::ContactContext contact;
    contact.day = today;
    contact.seed = options_.seed;
    contact.spec = &spec_;
    contact.rates = &rates_;
    contact.tiers = &camp.tiers;
    auto& first = camp.chunks.front();  // serial tallies join chunk 0's
    detail::select_and_contact(contact, camp.plans, running, candidates, camp.states, agents_,
                               {first.segments, first.campaigns, first.tiers});
  }

  // Phase 3, lifecycle pass over fixed chunks.
  detail::DayContext ctx;
  ctx.day = today;
  ctx.horizon = horizon();
  ctx.seed = options_.seed;
  ctx.lifecycle = spec_.lifecycle;
  ctx.rates = rates_.data();
  ctx.acquisition_threshold = acquisition_threshold.data();
  ctx.campaigns = camp.plans.data();
  ctx.tiers = &camp.tiers;
  parallel_->for_each_chunk(agents_.size(), chunk,
                            [&](std::size_t c, std::size_t begin, std::size_t end) {
                              detail::lifecycle_pass(ctx, agents_, begin, end, camp.chunks[c]);
                            });

  // Phase 4, KPI reduction in chunk order, then brand carry-over for tomorrow.
  reduce_chunks(today);
  for (const auto& plan : camp.plans) {
    if (plan.type != CampaignType::brand) continue;
    const double decay = spec_.channels[static_cast<std::size_t>(plan.channel)].adstock_decay_per_day;
    const auto delivered = campaign_kpis_.at(today, static_cast<int>(plan.index), CampaignKpi::delivered);
    auto& state = camp.states[plan.index];
    state.adstock = decay * state.adstock + static_cast<double>(delivered) / market;
  }
  day_ = today;
}

void Simulation::reduce_chunks(int day) {
  const int segments = static_cast<int>(spec_.segments.size());
  const int campaigns = static_cast<int>(spec_.campaigns.size());
  detail::ChunkTallies total(segments, campaigns, tiers());
  for (const auto& tally : campaigns_->chunks) {
    total.segments.add(tally.segments);
    total.campaigns.add(tally.campaigns);
    total.buckets.add(tally.buckets);
    total.tiers.add(tally.tiers);
  }
  kpis_.set_row(day, total.segments);
  campaign_kpis_.set_row(day, total.campaigns);
  tier_kpis_.set_row(day, total.tiers);
  buckets_.add(total.buckets);
}

}  // namespace crmsim
