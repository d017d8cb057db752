// The btyd and sbg models: determinism for any thread count and chunk size,
// entries, renewal days, conservation of people, and the engine's own guard
// on their fields.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "crmsim/errors.hpp"
#include "crmsim/simulation.hpp"

namespace {

using crmsim::Kpi;
using crmsim::ModelKind;
using crmsim::ScenarioSpec;
using crmsim::SegmentSpec;

ScenarioSpec btyd_scenario(int days = 90) {
  ScenarioSpec spec;
  spec.name = "btyd";
  spec.days = days;
  spec.model = {ModelKind::btyd, 7};
  SegmentSpec s;
  s.name = "shop";
  s.market_size = 30011;  // not a multiple of any chunk size used here
  s.initial.active = 20000;
  s.entries = {{5, 3000}, {33, 6000}};
  s.btyd = {0.9, 3.0, 0.8, 2.4, 1.0, true, {6.25, 3.74, 15.44}};
  SegmentSpec t = s;
  t.name = "casual";
  t.market_size = 9001;
  t.initial.active = 9001;
  t.entries = {};
  t.btyd = {0.243, 4.414, 0.793, 2.426, 1.0, false, {}};
  spec.segments = {s, t};
  return spec;
}

ScenarioSpec sbg_scenario(int days = 400) {
  ScenarioSpec spec;
  spec.name = "sbg";
  spec.days = days;
  spec.model = {ModelKind::sbg, 30};
  SegmentSpec s;
  s.name = "contracts";
  s.market_size = 25013;
  s.initial.active = 20000;
  s.entries = {{17, 5000}};
  s.sbg = {0.704, 1.182, 0.0, 1.0, 12.5};
  SegmentSpec t = s;
  t.name = "steady";
  t.market_size = 7001;
  t.initial.active = 7001;
  t.entries = {};
  t.sbg = {0.0, 0.0, 0.05, 1.0, 9.0};
  spec.segments = {s, t};
  return spec;
}

struct Outcome {
  std::vector<std::int64_t> kpis;
  std::vector<std::int64_t> revenue;
  std::vector<crmsim::State> states;
  std::vector<float> traits;
};

Outcome run(const ScenarioSpec& spec, std::uint64_t seed, int threads, std::int64_t chunk) {
  crmsim::Simulation sim(spec, {.seed = seed, .threads = threads, .chunk_size = chunk});
  sim.run_to_end();
  const auto& k = sim.kpis();
  Outcome o;
  o.kpis.assign(k.data(), k.data() + static_cast<std::size_t>(k.rows() * k.groups() * k.columns()));
  const auto& t = sim.tier_kpis();
  o.kpis.insert(o.kpis.end(), t.data(),
                t.data() + static_cast<std::size_t>(t.rows() * t.groups() * t.columns()));
  o.revenue = sim.agents().revenue_cents;
  o.states = sim.agents().state;
  o.traits = sim.agents().churn_hazard;
  o.traits.insert(o.traits.end(), sim.agents().purchase_rate.begin(),
                  sim.agents().purchase_rate.end());
  return o;
}

bool same(const Outcome& a, const Outcome& b) {
  return a.kpis == b.kpis && a.revenue == b.revenue && a.states == b.states &&
         a.traits.size() == b.traits.size() &&
         std::memcmp(a.traits.data(), b.traits.data(), a.traits.size() * sizeof(float)) == 0;
}

std::int64_t at(const crmsim::Simulation& sim, int day, int seg, Kpi k) {
  return sim.kpis().at(day, seg, k);
}

}  // namespace

TEST_CASE("btyd and sbg: threads 1, 2 and 8 and any chunk size give bit-identical runs",
          "[models][determinism]") {
  for (const auto& spec : {btyd_scenario(), sbg_scenario()}) {
    const auto one = run(spec, 42, 1, 16384);
    CHECK(same(one, run(spec, 42, 2, 16384)));
    CHECK(same(one, run(spec, 42, 8, 16384)));
    CHECK(same(one, run(spec, 42, 3, 777)));
    CHECK(same(one, run(spec, 42, 2, 1)));
    CHECK_FALSE(same(one, run(spec, 43, 2, 16384)));
  }
}

TEST_CASE("btyd: entries arrive on their day and people are conserved", "[models][btyd]") {
  crmsim::Simulation sim(btyd_scenario(), {.seed = 3, .threads = 2});
  sim.run_to_end();
  CHECK(at(sim, 0, 0, Kpi::active) == 20000);
  CHECK(at(sim, 4, 0, Kpi::prospect) == 10011);
  CHECK(at(sim, 5, 0, Kpi::acquisitions) == 3000);
  CHECK(at(sim, 33, 0, Kpi::acquisitions) == 6000);
  CHECK(at(sim, 90, 0, Kpi::prospect) == 1011);  // never enter
  std::int64_t revenue_casual = 0;
  for (int day = 0; day <= 90; ++day) {
    for (int seg = 0; seg < 2; ++seg) {
      CHECK(at(sim, day, seg, Kpi::prospect) + at(sim, day, seg, Kpi::active) +
                at(sim, day, seg, Kpi::lapsed) ==
            (seg == 0 ? 30011 : 9001));
      if (day > 0) {
        CHECK(at(sim, day, seg, Kpi::active) - at(sim, day - 1, seg, Kpi::active) ==
              at(sim, day, seg, Kpi::acquisitions) - at(sim, day, seg, Kpi::defections));
      }
    }
    revenue_casual += at(sim, day, 1, Kpi::revenue_cents);
  }
  CHECK(revenue_casual == 0);  // no spend model
  CHECK(sim.kpis().total(90, Kpi::lapsed) > 0);
}

TEST_CASE("sbg: renewals and churn only on anniversaries, fees on every paid period",
          "[models][sbg]") {
  crmsim::Simulation sim(sbg_scenario(), {.seed = 5, .threads = 2});
  sim.run_to_end();
  for (int day = 1; day <= 400; ++day) {
    const bool renewal = day % 30 == 0 || (day >= 17 && (day - 17) % 30 == 0);
    const auto moves = at(sim, day, 0, Kpi::purchases) + at(sim, day, 0, Kpi::defections);
    if (!renewal) CHECK(moves == 0);
    CHECK(at(sim, day, 0, Kpi::revenue_cents) == 1250 * at(sim, day, 0, Kpi::purchases));
    // Idle days carry the states over.
    if (!renewal) CHECK(at(sim, day, 0, Kpi::active) == at(sim, day - 1, 0, Kpi::active));
  }
  CHECK(at(sim, 17, 0, Kpi::acquisitions) == 5000);
  CHECK(at(sim, 30, 0, Kpi::purchases) + at(sim, 30, 0, Kpi::defections) == 20000);
}

TEST_CASE("the engine refuses bad model fields, naming them", "[models][scenario]") {
  auto check = [](ScenarioSpec spec, const char* field) {
    try {
      crmsim::validate(spec);
      FAIL("no error for " << field);
    } catch (const crmsim::ScenarioError& e) {
      CHECK(e.field() == field);
    }
  };
  auto spec = btyd_scenario();
  spec.segments[0].btyd.r = 0.0;
  check(spec, "segments[0].btyd.r");
  spec = btyd_scenario();
  spec.segments[0].entries[1].day = 0;
  check(spec, "segments[0].entries[1].day");
  spec = btyd_scenario();
  spec.segments[0].market_size = 25000;  // 20000 active + 9000 entering
  check(spec, "segments[0].entries");
  spec = btyd_scenario();
  spec.segments[0].initial.lapsed = 1;
  check(spec, "segments[0].initial");
  spec = btyd_scenario();
  spec.model.period_days = 0;
  check(spec, "model.period_days");
  spec = sbg_scenario();
  spec.segments[1].sbg.churn = 1.5;
  check(spec, "segments[1].sbg.churn");
  spec = sbg_scenario();
  spec.segments[0].sbg.beta = 0.0;
  check(spec, "segments[0].sbg.beta");
  spec = sbg_scenario();
  spec.model.kind = ModelKind::lifecycle;
  check(spec, "segments[0].entries");
  spec = sbg_scenario();
  spec.value_tiers = {{"all", 0.0}};
  check(spec, "value_tiers");
}
