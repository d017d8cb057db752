// The scenario behind the HDF5 seed corpus, and the corpus writer
// (`crmsim_fuzz_hdf5 --make-seeds DIR` after a change of the file layout).
#include <filesystem>
#include <string>

#include "../cpp/test_support.hpp"
#include "crmsim/hdf5_output.hpp"
#include "crmsim/simulation.hpp"
#include "fuzz_support.hpp"

namespace crmsim::fuzz {

ScenarioSpec seed_scenario() {
  ScenarioSpec spec = test::with_campaigns(test::busy_scenario(20));
  // A few hundred people keep the seed files small (a few tens of kB).
  spec.segments[0].market_size = 300;
  spec.segments[0].initial = {5, 10, 80, 20, 10, 15};
  spec.segments[1].market_size = 200;
  spec.segments[1].initial = {0, 5, 60, 30, 5, 10};
  return spec;
}

void make_seeds(const std::string& folder) {
  std::filesystem::create_directories(folder);
  for (const int compression : {0, 4}) {
    const std::string suffix = compression == 0 ? "_raw" : "";
    // Uncompressed results files are large for little gain (their values are
    // not checked on reading); uncompressed checkpoints are restored, so a
    // flipped value reaches the engine's checks.
    if (compression == 4) {
      Simulation sim(seed_scenario(), {.seed = 3, .threads = 1});
      ResultsOptions options;
      options.scenario_yaml = "name: fuzz seed\n";
      options.snapshot_every = 10;
      options.event_share = 1.0;
      options.compression = compression;
      options.attributes = {{"start_date", "2027-01-01"}};
      ResultsWriter out(folder + "/results" + suffix + ".h5", sim, options);
      while (sim.day() < sim.horizon()) {
        sim.advance(out.next_stop(sim.day()) - sim.day());
        out.write(sim);
      }
      out.commit(sim);
    }
    {
      Simulation sim(seed_scenario(), {.seed = 5, .threads = 1});
      sim.advance(10);
      CheckpointOptions options;
      options.scenario_yaml = "name: fuzz seed\n";
      options.attributes = {{"resume", "{}"}};
      options.compression = compression;
      write_checkpoint(folder + "/checkpoint" + suffix + ".h5", sim, options);
    }
  }
  {
    // Tables only, no snapshots or events.
    Simulation sim(seed_scenario(), {.seed = 9, .threads = 1});
    ResultsOptions options;
    options.scenario_yaml = "name: fuzz seed\n";
    ResultsWriter out(folder + "/results_tables_only.h5", sim, options);
    sim.run_to_end();
    out.write(sim);
    out.commit(sim);
  }
}

}  // namespace crmsim::fuzz
