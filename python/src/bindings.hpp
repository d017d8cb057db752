// Registration functions of the _core module, one per area.
#pragma once

#include <pybind11/pybind11.h>

#include "crmsim/hdf5_input.hpp"

namespace crmsim::bindings {

/// A checkpoint read by _core.Checkpoint. Its state is moved into the
/// Simulation that resumes from it, so it serves one resume only.
struct LoadedCheckpoint {
  CheckpointData data;
  bool used = false;
};

void register_errors(pybind11::module_& m);
void register_rng(pybind11::module_& m);
void register_simulation(pybind11::module_& m);
void register_results(pybind11::module_& m);

}  // namespace crmsim::bindings
