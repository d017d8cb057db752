// Checkpoints and restore: a run stopped, saved, read back and finished is
// bit-identical to one that never stopped, whatever the thread counts.
#include <catch2/catch.hpp>

#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/hdf5_output.hpp"
#include "crmsim/simulation.hpp"
#include "test_hdf5_support.hpp"
#include "test_support.hpp"

using crmsim::CheckpointOptions;
using crmsim::Simulation;
namespace test = crmsim::test;

namespace {

crmsim::ScenarioSpec scenario() { return test::with_campaigns(test::busy_scenario(90)); }

}  // namespace

TEST_CASE("a resumed run is bit-identical to an uninterrupted one", "[hdf5][checkpoint]") {
  test::ScratchFolder dir;
  Simulation whole(scenario(), {.seed = 77, .threads = 1});
  whole.run_to_end();

  const auto [stop, first_threads, second_threads] =
      GENERATE(std::tuple{37, 2, 3}, std::tuple{1, 3, 1}, std::tuple{89, 1, 2});
  const std::string path = dir.file("run.ckpt.h5");
  {
    Simulation first(scenario(), {.seed = 77, .threads = first_threads, .chunk_size = 4096});
    first.advance(stop);
    crmsim::write_checkpoint(path, first, {"name: busy\n", {{"resume", "{}"}}, 1});
  }
  auto saved = crmsim::read_checkpoint(path);
  CHECK(saved.state.day == stop);
  CHECK(saved.state.seed == 77);
  CHECK(saved.scenario_yaml == "name: busy\n");
  CHECK(saved.days == 90);
  CHECK(saved.threads == first_threads);
  bool has_resume = false;
  for (const auto& [k, v] : saved.attributes) has_resume = has_resume || (k == "resume" && v == "{}");
  CHECK(has_resume);
  Simulation second(scenario(), {.seed = 77, .threads = second_threads}, std::move(saved.state));
  CHECK(second.day() == stop);
  second.run_to_end();
  test::require_identical(whole, second);
}

TEST_CASE("a checkpoint at day 0 and at the horizon restore too", "[hdf5][checkpoint]") {
  test::ScratchFolder dir;
  Simulation whole(scenario(), {.seed = 5, .threads = 2});
  const std::string start = dir.file("start.h5");
  crmsim::write_checkpoint(start, whole, {});
  whole.run_to_end();
  const std::string end = dir.file("end.h5");
  crmsim::write_checkpoint(end, whole, {});

  Simulation from_start(scenario(), {.seed = 5, .threads = 1}, crmsim::read_checkpoint(start).state);
  from_start.run_to_end();
  test::require_identical(whole, from_start);
  Simulation from_end(scenario(), {.seed = 5, .threads = 1}, crmsim::read_checkpoint(end).state);
  test::require_identical(whole, from_end);
  CHECK_THROWS_AS(from_end.advance(1), crmsim::UsageError);
}

TEST_CASE("restoring into a different run is refused with a clear message", "[hdf5][checkpoint]") {
  test::ScratchFolder dir;
  Simulation sim(scenario(), {.seed = 3, .threads = 2});
  sim.advance(10);
  const std::string path = dir.file("c.h5");
  crmsim::write_checkpoint(path, sim, {});

  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(Simulation(scenario(), {.seed = 4}, crmsim::read_checkpoint(path).state),
                    Contains("seed 3") && Contains("seed 4"));
  auto bigger = scenario();
  bigger.segments[0].market_size += 1;
  CHECK_THROWS_WITH(Simulation(bigger, {.seed = 3}, crmsim::read_checkpoint(path).state),
                    Contains("agents"));
  auto shorter = scenario();
  shorter.days = 5;
  CHECK_THROWS_AS(Simulation(shorter, {.seed = 3}, crmsim::read_checkpoint(path).state),
                  crmsim::UsageError);
  auto fewer = scenario();
  fewer.campaigns.pop_back();
  CHECK_THROWS_AS(Simulation(fewer, {.seed = 3}, crmsim::read_checkpoint(path).state),
                  crmsim::UsageError);

  auto state = crmsim::read_checkpoint(path).state;
  state.agents.state[17] = static_cast<crmsim::State>(42);
  CHECK_THROWS_WITH(Simulation(scenario(), {.seed = 3}, std::move(state)), Contains("agent 17"));
}

TEST_CASE("a checkpoint is written atomically and leaves no temporary file", "[hdf5][checkpoint]") {
  test::ScratchFolder dir;
  const std::string path = dir.file("c.h5");
  test::write_bytes(path, "an older checkpoint");
  Simulation sim(scenario(), {.seed = 3, .threads = 2});
  crmsim::write_checkpoint(path, sim, {});
  CHECK(dir.files() == std::vector<std::string>{"c.h5"});
  CHECK(crmsim::read_checkpoint(path).state.day == 0);
  CHECK_THROWS_AS(crmsim::write_checkpoint(dir.file("no/such/folder/c.h5"), sim, {}), crmsim::IoError);
  CHECK(dir.files() == std::vector<std::string>{"c.h5"});
}

TEST_CASE("a results file is not a checkpoint, and the other way round", "[hdf5][checkpoint]") {
  test::ScratchFolder dir;
  Simulation sim(scenario(), {.seed = 3, .threads = 2});
  const std::string results = dir.file("r.h5");
  crmsim::ResultsWriter(results, sim, {}).commit(sim);
  const std::string checkpoint = dir.file("c.h5");
  crmsim::write_checkpoint(checkpoint, sim, {});
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(crmsim::read_checkpoint(results), Contains("r.h5") && Contains("not a crmsim-checkpoint"));
  CHECK_THROWS_WITH(crmsim::read_results(checkpoint), Contains("c.h5") && Contains("resume"));
}
