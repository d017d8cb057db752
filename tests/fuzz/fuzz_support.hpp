// Shared by the HDF5 fuzz target and its drivers: the scenario the seed
// corpus was written from, and what reading one input gave.
#pragma once

#include <string>

#include "crmsim/scenario.hpp"

namespace crmsim::fuzz {

/// A small scenario with every campaign type: the seed files are runs of it.
ScenarioSpec seed_scenario();

/// Writes the seed corpus into `folder`: results files (with and without
/// compression, snapshots and events) and checkpoints of seed_scenario().
void make_seeds(const std::string& folder);

/// What reading one input gave; a refusal (crmsim::Error) leaves a flag false.
struct Outcome {
  bool results_read = false;     ///< read_results and every snapshot succeeded
  bool checkpoint_read = false;  ///< read_checkpoint, restore and two more days succeeded
};

/// Reads the file at `path` as a results file and as a checkpoint (restored
/// into a Simulation of seed_scenario() and run on two days, checks on).
/// Throws only what the readers throw besides crmsim::Error (a bug).
Outcome read_input(const std::string& path);

/// The per-process scratch file the target writes each input to (after a
/// crash it holds the input that caused it).
const std::string& scratch_file();

}  // namespace crmsim::fuzz
