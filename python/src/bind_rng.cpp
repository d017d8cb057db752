// The raw Philox bijection, exposed so tests can check known-answer vectors
// and reproduce draws from Python.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "crmsim/rng.hpp"

namespace py = pybind11;

namespace crmsim::bindings {

void register_rng(py::module_& m) {
  m.def(
      "philox4x32_10",
      [](const PhiloxBlock& counter, const PhiloxKey& key) { return philox4x32_10(counter, key); },
      py::arg("counter"), py::arg("key"),
      "Philox 4x32-10 of a 4-word counter under a 2-word key (Random123 reference).");
}

}  // namespace crmsim::bindings
