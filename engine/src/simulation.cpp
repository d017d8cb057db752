// Orchestration of a run: population, phases of a day, deterministic reduction.
#include "crmsim/simulation.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

#include "campaigns.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/limits.hpp"
#include "invariants.hpp"
#include "lifecycle_pass.hpp"
#include "model_pass.hpp"
#include "population.hpp"

namespace crmsim {

#if defined(__SANITIZE_THREAD__)
#define CRMSIM_NO_TSAN __attribute__((no_sanitize("thread")))
#define CRMSIM_TSAN_NOINLINE __attribute__((noinline))
#else
#define CRMSIM_NO_TSAN
#define CRMSIM_TSAN_NOINLINE
#endif

struct Simulation::Parallel {
  Parallel(int threads, const std::atomic<bool>* stop_flag) : stop(stop_flag), arena(threads) {
    // TBB caps workers at the core count unless told otherwise; a run that
    // asks for more threads (e.g. to test determinism) must really get them.
    // The cap is process-wide and the smallest active value wins, so it is
    // only ever raised, never lowered.
    if (threads > tbb::info::default_concurrency()) {
      limit = std::make_unique<tbb::global_control>(
          tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    }
  }
  const std::atomic<bool>* stop;  ///< request_stop(): chunks not yet started are skipped
  std::unique_ptr<tbb::global_control> limit;
  tbb::task_arena arena;

  /// Runs `body(chunk, begin, end)` for every fixed-size chunk of [0, n).
  /// Chunks are the unit of work and of reduction, so the thread count only
  /// changes who does a chunk, never what is in it. After a stop request the
  /// remaining chunks are skipped; the caller then throws Interrupted.
  template <class Body>
  void for_each_chunk(std::size_t n, std::size_t chunk_size, const Body& body) {
    const std::size_t chunks = (n + chunk_size - 1) / chunk_size;
    tsan_release(&started);
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(0, chunks, 1),
          [this, n, chunk_size, &body](const tbb::blocked_range<std::size_t>& range)
              CRMSIM_NO_TSAN { run_chunks(range.begin(), range.end(), n, chunk_size, body); },
          tbb::simple_partitioner());
    });
    tsan_acquire(&finished);
  }

 private:
  template <class Body>
  CRMSIM_TSAN_NOINLINE void run_chunks(std::size_t first, std::size_t last, std::size_t n,
                                       std::size_t chunk_size, const Body& body) {
    tsan_acquire(&started);
    for (std::size_t c = first; c != last; ++c) {
      if (stop->load(std::memory_order_relaxed)) break;
      body(c, c * chunk_size, std::min(n, (c + 1) * chunk_size));
    }
    tsan_release(&finished);
  }

  // What TBB guarantees (everything before the loop happens before each
  // body, each body before the loop returns) happens inside libtbb, which
  // ThreadSanitizer cannot see unless TBB is built with it: say it here.
  // TBB also hands its range and our loop object between threads inside
  // libtbb, so the small lambda that unpacks them is not instrumented; the
  // work is, in run_chunks(). No code changes in other builds.
#if defined(__SANITIZE_THREAD__)
  static void tsan_release(void* token) { __tsan_release(token); }
  static void tsan_acquire(void* token) { __tsan_acquire(token); }
#else
  static void tsan_release(void*) {}
  static void tsan_acquire(void*) {}
#endif
  char started = 0;   ///< addresses for the annotations
  char finished = 0;
};

struct Simulation::Campaigns {
  std::vector<detail::CampaignPlan> plans;
  std::vector<detail::CampaignState> states;
  detail::TierBounds tiers;
  std::vector<detail::ChunkTallies> chunks;
};

struct Simulation::Model {
  detail::ModelPlan plan;
};

struct Simulation::Checks {
  detail::InvariantChecker checker;
  std::vector<detail::AgentCheck> chunks;
  std::vector<std::int64_t> segment_offsets;
};

struct Simulation::EventLog {
  bool on = false;
  detail::EventSampler sampler;
  /// The day's events from campaign responses, joined to `pending` only once
  /// the contacts are whole (a stop during them leaves `pending` as it was).
  std::vector<Event> day_campaign;
  std::vector<Event> pending;       ///< logged, not yet taken
  double share = 0.0;
};

namespace {

int resolve_threads(int requested) {
  if (requested < 0) throw UsageError("threads must be >= 0 (0 = all cores), got " +
                                      std::to_string(requested));
  return requested == 0 ? tbb::info::default_concurrency() : requested;
}

std::size_t chunk_count(std::size_t agents, std::int64_t chunk_size) {
  const auto size = static_cast<std::size_t>(chunk_size);
  return (agents + size - 1) / size;
}

/// The options with the chunk size resolved for the scenario's population.
RunOptions resolved(RunOptions options, const ScenarioSpec& spec) {
  if (options.chunk_size < 0) {
    throw UsageError("chunk_size must be >= 1 (or 0: chosen from the population), got " +
                     std::to_string(options.chunk_size));
  }
  if (options.chunk_size == 0) options.chunk_size = chunk_size_for(market_total(spec));
  return options;
}

int tier_count(const ScenarioSpec& spec) {
  return std::max(1, static_cast<int>(spec.value_tiers.size()));
}

/// The scenario, once it is known to be valid and to fit in memory: checked
/// before the first table or agent column is allocated.
ScenarioSpec checked(ScenarioSpec spec, const RunOptions& options) {
  validate(spec);
  check_memory(estimate_memory(spec, options.chunk_size), options.memory_limit_bytes);
  return spec;
}

}  // namespace

std::int64_t chunk_size_for(std::int64_t agents) noexcept {
  constexpr std::int64_t batch = 128, smallest = 1024, largest = 16384;
  const std::int64_t per_chunk = (std::max<std::int64_t>(agents, 0) + 63) / 64;
  const std::int64_t rounded = (per_chunk + batch - 1) / batch * batch;
  return std::clamp(rounded, smallest, largest);
}

bool checks_by_default() noexcept {
#ifdef CRMSIM_CHECKS
  bool on = true;
#else
  bool on = false;
#endif
  if (const char* env = std::getenv("CRMSIM_CHECKS")) {
    const std::string_view v(env);
    if (v == "1" || v == "on" || v == "ON" || v == "true" || v == "yes") on = true;
    if (v == "0" || v == "off" || v == "OFF" || v == "false" || v == "no") on = false;
  }
  return on;
}

Simulation::Simulation(ScenarioSpec spec, RunOptions options)
    : Simulation(std::move(spec), options, nullptr) {}

Simulation::Simulation(ScenarioSpec spec, RunOptions options, SimulationState state)
    : Simulation(std::move(spec), options, &state) {}

Simulation::Simulation(ScenarioSpec spec, RunOptions options, SimulationState* saved)
    : spec_(checked(std::move(spec), options)),
      options_(resolved(options, spec_)),
      threads_(resolve_threads(options.threads)),
      rates_(derive_rates(spec_)),
      kpis_(spec_.days, static_cast<int>(spec_.segments.size()), kpi_count),
      campaign_kpis_(spec_.days, static_cast<int>(spec_.campaigns.size()), campaign_kpi_count),
      buckets_(static_cast<int>(spec_.campaigns.size()) * 2 * measurement_bucket_count, bucket_kpi_count),
      tier_kpis_(spec_.days, static_cast<int>(spec_.segments.size()) * tier_count(spec_),
                 tier_kpi_count),
      campaigns_(std::make_unique<Campaigns>()),
      parallel_(std::make_unique<Parallel>(threads_, &stop_)),
      events_(std::make_unique<EventLog>()),
      checks_(std::make_unique<Checks>()) {
  options_.threads = threads_;
  const auto n = static_cast<std::size_t>(market_total(spec_));
  const int segments = static_cast<int>(spec_.segments.size());
  campaigns_->plans = detail::plan_campaigns(spec_, rates_);
  campaigns_->states.assign(spec_.campaigns.size(), {});
  campaigns_->tiers = detail::derive_tier_bounds(spec_, rates_);
  campaigns_->chunks.assign(
      chunk_count(n, options_.chunk_size),
      detail::ChunkTallies(segments, static_cast<int>(spec_.campaigns.size()), tier_count(spec_)));
  if (spec_.model.kind != ModelKind::lifecycle) {
    model_ = std::make_unique<Model>(Model{detail::plan_model(spec_, options_.seed)});
  }
  if (saved != nullptr) {
    restore(*saved);
    // A saved state comes from a file: whatever the setting, check it whole
    // before running on it, so that a damaged checkpoint is an error, never
    // an index out of range or an overflow later.
    check_invariants();
    return;
  }
  agents_.resize(n, contact_slots(spec_));

  const auto offsets = detail::segment_offsets(spec_);
  const auto chunk = static_cast<std::size_t>(options_.chunk_size);
  parallel_->for_each_chunk(n, chunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
    if (model_) {
      detail::initialise_model_agents(spec_, offsets, options_.seed, agents_, begin, end);
    } else {
      detail::initialise_agents(spec_, rates_, offsets, options_.seed, agents_, begin, end);
    }
    campaigns_->chunks[c].clear();
    detail::count_states(agents_, campaigns_->tiers, begin, end, campaigns_->chunks[c]);
  });
  reduce_chunks(0);
  if (options_.checks) check_invariants();
}

Simulation::~Simulation() = default;

namespace {

[[noreturn]] void mismatch(const std::string& what) {
  throw UsageError("the saved state does not match the scenario: " + what);
}

template <class T>
void check_size(const std::vector<T>& v, std::size_t expected, const char* what) {
  if (v.size() != expected) {
    mismatch(std::string(what) + " has " + std::to_string(v.size()) + " values, expected " +
             std::to_string(expected));
  }
}

template <class T>
void check_below(const std::vector<T>& v, unsigned limit, const char* what) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (static_cast<unsigned>(v[i]) >= limit) {
      mismatch(std::string(what) + " of agent " + std::to_string(i) + " is " +
               std::to_string(static_cast<unsigned>(v[i])) + ", must be below " +
               std::to_string(limit));
    }
  }
}

template <class T>
void copy_rows(const std::vector<T>& rows, DailyTable<T>& table, int day, const char* what) {
  const auto expected = static_cast<std::size_t>(day + 1) * static_cast<std::size_t>(table.groups()) *
                        static_cast<std::size_t>(table.columns());
  check_size(rows, expected, what);
  std::copy(rows.begin(), rows.end(), table.mutable_data());
}

}  // namespace

void Simulation::restore(SimulationState& saved) {
  if (saved.seed != options_.seed) {
    mismatch("it was made with seed " + std::to_string(saved.seed) + ", the run has seed " +
             std::to_string(options_.seed));
  }
  if (saved.day < 0 || saved.day > horizon()) {
    mismatch("day " + std::to_string(saved.day) + " is outside the " + std::to_string(horizon()) +
             "-day horizon");
  }
  const auto n = static_cast<std::size_t>(market_total(spec_));
  AgentArrays& a = saved.agents;
  if (a.size() != n) {
    mismatch(std::to_string(a.size()) + " agents, the scenario has " + std::to_string(n));
  }
  if (a.contact_slots != contact_slots(spec_)) {
    mismatch(std::to_string(a.contact_slots) + " contact slots per agent, the scenario needs " +
             std::to_string(contact_slots(spec_)));
  }
  check_size(a.segment, n, "segment");
  check_size(a.products, n, "products");
  check_size(a.flags, n, "flags");
  check_size(a.state_since, n, "state_since");
  check_size(a.acquired_day, n, "acquired_day");
  check_size(a.purchase_rate, n, "purchase_rate");
  check_size(a.churn_hazard, n, "churn_hazard");
  check_size(a.revenue_cents, n, "revenue_cents");
  check_size(a.last_purchase_day, n, "last_purchase_day");
  check_size(a.contact_days, n * static_cast<std::size_t>(a.contact_slots), "contact_days");
  check_size(a.effect_until, n, "effect_until");
  check_size(a.effect_campaign, n, "effect_campaign");
  check_size(a.assigned, n, "assigned");
  check_size(a.assigned_day, n, "assigned_day");
  check_size(a.window_revenue_cents, n, "window_revenue_cents");
  // Indices that the passes use to address tables must be in range: a
  // corrupted file must give an error, never a write out of bounds.
  const auto campaigns = static_cast<unsigned>(spec_.campaigns.size());
  check_below(a.segment, static_cast<unsigned>(spec_.segments.size()), "segment");
  check_below(a.state, static_cast<unsigned>(state_count), "state");
  check_below(a.effect_campaign, campaigns + 1, "effect_campaign");
  check_below(a.assigned, campaigns + 1, "assigned");
  const auto offsets = detail::segment_offsets(spec_);
  for (std::size_t s = 0; s + 1 < offsets.size(); ++s) {
    for (auto i = static_cast<std::size_t>(offsets[s]); i < static_cast<std::size_t>(offsets[s + 1]); ++i) {
      if (static_cast<std::size_t>(a.segment[i]) != s) {
        mismatch("agent " + std::to_string(i) + " is in segment " + std::to_string(a.segment[i]) +
                 ", the scenario puts it in segment " + std::to_string(s));
      }
    }
  }
  copy_rows(saved.kpis, kpis_, saved.day, "kpis");
  copy_rows(saved.campaign_kpis, campaign_kpis_, saved.day, "campaign_kpis");
  check_size(saved.measurement_buckets, buckets_.values().size(), "measurement_buckets");
  buckets_.assign(saved.measurement_buckets);
  copy_rows(saved.tier_kpis, tier_kpis_, saved.day, "tier_kpis");
  check_size(saved.campaign_spent_micros, spec_.campaigns.size(), "campaign_spent_micros");
  check_size(saved.campaign_adstock, spec_.campaigns.size(), "campaign_adstock");
  for (std::size_t c = 0; c < spec_.campaigns.size(); ++c) {
    campaigns_->states[c].spent_micros = saved.campaign_spent_micros[c];
    campaigns_->states[c].adstock = saved.campaign_adstock[c];
  }
  agents_ = std::move(saved.agents);
  day_ = saved.day;
}

void Simulation::log_events(double share) {
  if (!(share >= 0.0 && share <= 1.0)) {
    throw UsageError("event share must be between 0 and 1, got " + std::to_string(share));
  }
  events_->share = share;
  events_->on = share > 0.0;
  events_->sampler.seed = options_.seed;
  events_->sampler.threshold = probability_threshold(share);
}

double Simulation::event_share() const noexcept { return events_->share; }

std::vector<Event> Simulation::take_events() {
  std::vector<Event> out;
  out.swap(events_->pending);
  return out;
}

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
  if (broken_day_ != 0) {
    throw UsageError("this run was stopped in the middle of day " + std::to_string(broken_day_) +
                     " and its state is incomplete; start it again (or resume its last checkpoint)");
  }
  if (days < 0 || days > horizon() - day_) {
    throw UsageError("cannot advance " + std::to_string(days) + " days: day " +
                     std::to_string(day_) + " of a " + std::to_string(horizon()) + "-day horizon");
  }
  for (int k = 0; k < days; ++k) {
    if (stop_requested()) {
      throw Interrupted("the run was stopped at the end of day " + std::to_string(day_));
    }
    step();
  }
}

void Simulation::check_invariants() { run_checks(false); }

void Simulation::run_checks(bool incremental) {
  const auto n = agents_.size();
  const auto chunk = static_cast<std::size_t>(options_.chunk_size);
  auto& checks = *checks_;
  if (checks.segment_offsets.empty()) checks.segment_offsets = detail::segment_offsets(spec_);
  detail::InvariantInputs in;
  in.day = day_;
  in.spec = &spec_;
  in.agents = &agents_;
  in.segment_offsets = &checks.segment_offsets;
  in.kpis = &kpis_;
  in.campaigns = &campaign_kpis_;
  in.buckets = &buckets_;
  in.tiers = &tier_kpis_;
  in.tier_count = tiers();
  in.plans = &campaigns_->plans;
  in.states = &campaigns_->states;
  checks.chunks.resize(chunk_count(n, options_.chunk_size));
  for (auto& c : checks.chunks) c.reset(spec_.segments.size());
  parallel_->for_each_chunk(n, chunk, [&](std::size_t c, std::size_t begin, std::size_t end) {
    detail::check_agents(in, begin, end, checks.chunks[c]);
  });
  if (stop_requested()) throw Interrupted("the run was stopped while checking day " + std::to_string(day_));
  checks.checker.check(in, checks.chunks, incremental);
}

void Simulation::step() {
  if (model_) {
    step_model();
    return;
  }
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
  // The day's state counts start from yesterday's; moves change them.
  detail::carry_state_counts(kpis_, tier_kpis_, day_, camp.chunks.front());
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
    parallel_->for_each_chunk(agents_.size(), chunk,
                              [&](std::size_t c, std::size_t begin, std::size_t end) {
                                auto& lists = camp.chunks[c].candidates;
                                lists.assign(running.size(), {});
                                detail::target_agents(target, agents_, begin, end, lists,
                                                      camp.chunks[c].campaigns);
                              });
    // Targeting only reads the agents: stopped here, the run is still whole.
    if (stop_requested()) throw Interrupted("the run was stopped at the end of day " + std::to_string(day_));
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
    contact.chunk_size = chunk;
    contact.for_each_chunk = [this](std::size_t n, std::size_t size, const detail::ChunkBody& body) {
      parallel_->for_each_chunk(n, size, body);
    };
    std::vector<detail::CampaignDayTallies> tallies;
    tallies.reserve(camp.chunks.size());
    for (auto& t : camp.chunks) tallies.push_back({t.segments, t.campaigns, t.tiers});
    events_->day_campaign.clear();
    contact.events = events_->on ? &events_->sampler : nullptr;
    detail::select_and_contact(contact, camp.plans, running, candidates, camp.states, agents_,
                               tallies, &events_->day_campaign);
    // Contacts change agents in parallel: stopped during them, the day is half done.
    if (stop_requested()) {
      broken_day_ = today;
      throw Interrupted("the run was stopped in the middle of day " + std::to_string(today));
    }
    if (events_->on) {
      events_->pending.insert(events_->pending.end(), events_->day_campaign.begin(),
                              events_->day_campaign.end());
    }
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
  ctx.events = events_->on ? &events_->sampler : nullptr;
  const detail::DayScreen screen =
      options_.screen ? detail::make_day_screen(rates_, spec_.lifecycle, camp.plans, acquisition_threshold,
                                                today, horizon())
                      : detail::DayScreen::everyone(rates_.size());
  ctx.screen = &screen;
  parallel_->for_each_chunk(agents_.size(), chunk,
                            [&](std::size_t c, std::size_t begin, std::size_t end) {
                              detail::lifecycle_pass(ctx, agents_, begin, end, camp.chunks[c]);
                            });
  if (stop_requested()) {
    broken_day_ = today;
    throw Interrupted("the run was stopped in the middle of day " + std::to_string(today));
  }
  if (events_->on) {
    // Chunk order is agent order: the same log for any thread count.
    for (const auto& tally : camp.chunks) {
      events_->pending.insert(events_->pending.end(), tally.events.begin(), tally.events.end());
    }
  }

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
  if (options_.checks) run_checks(true);
}

void Simulation::step_model() {
  // One pass of the btyd or sbg model over fixed chunks, then the same
  // reduction in chunk order as the lifecycle model.
  const int today = day_ + 1;
  auto& camp = *campaigns_;
  for (auto& tally : camp.chunks) tally.clear();
  auto& plan = model_->plan;
  const bool idle = detail::model_day_idle(plan, today);
  if (idle) {
    detail::carry_state_counts(kpis_, tier_kpis_, day_, camp.chunks.front());
  } else {
    plan.events = events_->on ? &events_->sampler : nullptr;
    const auto pass = plan.kind == ModelKind::btyd ? detail::btyd_pass : detail::sbg_pass;
    parallel_->for_each_chunk(agents_.size(), static_cast<std::size_t>(options_.chunk_size),
                              [&](std::size_t c, std::size_t begin, std::size_t end) {
                                pass(plan, today, agents_, begin, end, camp.chunks[c]);
                              });
    if (events_->on) {
      for (const auto& tally : camp.chunks) {
        events_->pending.insert(events_->pending.end(), tally.events.begin(), tally.events.end());
      }
    }
  }
  reduce_chunks(today);
  day_ = today;
  // Checked like a lifecycle day (until now model runs were checked only at
  // the start, so an overflowing spend went unseen), except on idle sBG
  // days: they change no agent and copy yesterday's counts, and checking
  // all of them would make a 12-year contract run 20 times slower.
  if (options_.checks && !idle) run_checks(true);
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
