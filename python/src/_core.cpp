// crmsim._core: the private extension module. Users import `crmsim`, whose
// classes wrap these objects.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "crmsim/build_info.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "crmsim engine bindings (private; use the crmsim package)";
  m.attr("__version__") = crmsim::engine_version;
  m.attr("git_commit") = crmsim::git_commit;
  // Errors first: later registrations may translate into them.
  crmsim::bindings::register_errors(m);
  crmsim::bindings::register_rng(m);
  crmsim::bindings::register_simulation(m);
  // After Simulation: the writers take one.
  crmsim::bindings::register_results(m);
}
