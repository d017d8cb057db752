// Registration functions of the _core module, one per area.
#pragma once

#include <pybind11/pybind11.h>

namespace crmsim::bindings {

void register_errors(pybind11::module_& m);
void register_rng(pybind11::module_& m);
void register_simulation(pybind11::module_& m);

}  // namespace crmsim::bindings
