// State-machine rules of the lifecycle, each isolated by switching the
// other hazards off, and the rates they produce against their parameters.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "crmsim/simulation.hpp"

using crmsim::Kpi;
using crmsim::State;

namespace {

/// One segment with every hazard off; tests switch on what they examine.
crmsim::ScenarioSpec quiet_scenario(std::int64_t market, int days) {
  crmsim::ScenarioSpec spec;
  spec.name = "quiet";
  spec.days = days;
  crmsim::SegmentSpec s;
  s.name = "only";
  s.market_size = market;
  s.acquisition = {0.0, 0.0, 0.0, 0.5};
  s.churn = {0.0, 0.0, 1.0, 1.0, 1.0};
  s.purchases = {0.0, 2.0, 0.0, 4.0};
  s.development = {0.0, 1.5};
  s.problems = {0.0, 30.0};
  spec.segments = {s};
  return spec;
}

std::int64_t total_flow(const crmsim::Simulation& sim, Kpi flow) {
  std::int64_t sum = 0;
  for (int day = 1; day <= sim.day(); ++day) sum += sim.kpis().total(day, flow);
  return sum;
}

}  // namespace

TEST_CASE("new customers become active exactly when the welcome period ends", "[lifecycle]") {
  auto spec = quiet_scenario(5000, 40);
  spec.lifecycle.welcome_days = 30;
  spec.segments[0].initial.new_customer = 5000;
  crmsim::Simulation sim(spec, {.seed = 1, .threads = 2});
  const auto& a = sim.agents();
  std::vector<std::int32_t> acquired(a.acquired_day.begin(), a.acquired_day.end());
  sim.advance(29);
  CHECK(sim.kpis().total(29, Kpi::new_customer) > 0);  // the most recent are still new
  sim.advance(11);
  CHECK(sim.kpis().total(40, Kpi::active) == 5000);
  CHECK(total_flow(sim, Kpi::welcomed) == 5000);
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a.state_since[i] - acquired[i] == 30);
  }
}

TEST_CASE("leads that do not convert return to the market after the window", "[lifecycle]") {
  auto spec = quiet_scenario(3000, 20);
  spec.lifecycle.enquiry_window_days = 7;
  spec.segments[0].initial.lead = 3000;
  spec.segments[0].acquisition.enquiry_conversion = 0.0;
  crmsim::Simulation sim(spec, {.seed = 2, .threads = 2});
  sim.advance(20);
  CHECK(sim.kpis().total(20, Kpi::lead) == 0);
  CHECK(total_flow(sim, Kpi::lead_expiries) == 3000);
  CHECK(total_flow(sim, Kpi::acquisitions) == 0);
}

TEST_CASE("leads convert with the enquiry conversion probability", "[lifecycle]") {
  auto spec = quiet_scenario(40000, 30);
  spec.lifecycle.enquiry_window_days = 10;
  spec.segments[0].initial.lead = 40000;
  spec.segments[0].acquisition.enquiry_conversion = 0.4;
  crmsim::Simulation sim(spec, {.seed = 3, .threads = 2});
  sim.run_to_end();
  // Initial leads are part-way through their window, so fewer than 40%
  // convert; a lead opened k days ago has 10 - k days left of the
  // same hazard: expected share = mean over k of 1 - 0.6^((10 - k)/10).
  double expected = 0.0;
  for (int k = 0; k < 10; ++k) expected += 1.0 - std::pow(0.6, (10.0 - k) / 10.0);
  expected /= 10.0;
  const double share = static_cast<double>(total_flow(sim, Kpi::lead_conversions)) / 40000.0;
  const double se = std::sqrt(expected * (1 - expected) / 40000.0);
  CHECK(std::abs(share - expected) < 5 * se);
}

TEST_CASE("lapsed people return to the prospect pool after the win-back window", "[lifecycle]") {
  auto spec = quiet_scenario(2000, 12);
  spec.lifecycle.winback_window_days = 10;
  spec.segments[0].initial.lapsed = 2000;
  crmsim::Simulation sim(spec, {.seed = 4, .threads = 1});
  sim.run_to_end();
  CHECK(sim.kpis().total(12, Kpi::prospect) == 2000);
  CHECK(total_flow(sim, Kpi::returns_to_market) == 2000);
}

TEST_CASE("annual churn rate is honoured on average", "[lifecycle]") {
  for (double polarization : {0.0, 0.4}) {
    auto spec = quiet_scenario(100000, 365);
    spec.segments[0].initial.active = 100000;
    spec.segments[0].churn.annual_rate = 0.3;
    spec.segments[0].churn.polarization = polarization;
    crmsim::Simulation sim(spec, {.seed = 5, .threads = 2});
    sim.run_to_end();
    const double lost = static_cast<double>(total_flow(sim, Kpi::defections)) / 100000.0;
    // Binomial standard error of a share near 0.3 with n = 100,000 is 0.0014;
    // heterogeneity adds the spread of the Beta mean over 100,000 draws (< 0.001).
    CHECK(std::abs(lost - 0.3) < 0.01);
  }
}

TEST_CASE("purchases and spend follow their per-year parameters", "[lifecycle]") {
  auto spec = quiet_scenario(50000, 365);
  spec.segments[0].initial.active = 50000;
  spec.segments[0].purchases = {12.0, 2.0, 20.0, 4.0};
  crmsim::Simulation sim(spec, {.seed = 6, .threads = 2});
  sim.run_to_end();
  const double purchases = static_cast<double>(total_flow(sim, Kpi::purchases)) / 50000.0;
  const double revenue = static_cast<double>(total_flow(sim, Kpi::revenue_cents)) / 100.0;
  // Rate heterogeneity Gamma(2): per-customer count variance 12 + 12^2/2 = 84,
  // so the mean over 50,000 has standard error 0.041.
  CHECK(std::abs(purchases - 12.0) < 0.25);
  CHECK(std::abs(revenue / (purchases * 50000.0) - 20.0) < 0.2);
  // Lifetime revenue per agent adds up to the KPI revenue, to the cent.
  const auto& cents = sim.agents().revenue_cents;
  CHECK(std::accumulate(cents.begin(), cents.end(), std::int64_t{0}) ==
        total_flow(sim, Kpi::revenue_cents));
}

TEST_CASE("customers hold products, others none", "[lifecycle]") {
  auto spec = quiet_scenario(20000, 200);
  auto& s = spec.segments[0];
  s.initial = {100, 500, 8000, 1000, 200, 300};
  s.acquisition = {0.3, 1.0, 0.3, 0.5};
  s.churn.annual_rate = 0.5;
  s.development.per_year = 1.0;
  s.problems.per_year = 1.0;
  crmsim::Simulation sim(spec, {.seed = 7, .threads = 2});
  sim.run_to_end();
  const auto& a = sim.agents();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const State st = a.state[i];
    if (st == State::developed) {
      REQUIRE(a.products[i] >= 2);
    } else if (crmsim::is_customer(st)) {
      REQUIRE(a.products[i] >= 1);
    } else {
      REQUIRE(a.products[i] == 0);
    }
    REQUIRE(a.state_since[i] <= sim.day());
  }
  CHECK(total_flow(sim, Kpi::developments) > 0);
  CHECK(total_flow(sim, Kpi::recoveries) > 0);
}

TEST_CASE("no innovation and no imitation means no organic acquisition", "[lifecycle]") {
  auto spec = quiet_scenario(10000, 100);
  spec.segments[0].initial.active = 5000;
  spec.segments[0].churn.annual_rate = 0.2;
  crmsim::Simulation sim(spec, {.seed = 8, .threads = 2});
  sim.run_to_end();
  CHECK(total_flow(sim, Kpi::acquisitions) == 0);
  CHECK(total_flow(sim, Kpi::enquiries) == 0);
  CHECK(total_flow(sim, Kpi::defections) > 0);
}

TEST_CASE("well-mixed Bass diffusion follows the closed form", "[lifecycle][validation]") {
  // No churn, no enquiries: the adopted share F(t) should follow
  // F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), t in years.
  const double p = 0.03;
  const double q = 0.38;
  auto spec = quiet_scenario(200000, 365 * 8);
  spec.segments[0].acquisition = {p, q, 0.0, 0.5};
  crmsim::Simulation sim(spec, {.seed = 9, .threads = 2});
  sim.run_to_end();
  for (int year = 1; year <= 8; ++year) {
    const double t = year;
    const double e = std::exp(-(p + q) * t);
    const double closed = (1 - e) / (1 + (q / p) * e);
    const auto& k = sim.kpis();
    const double share = static_cast<double>(k.total(year * 365, Kpi::new_customer) +
                                             k.total(year * 365, Kpi::active)) / 200000.0;
    // Binomial noise is below 0.0012 at n = 200,000; the daily step (imitation
    // reads yesterday's share) lags the continuous curve by well under 0.005.
    CHECK(std::abs(share - closed) < 0.008);
  }
}

TEST_CASE("active customers develop to a second product at the development rate", "[lifecycle]") {
  auto spec = quiet_scenario(50000, 365);
  spec.segments[0].initial.active = 50000;
  spec.segments[0].development.per_year = 1.0;
  crmsim::Simulation sim(spec, {.seed = 10, .threads = 2});
  sim.run_to_end();
  // A hazard of 1 per year for a year: 1 - e^-1 of them develop; binomial
  // standard error 0.0022 at n = 50,000.
  const auto developed = sim.kpis().total(365, Kpi::developed);
  CHECK(std::abs(static_cast<double>(developed) / 50000.0 - (1.0 - std::exp(-1.0))) < 0.011);
  CHECK(total_flow(sim, Kpi::developments) == developed);  // nobody leaves developed here
  CHECK(sim.kpis().total(365, Kpi::active) == 50000 - developed);
  const auto& a = sim.agents();
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a.products[i] == (a.state[i] == State::developed ? 2 : 1));
  }
}

TEST_CASE("problems put active and developed customers at risk at the problem rate", "[lifecycle]") {
  auto spec = quiet_scenario(60000, 90);
  auto& s = spec.segments[0];
  s.initial.active = 30000;
  s.initial.developed = 30000;
  s.problems = {2.0, 36500.0};  // 2 a year; recovery practically never within 90 days
  crmsim::Simulation sim(spec, {.seed = 11, .threads = 2});
  sim.run_to_end();
  // 1 - e^(-2 * 90 / 365) of them meet a problem (standard error 0.002).
  const double expected = 1.0 - std::exp(-2.0 * 90.0 / 365.0);
  const auto& k = sim.kpis();
  const auto at_risk = k.total(90, Kpi::at_risk);
  CHECK(std::abs(static_cast<double>(at_risk) / 60000.0 - expected) < 0.01);
  CHECK(total_flow(sim, Kpi::problems) - total_flow(sim, Kpi::recoveries) == at_risk);
  CHECK(total_flow(sim, Kpi::defections) == 0);
  // Developed customers keep their second product while at risk.
  const auto& a = sim.agents();
  std::int64_t two_products = 0;
  for (std::size_t i = 0; i < a.size(); ++i) two_products += a.products[i] == 2;
  CHECK(two_products == 30000);
  CHECK(k.total(90, Kpi::developed) < 30000);
}

TEST_CASE("at-risk customers recover or defect at the competing hazards", "[lifecycle]") {
  constexpr std::int64_t n = 60000;
  auto spec = quiet_scenario(n, 365);
  auto& s = spec.segments[0];
  s.initial.at_risk = n;
  s.churn.annual_rate = 0.2;
  s.churn.at_risk_multiplier = 4.0;
  s.problems = {0.0, 20.0};
  crmsim::Simulation sim(spec, {.seed = 12, .threads = 2});
  sim.run_to_end();
  const double recovery = 1.0 / 20.0;
  const double defection = 4.0 * -std::log(0.8) / 365.0;
  // Each day an at-risk customer leaves with probability 1 - e^-(r + d), by
  // recovery with share r / (r + d): 0.953 (0.988 if the at-risk multiplier
  // were ignored); binomial standard error 0.0009.
  const double recovered = static_cast<double>(total_flow(sim, Kpi::recoveries)) / n;
  CHECK(std::abs(recovered - recovery / (recovery + defection)) < 0.005);
  // Days spent at risk, day 0 included: a geometric wait with mean 1 / p
  // (19.6 days; standard error 0.08).
  const auto& k = sim.kpis();
  double person_days = 0.0;
  for (int day = 0; day <= 365; ++day) person_days += static_cast<double>(k.total(day, Kpi::at_risk));
  const double p = 1.0 - std::exp(-(recovery + defection));
  CHECK(std::abs(person_days / n - 1.0 / p) < 0.4);
  CHECK(k.total(365, Kpi::at_risk) == 0);
  // Recovered customers are established again (their welcome period is long
  // over); defectors become lapsed, then prospects after the win-back window.
  CHECK(k.total(365, Kpi::new_customer) == 0);
  CHECK(k.total(365, Kpi::lapsed) + total_flow(sim, Kpi::returns_to_market) ==
        total_flow(sim, Kpi::defections));
  CHECK(total_flow(sim, Kpi::defections) > n - total_flow(sim, Kpi::recoveries));  // active churn too
}
