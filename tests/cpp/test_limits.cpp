// Memory limits: the estimate, and runs too large for the memory refused
// before anything is allocated, with the estimate in the message.
#include <catch2/catch.hpp>

#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/limits.hpp"
#include "crmsim/simulation.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using crmsim::MemoryLimitError;
namespace test = crmsim::test;

TEST_CASE("the estimate adds up agent columns, daily tables and working memory", "[limits]") {
  const auto spec = test::with_campaigns(test::busy_scenario(120));
  const auto e = crmsim::estimate_memory(spec);
  CHECK(e.agents == 47014);
  CHECK(e.days == 120);
  crmsim::Simulation sim(spec, {.seed = 1, .threads = 1});
  CHECK(e.bytes_per_agent == sim.agents().bytes_per_agent());
  CHECK(e.agent_bytes == 47014 * e.bytes_per_agent);
  // 121 rows of 2 x 22 KPI, 7 x 16 campaign and 2 x 3 x 3 tier columns, and the buckets.
  CHECK(e.table_bytes == (121u * (2 * 22 + 7 * 16 + 2 * 3 * 3) + 7 * 2 * 32 * 3) * 8u);
  CHECK(e.working_bytes > 0);
  CHECK(e.total() == e.agent_bytes + e.table_bytes + e.working_bytes);
}

TEST_CASE("a run larger than the memory limit is refused before allocating", "[limits]") {
  auto spec = test::busy_scenario(730);
  SECTION("a limit given") {
    try {
      crmsim::Simulation sim(spec, {.seed = 1, .memory_limit_bytes = 1'000'000});
      FAIL("the run was not refused");
    } catch (const MemoryLimitError& e) {
      CHECK_THAT(e.what(), Contains("47,014 agents for 730 days need about 2.") &&
                               Contains("MB; the limit is 1.0 MB") && Contains("54 bytes per agent"));
      CHECK(e.limit_bytes() == 1'000'000);
      CHECK(e.needed_bytes() > 2'000'000);
    }
  }
  SECTION("four billion people on a machine with less than 200 GB") {
    // Were the guard to come after the allocation, this would ask for
    // about 230 GB and fail in a very different way.
    spec.segments[0].market_size = 4'000'000'000;
    try {
      crmsim::Simulation sim(spec, {.seed = 1, .memory_limit_bytes = 200'000'000'000});
      FAIL("the run was not refused");
    } catch (const MemoryLimitError& e) {
      CHECK_THAT(e.what(), Contains("4,000,017,003 agents for 730 days need about 2") &&
                               Contains("GB; the limit is 200 GB"));
    }
  }
  SECTION("a scenario that fits is run") {
    CHECK_NOTHROW(crmsim::Simulation(spec, {.seed = 1, .memory_limit_bytes = 100'000'000}));
  }
}

TEST_CASE("the machine's memory is known and bounds file reads", "[limits]") {
  const auto memory = crmsim::machine_memory_bytes();
  CHECK(memory > 100'000'000);
  CHECK_NOTHROW(crmsim::check_allocation(1000, 8, "a small dataset"));
  CHECK_THROWS_WITH(crmsim::check_allocation(memory, 8, "/kpis/segments of x.h5"),
                    Contains("/kpis/segments of x.h5 holds") && Contains("this machine has"));
  // Absurd sizes saturate instead of wrapping around to something small.
  CHECK_THROWS_AS(crmsim::check_allocation(1ULL << 62, 16, "a dataset"), MemoryLimitError);
}

TEST_CASE("bytes and counts read the way people write them", "[limits]") {
  CHECK(crmsim::format_bytes(640'000'000'000) == "640 GB");
  CHECK(crmsim::format_bytes(1'500'000'000) == "1.5 GB");
  CHECK(crmsim::format_bytes(999) == "999 bytes");
  CHECK(crmsim::format_bytes(12'345) == "12 kB");
  CHECK(crmsim::format_count(10'000'000'000) == "10,000,000,000");
  CHECK(crmsim::format_count(-1234) == "-1,234");
  CHECK(crmsim::format_count(0) == "0");
}
