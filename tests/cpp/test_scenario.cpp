// The engine's own scenario guard names the field it rejects.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "crmsim/errors.hpp"
#include "crmsim/scenario.hpp"
#include "test_support.hpp"

using crmsim::ScenarioError;

namespace {

std::string rejection(const crmsim::ScenarioSpec& spec) {
  try {
    crmsim::validate(spec);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("a sound scenario is accepted", "[scenario]") {
  CHECK(rejection(crmsim::test::busy_scenario()) == "accepted");
}

TEST_CASE("bad values are rejected with their field path", "[scenario]") {
  auto spec = crmsim::test::busy_scenario();
  SECTION("churn out of range") {
    spec.segments[1].churn.annual_rate = 1.7;
    CHECK(rejection(spec) ==
          "segments[1].churn.annual_rate: must be between 0 and 1 (exclusive), got 1.7");
  }
  SECTION("NaN is never a number we run with") {
    spec.segments[0].purchases.spend_mean = std::numeric_limits<double>::quiet_NaN();
    CHECK(rejection(spec) == "segments[0].purchases.spend_mean: must be between 0 and 1000000, got nan");
  }
  SECTION("infinite imitation") {
    spec.segments[0].acquisition.imitation_per_year = std::numeric_limits<double>::infinity();
    CHECK(rejection(spec) ==
          "segments[0].acquisition.imitation_per_year: must be between 0 and 50, got inf");
  }
  SECTION("initial people beyond the market") {
    spec.segments[1].initial.active = 17000;
    CHECK(rejection(spec) ==
          "segments[1].initial: initial people (19150) must not exceed market_size (17003)");
  }
  SECTION("duplicate names") {
    spec.segments[1].name = "young";
    CHECK(rejection(spec) == "segments[1].name: duplicate segment name 'young'");
  }
  SECTION("no segments") {
    spec.segments.clear();
    CHECK(rejection(spec) == "segments: must list at least one segment");
  }
  SECTION("horizon") {
    spec.days = 0;
    CHECK(rejection(spec) == "days: must be between 1 and 36500, got 0");
  }
  SECTION("enquiry window") {
    spec.lifecycle.enquiry_window_days = 0;
    CHECK(rejection(spec) == "lifecycle.enquiry_window_days: must be between 1 and 3650, got 0");
  }
  SECTION("a Gamma shape too small to scale (found by fuzzing: subnormal shapes made every draw NaN)") {
    spec.segments[0].purchases.rate_shape = 2.2250738585e-313;
    CHECK_THAT(rejection(spec),
               Catch::Matchers::StartsWith("segments[0].purchases.rate_shape: must be a finite number >= 0.001, got 2.225"));
    spec.segments[0].purchases.rate_shape = 0.001;
    spec.segments[1].purchases.spend_shape = 0.0009;
    CHECK(rejection(spec) == "segments[1].purchases.spend_shape: must be a finite number >= 0.001, got 0.00089999999999999998");
  }
  SECTION("a market too large for 32-bit agent ids") {
    spec.segments[0].market_size = std::int64_t{1} << 32;
    CHECK(rejection(spec) == "segments: must be a total market_size of at most 4294967295, got 4294984299");
  }
}
