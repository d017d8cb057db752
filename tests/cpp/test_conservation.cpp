// The market is closed: every person is in exactly one state on every day,
// and the day's flows explain the change in state counts.
#include <catch2/catch.hpp>

#include "crmsim/simulation.hpp"
#include "test_support.hpp"

using crmsim::Kpi;

TEST_CASE("states sum to the market size on every day, per segment", "[conservation]") {
  const auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(150));
  crmsim::Simulation sim(spec, {.seed = 11, .threads = 2});
  sim.run_to_end();
  const auto& k = sim.kpis();
  for (int day = 0; day <= sim.day(); ++day) {
    for (int s = 0; s < 2; ++s) {
      std::int64_t people = 0;
      for (int st = 0; st < crmsim::state_count; ++st) {
        const auto v = k.at(day, s, static_cast<Kpi>(st));
        REQUIRE(v >= 0);
        people += v;
      }
      REQUIRE(people == spec.segments[static_cast<std::size_t>(s)].market_size);
    }
  }
}

TEST_CASE("flows explain the change in each state count", "[conservation]") {
  const auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(90));
  crmsim::Simulation sim(spec, {.seed = 5, .threads = 2});
  sim.run_to_end();
  const auto& k = sim.kpis();
  for (int day = 1; day <= sim.day(); ++day) {
    for (int s = 0; s < 2; ++s) {
      auto d = [&](Kpi st) { return k.at(day, s, st) - k.at(day - 1, s, st); };
      auto f = [&](Kpi flow) { return k.at(day, s, flow); };
      const auto direct = f(Kpi::acquisitions) - f(Kpi::lead_conversions);
      REQUIRE(d(Kpi::prospect) == f(Kpi::lead_expiries) + f(Kpi::returns_to_market) -
                                      f(Kpi::enquiries) - direct);
      REQUIRE(d(Kpi::lead) == f(Kpi::enquiries) - f(Kpi::lead_conversions) - f(Kpi::lead_expiries));
      REQUIRE(d(Kpi::lapsed) ==
              f(Kpi::defections) - f(Kpi::returns_to_market) - f(Kpi::win_backs));
      const auto customers = [&](int at) {
        return k.at(at, s, Kpi::new_customer) + k.at(at, s, Kpi::active) +
               k.at(at, s, Kpi::developed) + k.at(at, s, Kpi::at_risk);
      };
      REQUIRE(customers(day) - customers(day - 1) ==
              f(Kpi::acquisitions) + f(Kpi::win_backs) - f(Kpi::defections));
      REQUIRE(f(Kpi::revenue_cents) >= 0);
    }
  }
  // Every path was exercised, so the identities above were really tested.
  for (Kpi flow : {Kpi::enquiries, Kpi::lead_conversions, Kpi::lead_expiries, Kpi::welcomed,
                   Kpi::developments, Kpi::problems, Kpi::recoveries, Kpi::defections,
                   Kpi::returns_to_market, Kpi::purchases, Kpi::win_backs,
                   Kpi::campaign_acquisitions}) {
    std::int64_t total = 0;
    for (int day = 1; day <= sim.day(); ++day) total += k.total(day, flow);
    CHECK(total > 0);
  }
}
