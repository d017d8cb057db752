// The engine's exception hierarchy mapped to Python in one place:
// ScenarioError -> crmsim._core.ScenarioError (a ValueError),
// UsageError    -> crmsim._core.UsageError (a RuntimeError),
// IoError       -> crmsim._core.IoError (an OSError),
// FileFormatError -> crmsim._core.FileFormatError (a crmsim._core.IoError),
// InvariantError -> crmsim._core.InvariantError (a RuntimeError),
// MemoryLimitError -> crmsim._core.MemoryLimitError (a MemoryError),
// Interrupted   -> crmsim._core.Interrupted (a RuntimeError; Ctrl-C itself
//                  reaches Python as KeyboardInterrupt, see bind_simulation),
// other crmsim::Error -> crmsim._core.EngineError (a RuntimeError).
// The crmsim package re-raises them as its own public exception types.
#include <pybind11/gil_safe_call_once.h>
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "crmsim/errors.hpp"

namespace py = pybind11;

namespace crmsim::bindings {
namespace {

// Stored the way pybind11 recommends so that interpreter shutdown does not
// destroy Python objects after the interpreter is gone.
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> scenario_error;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> usage_error;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> engine_error;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> io_error;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> file_format_error;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> invariant_error;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> memory_limit_error;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> interrupted;

}  // namespace

void register_errors(py::module_& m) {
  scenario_error.call_once_and_store_result(
      [&] { return py::exception<ScenarioError>(m, "ScenarioError", PyExc_ValueError); });
  usage_error.call_once_and_store_result(
      [&] { return py::exception<UsageError>(m, "UsageError", PyExc_RuntimeError); });
  engine_error.call_once_and_store_result(
      [&] { return py::exception<Error>(m, "EngineError", PyExc_RuntimeError); });
  io_error.call_once_and_store_result(
      [&] { return py::exception<IoError>(m, "IoError", PyExc_OSError); });
  file_format_error.call_once_and_store_result([&] {
    return py::exception<FileFormatError>(m, "FileFormatError", io_error.get_stored().ptr());
  });
  invariant_error.call_once_and_store_result(
      [&] { return py::exception<InvariantError>(m, "InvariantError", PyExc_RuntimeError); });
  memory_limit_error.call_once_and_store_result(
      [&] { return py::exception<MemoryLimitError>(m, "MemoryLimitError", PyExc_MemoryError); });
  interrupted.call_once_and_store_result(
      [&] { return py::exception<Interrupted>(m, "Interrupted", PyExc_RuntimeError); });
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ScenarioError& e) {
      py::set_error(scenario_error.get_stored(), e.what());
    } catch (const UsageError& e) {
      py::set_error(usage_error.get_stored(), e.what());
    } catch (const FileFormatError& e) {
      py::set_error(file_format_error.get_stored(), e.what());
    } catch (const IoError& e) {
      py::set_error(io_error.get_stored(), e.what());
    } catch (const InvariantError& e) {
      py::set_error(invariant_error.get_stored(), e.what());
    } catch (const MemoryLimitError& e) {
      py::set_error(memory_limit_error.get_stored(), e.what());
    } catch (const Interrupted& e) {
      py::set_error(interrupted.get_stored(), e.what());
    } catch (const Error& e) {
      py::set_error(engine_error.get_stored(), e.what());
    }
  });
}

}  // namespace crmsim::bindings
