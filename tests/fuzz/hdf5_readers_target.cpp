// Fuzz target for the engine's file readers: results files (read_results,
// read_snapshot) and checkpoints (read_checkpoint, then restoring and
// running a Simulation from it). Any input must either be read or be
// refused with a crmsim::Error; anything else (another exception, a crash,
// an ASan/UBSan report, a hang) is a bug.
//
// The entry point has libFuzzer's signature, so the same target runs under
// libFuzzer (clang, -DCRMSIM_LIBFUZZER=ON) or under the deterministic
// mutation driver in mutation_driver.cpp (any compiler; `make test`).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/simulation.hpp"
#include "fuzz_support.hpp"

namespace crmsim::fuzz {

const std::string& scratch_file() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/crmsim-fuzz-input-" +
           std::to_string(static_cast<long>(::getpid())) + ".h5";
  }();
  return path;
}

Outcome read_input(const std::string& path) {
  Outcome out;
  try {
    const ResultsData results = read_results(path);
    for (int day : results.snapshot_days) read_snapshot(path, day);
    out.results_read = true;
  } catch (const Error&) {
    // Refused with a crmsim error: what the readers promise.
  }
  try {
    CheckpointData checkpoint = read_checkpoint(path);
    const std::uint64_t seed = checkpoint.state.seed;
    Simulation sim(seed_scenario(), {.seed = seed, .threads = 1, .checks = true},
                   std::move(checkpoint.state));
    sim.advance(std::min(2, sim.horizon() - sim.day()));
    out.checkpoint_read = true;
  } catch (const Error&) {
  }
  return out;
}

}  // namespace crmsim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = crmsim::fuzz::scratch_file();
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  crmsim::fuzz::read_input(path);
  return 0;
}
