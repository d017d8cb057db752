// Conversions from planner units to engine rates.
#include <catch2/catch.hpp>

#include <cmath>

#include "crmsim/rates.hpp"

TEST_CASE("daily_probability equals 1 - exp(-h) to machine precision", "[rates]") {
  for (double h = 0.0; h < 3.0; h += 0.0007) {
    const double exact = -std::expm1(-h);
    REQUIRE(std::abs(crmsim::daily_probability(h) - exact) <= 2e-12 + 1e-15 * exact);
  }
}

TEST_CASE("an annual share converts to the daily hazard that loses it in a year", "[rates]") {
  for (double share : {0.01, 0.2, 0.5, 0.95}) {
    const double h = crmsim::annual_share_to_daily_hazard(share);
    CHECK(1.0 - std::exp(-365.0 * h) == Approx(share).epsilon(1e-12));
  }
}

TEST_CASE("Beta heterogeneity keeps the mean churn and sets the polarization", "[rates]") {
  crmsim::ScenarioSpec spec;
  spec.segments.resize(1);
  spec.segments[0].churn.annual_rate = 0.25;
  spec.segments[0].churn.polarization = 0.2;
  spec.segments[0].purchases = {10.0, 2.0, 5.0, 4.0};
  const auto r = crmsim::derive_rates(spec).at(0);
  CHECK(r.churn_beta_a / (r.churn_beta_a + r.churn_beta_b) == Approx(0.25));
  CHECK(1.0 / (r.churn_beta_a + r.churn_beta_b + 1.0) == Approx(0.2));
  CHECK(r.purchase_rate_shape * r.purchase_rate_scale * 365.0 == Approx(10.0));
  CHECK(r.spend_shape * r.spend_scale == Approx(5.0));
}

TEST_CASE("a vanishing polarization makes customers alike, not NaN", "[rates]") {
  // Found by the invariant checks on random scenarios: polarization 2.2e-309
  // (subnormal) made the Beta shapes infinite and every churn hazard NaN.
  crmsim::ScenarioSpec spec;
  spec.segments.resize(1);
  spec.segments[0].churn.annual_rate = 0.5;
  spec.segments[0].purchases = {10.0, 2.0, 5.0, 4.0};
  for (double phi : {2.225073858507203e-309, 1e-300, 1e-13}) {
    spec.segments[0].churn.polarization = phi;
    const auto r = crmsim::derive_rates(spec).at(0);
    CHECK(r.churn_beta_a == 0.0);  // no Beta: every customer has the mean rate
    CHECK(std::isfinite(r.churn_beta_b));
  }
  spec.segments[0].churn.polarization = 1e-6;
  const auto r = crmsim::derive_rates(spec).at(0);
  CHECK(std::isfinite(r.churn_beta_a));
  CHECK(r.churn_beta_a / (r.churn_beta_a + r.churn_beta_b) == Approx(0.5));
}
