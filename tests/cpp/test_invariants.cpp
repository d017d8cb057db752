// The invariant checks: a clean run passes them every day, and each kind of
// corruption, made on purpose through a test-only door into the
// Simulation, is caught with a message that names the day, the segment or
// campaign, the invariant and the values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/hdf5_output.hpp"
#include "crmsim/limits.hpp"
#include "crmsim/simulation.hpp"
#include "test_hdf5_support.hpp"
#include "test_support.hpp"

namespace crmsim::detail {

/// The test-only door (a friend of Simulation): mutable access to state
/// that the public API only hands out read-only.
struct SimulationTestAccess {
  static AgentArrays& agents(Simulation& s) { return s.agents_; }
  static KpiTable& kpis(Simulation& s) { return s.kpis_; }
  static DailyTable<std::int64_t>& campaign_kpis(Simulation& s) { return s.campaign_kpis_; }
  static DailyTable<std::int64_t>& tier_kpis(Simulation& s) { return s.tier_kpis_; }
  static Tally<std::int64_t>& buckets(Simulation& s) { return s.buckets_; }
};

}  // namespace crmsim::detail

using crmsim::InvariantError;
using crmsim::Kpi;
using crmsim::Simulation;
using crmsim::State;
using Access = crmsim::detail::SimulationTestAccess;
using Catch::Matchers::Contains;
namespace test = crmsim::test;

namespace {

crmsim::ScenarioSpec scenario(int days = 60) { return test::with_campaigns(test::busy_scenario(days)); }

/// The value of (day, group, column) of a table, writable.
template <class E>
std::int64_t& cell(crmsim::DailyTable<std::int64_t>& t, int day, int group, E column) {
  return t.mutable_data()[(static_cast<std::size_t>(day) * static_cast<std::size_t>(t.groups()) +
                           static_cast<std::size_t>(group)) * static_cast<std::size_t>(t.columns()) +
                          static_cast<std::size_t>(crmsim::column(column))];
}

/// The first agent in `state`.
std::size_t first_in(const Simulation& sim, State state) {
  const auto& a = sim.agents();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.state[i] == state) return i;
  }
  FAIL("no agent in the state asked for");
  return 0;
}

int campaign_index(const Simulation& sim, const std::string& name) {
  const auto& c = sim.scenario().campaigns;
  for (std::size_t k = 0; k < c.size(); ++k) {
    if (c[k].name == name) return static_cast<int>(k);
  }
  FAIL("no campaign " << name);
  return -1;
}

/// The message of the InvariantError that check_invariants() throws.
std::string violation(Simulation& sim) {
  try {
    sim.check_invariants();
  } catch (const InvariantError& e) {
    return e.what();
  }
  FAIL("check_invariants() did not throw");
  return "";
}

}  // namespace

TEST_CASE("a clean run passes every invariant on every day, for any thread count", "[invariants]") {
  const int threads = GENERATE(1, 3);
  Simulation sim(scenario(120), {.seed = 11, .threads = threads, .chunk_size = 4096, .checks = true});
  CHECK(sim.checks());
  REQUIRE_NOTHROW(sim.run_to_end());
  REQUIRE_NOTHROW(sim.check_invariants());
  // The run had something to check: campaigns contacted people and were measured.
  const auto& t = sim.campaign_kpis();
  std::int64_t contacted = 0, measured = 0;
  for (int d = 0; d <= sim.day(); ++d) {
    for (int c = 0; c < t.groups(); ++c) {
      contacted += t.at(d, c, crmsim::CampaignKpi::contacted);
      measured += t.at(d, c, crmsim::CampaignKpi::treated_measured);
    }
  }
  CHECK(contacted > 1000);
  CHECK(measured > 100);
}

TEST_CASE("each kind of corruption is caught and named", "[invariants]") {
  Simulation sim(scenario(), {.seed = 3, .threads = 2, .checks = false});
  sim.advance(40);
  const int day = sim.day();
  REQUIRE_NOTHROW(sim.check_invariants());
  auto& kpis = Access::kpis(sim);
  auto& camp = Access::campaign_kpis(sim);
  auto& agents = Access::agents(sim);
  const std::string today = "at the end of day " + std::to_string(day);

  SECTION("a state count that no longer adds up to the market") {
    cell(kpis, day, 1, Kpi::prospect) += 1;
    const auto message = violation(sim);
    CHECK_THAT(message, Contains("'closed market'") && Contains(today) && Contains("segment 'families'"));
  }
  SECTION("a negative count") {
    cell(kpis, day, 0, Kpi::revenue_cents) = -5;
    CHECK_THAT(violation(sim), Contains("'no negative counts'") && Contains("'revenue_cents' is -5") &&
                                   Contains("segment 'young'"));
  }
  SECTION("a flow that does not match the change in states") {
    cell(kpis, day, 0, Kpi::defections) += 2;
    CHECK_THAT(violation(sim), Contains("'flow balance'") && Contains("customers changed by"));
  }
  SECTION("an agent in a state that does not exist") {
    const auto i = first_in(sim, State::active);
    agents.state[i] = static_cast<State>(9);
    CHECK_THAT(violation(sim), Contains("'agent columns in range'") &&
                                   Contains("agent " + crmsim::format_count(static_cast<std::int64_t>(i))) &&
                                   Contains("its state is 9"));
  }
  SECTION("a prospect holding a product") {
    agents.products[first_in(sim, State::prospect)] = 1;
    CHECK_THAT(violation(sim), Contains("holds 1 products in state 'prospect'"));
  }
  SECTION("a developed customer with one product") {
    agents.products[first_in(sim, State::developed)] = 1;
    CHECK_THAT(violation(sim), Contains("holds 1 products in state 'developed'"));
  }
  SECTION("revenue that the daily table does not know of") {
    agents.revenue_cents[first_in(sim, State::active)] += 1;
    CHECK_THAT(violation(sim), Contains("'revenue'") && Contains("lifetime revenue"));
  }
  SECTION("more contacts than a campaign's daily cap") {
    const int back = campaign_index(sim, "back");  // max_contacts_per_day 40
    for (auto k : {crmsim::CampaignKpi::eligible, crmsim::CampaignKpi::selected, crmsim::CampaignKpi::contacted}) {
      cell(camp, day, back, k) = 41 + (k == crmsim::CampaignKpi::eligible ? cell(camp, day, back,
                                                                                   crmsim::CampaignKpi::held_out)
                                                                             : 0);
    }
    CHECK_THAT(violation(sim), Contains("'daily cap'") && Contains("campaign 'back'") &&
                                   Contains("41 contacts, max_contacts_per_day is 40"));
  }
  SECTION("more contacts on a channel than its capacity") {
    const int fix = campaign_index(sim, "fix");  // outbound calls, 150 a day, no cap of its own
    for (auto k : {crmsim::CampaignKpi::eligible, crmsim::CampaignKpi::selected, crmsim::CampaignKpi::contacted}) {
      cell(camp, day, fix, k) += 151;
    }
    CHECK_THAT(violation(sim), Contains("'channel capacity'") && Contains("channel 'call'") &&
                                   Contains("capacity_per_day is 150"));
  }
  SECTION("contacts that were never selected") {
    const int welcome = campaign_index(sim, "welcome");
    cell(camp, day, welcome, crmsim::CampaignKpi::contacted) =
        cell(camp, day, welcome, crmsim::CampaignKpi::selected) + 1;
    CHECK_THAT(violation(sim), Contains("'campaign funnel'") && Contains("campaign 'welcome'"));
  }
  SECTION("a cost the budget does not know of") {
    const int acquire = campaign_index(sim, "acquire");
    cell(camp, day, acquire, crmsim::CampaignKpi::contact_cost_micros) += 1;
    // The segment table still has the old cost, the campaign table the new one.
    CHECK_THAT(violation(sim), Contains("'budget'") && Contains("campaign 'acquire'"));
  }
  SECTION("measurement buckets that do not add up to the campaign table") {
    auto& buckets = Access::buckets(sim);
    std::vector<std::int64_t> values = buckets.values();
    values[0] += 1;  // campaign 0, treated, bucket 0, measured
    buckets.assign(values);
    CHECK_THAT(violation(sim), Contains("'measurement conservation'") && Contains("campaign 'acquire'"));
  }
  SECTION("value tiers that do not add up to the segment") {
    cell(Access::tier_kpis(sim), day, 0, crmsim::TierKpi::customers) += 1;
    CHECK_THAT(violation(sim), Contains("value tiers add up to"));
  }
}

TEST_CASE("a budget overspent in a saved state is caught when the run is restored", "[invariants]") {
  test::ScratchFolder dir;
  const std::string path = dir.file("run.ckpt.h5");
  {
    Simulation first(scenario(), {.seed = 8, .threads = 1, .checks = false});
    first.advance(30);
    crmsim::write_checkpoint(path, first, {});
  }
  auto saved = crmsim::read_checkpoint(path);
  const auto spec = scenario();
  saved.state.campaign_spent_micros[3] = 3'000'000'001;  // "keep": budget 3,000.00
  try {
    Simulation restored(spec, {.seed = 8, .threads = 1, .checks = true}, std::move(saved.state));
    FAIL("an overspent budget was restored");
  } catch (const InvariantError& e) {
    CHECK_THAT(e.what(), Contains("'budget'") && Contains("campaign 'keep'") &&
                             Contains("spent 3,000,000,001 micros, the budget is 3,000,000,000 micros"));
  }
}

TEST_CASE("with checks on, advance() stops on the first day an invariant breaks", "[invariants]") {
  const bool checks = GENERATE(true, false);
  Simulation sim(scenario(), {.seed = 4, .threads = 2, .checks = checks});
  sim.advance(10);
  // A negative revenue on a prospect: the engine never touches it, so it
  // stays broken, and nothing in the engine reads it, so it is safe to run on.
  Access::agents(sim).revenue_cents[first_in(sim, State::prospect)] = -100;
  if (checks) {
    CHECK_THROWS_WITH(sim.advance(5), Contains("at the end of day 11") && Contains("revenue is negative"));
  } else {
    CHECK_NOTHROW(sim.advance(5));
    CHECK_THROWS_AS(sim.check_invariants(), InvariantError);
  }
}

TEST_CASE("btyd and sbg runs are checked every day that changes an agent", "[invariants][models]") {
  // Until this test, model runs were checked only when they started: an
  // overflowing Gamma-Gamma spend (found by probing extreme parameters)
  // left negative revenue that no check saw.
  crmsim::ScenarioSpec spec;
  spec.name = "model checks";
  spec.days = 60;
  crmsim::SegmentSpec s;
  s.name = "shop";
  s.market_size = 2000;
  s.initial.active = 2000;
  SECTION("btyd: every day") {
    spec.model = {crmsim::ModelKind::btyd, 7};
    s.btyd = {0.9, 3.0, 0.8, 2.4, 1.0, false, {}};
    spec.segments = {s};
    Simulation sim(spec, {.seed = 4, .threads = 2, .checks = true});
    sim.advance(10);
    Access::agents(sim).revenue_cents[0] = -(std::int64_t{1} << 40);
    CHECK_THROWS_WITH(sim.advance(5), Contains("at the end of day 11") && Contains("revenue is negative"));
  }
  SECTION("sbg: the days on which contracts renew (the others change nobody)") {
    spec.model = {crmsim::ModelKind::sbg, 30};
    s.sbg = {0.704, 1.182, 0.0, 1.0, 12.5};
    spec.segments = {s};
    Simulation sim(spec, {.seed = 4, .threads = 2, .checks = true});
    sim.advance(10);
    Access::agents(sim).revenue_cents[0] = -(std::int64_t{1} << 40);
    CHECK_THROWS_WITH(sim.advance(30), Contains("at the end of day 30") && Contains("revenue is negative"));
  }
}

TEST_CASE("the environment variable CRMSIM_CHECKS switches the default", "[invariants]") {
  const char* before = std::getenv("CRMSIM_CHECKS");
  const std::string saved = before ? before : "";
  ::setenv("CRMSIM_CHECKS", "1", 1);
  CHECK(crmsim::checks_by_default());
  CHECK(crmsim::RunOptions{}.checks);
  ::setenv("CRMSIM_CHECKS", "0", 1);
  CHECK_FALSE(crmsim::checks_by_default());
  CHECK_FALSE(crmsim::RunOptions{}.checks);
  if (before) {
    ::setenv("CRMSIM_CHECKS", saved.c_str(), 1);
  } else {
    ::unsetenv("CRMSIM_CHECKS");
  }
}

TEST_CASE("a measurement window's revenue past 32 bits saturates instead of wrapping", "[invariants]") {
  // Found by fuzzing the scenario loader: the largest spend the schema
  // allows, bought ten times a day, passes 2^31 cents within days; the
  // invariant checks caught the wrapped, negative window revenue.
  auto spec = scenario(40);
  for (auto& s : spec.segments) {
    s.purchases.per_year = 3650.0;
    s.purchases.spend_mean = 1e6;
  }
  for (auto& c : spec.campaigns) c.measurement_days = 3650;
  Simulation sim(spec, {.seed = 6, .threads = 2, .checks = true});
  REQUIRE_NOTHROW(sim.run_to_end());
  std::int32_t largest = 0;
  for (auto v : sim.agents().window_revenue_cents) largest = std::max(largest, v);
  CHECK(largest == std::numeric_limits<std::int32_t>::max());
}

TEST_CASE("a restored state is checked whole even with checks off", "[invariants]") {
  // A day far in the past would overflow the engine's day arithmetic once
  // the run went on; the restore refuses it whatever the checks setting.
  test::ScratchFolder dir;
  const std::string path = dir.file("run.ckpt.h5");
  {
    Simulation first(scenario(), {.seed = 8, .threads = 1});
    first.advance(12);
    crmsim::write_checkpoint(path, first, {});
  }
  auto saved = crmsim::read_checkpoint(path);
  saved.state.agents.state_since[5] = std::numeric_limits<std::int32_t>::min();
  CHECK_THROWS_WITH(Simulation(scenario(), {.seed = 8, .threads = 1, .checks = false}, std::move(saved.state)),
                    Contains("agent 5") && Contains("lies outside the run") &&
                        Contains("state_since -2147483648"));
}
