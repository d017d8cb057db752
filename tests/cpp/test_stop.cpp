// Stopping a run on request (Ctrl-C in Python): between days the run stays
// whole and can go on; inside a day it is refused afterwards.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "crmsim/errors.hpp"
#include "crmsim/simulation.hpp"
#include "test_hdf5_support.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using crmsim::Interrupted;
using crmsim::Simulation;
namespace test = crmsim::test;

TEST_CASE("a stop requested before advance() leaves the run whole", "[stop]") {
  const auto spec = test::with_campaigns(test::busy_scenario(60));
  Simulation whole(spec, {.seed = 9, .threads = 2});
  whole.run_to_end();

  Simulation sim(spec, {.seed = 9, .threads = 2});
  sim.advance(20);
  sim.request_stop();
  CHECK_THROWS_AS(sim.advance(10), Interrupted);
  CHECK(sim.day() == 20);
  sim.request_stop(false);
  sim.run_to_end();
  test::require_identical(whole, sim);
}

TEST_CASE("a stop from another thread ends advance() quickly", "[stop]") {
  // About 47,000 people for 36,500 days: minutes of work if not stopped.
  Simulation sim(test::with_campaigns(test::busy_scenario(36500)), {.seed = 2, .threads = 2});
  std::chrono::steady_clock::time_point asked;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    asked = std::chrono::steady_clock::now();
    sim.request_stop();
  });
  try {
    sim.advance(36500);
    FAIL("advance() was not stopped");
  } catch (const Interrupted& e) {
    const auto latency = std::chrono::steady_clock::now() - asked;
    // Well under a second even in sanitizer builds on a busy machine; the
    // rest of the run would take minutes.
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(latency).count() < 1000);
    CHECK_THAT(e.what(), Contains("the run was stopped"));
  }
  stopper.join();
  // The stop may come before the first day is done (a slow build): any day
  // short of the horizon.
  CHECK(sim.day() < 36500);
  sim.request_stop(false);
  // Whole (stopped between days) or refused (stopped inside a day): never a half day run on.
  const int day = sim.day();
  try {
    sim.advance(1);
    CHECK(sim.day() == day + 1);
  } catch (const crmsim::UsageError& e) {
    CHECK_THAT(e.what(), Contains("stopped in the middle of day " + std::to_string(day + 1)));
  }
}
