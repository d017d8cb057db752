// Simulation: built from a plain dict (the validated scenario with defaults
// filled in by the Python layer), advanced with the GIL released, and read
// through zero-copy, read-only numpy views owned by the Simulation object.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/simulation.hpp"

namespace py = pybind11;

namespace crmsim::bindings {
namespace {

/// Reads `key` of `d` as T, naming the field path when it is absent or of the wrong type.
template <class T>
T field(const py::dict& d, const char* key, const std::string& path) {
  const std::string where = path.empty() ? key : path + "." + key;
  if (!d.contains(key)) throw ScenarioError(where, "missing");
  try {
    return d[key].cast<T>();
  } catch (const py::cast_error&) {
    throw ScenarioError(where, "has the wrong type (" +
                                   std::string(py::str(py::type::of(d[key]).attr("__name__"))) + ")");
  }
}

py::dict sub(const py::dict& d, const char* key, const std::string& path) {
  return field<py::dict>(d, key, path);
}

SegmentSpec segment_from_dict(const py::dict& d, const std::string& at) {
  SegmentSpec s;
  s.name = field<std::string>(d, "name", at);
  s.market_size = field<std::int64_t>(d, "market_size", at);
  const std::string p_init = at + ".initial";
  const py::dict init = sub(d, "initial", at);
  s.initial.lead = field<std::int64_t>(init, "lead", p_init);
  s.initial.new_customer = field<std::int64_t>(init, "new", p_init);
  s.initial.active = field<std::int64_t>(init, "active", p_init);
  s.initial.developed = field<std::int64_t>(init, "developed", p_init);
  s.initial.at_risk = field<std::int64_t>(init, "at_risk", p_init);
  s.initial.lapsed = field<std::int64_t>(init, "lapsed", p_init);

  const std::string p_acq = at + ".acquisition";
  const py::dict acq = sub(d, "acquisition", at);
  s.acquisition.innovation_per_year = field<double>(acq, "innovation_per_year", p_acq);
  s.acquisition.imitation_per_year = field<double>(acq, "imitation_per_year", p_acq);
  s.acquisition.enquiry_share = field<double>(acq, "enquiry_share", p_acq);
  s.acquisition.enquiry_conversion = field<double>(acq, "enquiry_conversion", p_acq);

  const std::string p_churn = at + ".churn";
  const py::dict churn = sub(d, "churn", at);
  s.churn.annual_rate = field<double>(churn, "annual_rate", p_churn);
  s.churn.polarization = field<double>(churn, "polarization", p_churn);
  s.churn.new_multiplier = field<double>(churn, "new_multiplier", p_churn);
  s.churn.developed_multiplier = field<double>(churn, "developed_multiplier", p_churn);
  s.churn.at_risk_multiplier = field<double>(churn, "at_risk_multiplier", p_churn);

  const std::string p_buy = at + ".purchases";
  const py::dict buy = sub(d, "purchases", at);
  s.purchases.per_year = field<double>(buy, "per_year", p_buy);
  s.purchases.rate_shape = field<double>(buy, "rate_shape", p_buy);
  s.purchases.spend_mean = field<double>(buy, "spend_mean", p_buy);
  s.purchases.spend_shape = field<double>(buy, "spend_shape", p_buy);

  const std::string p_dev = at + ".development";
  const py::dict dev = sub(d, "development", at);
  s.development.per_year = field<double>(dev, "per_year", p_dev);
  s.development.spend_multiplier = field<double>(dev, "spend_multiplier", p_dev);

  const std::string p_prob = at + ".problems";
  const py::dict prob = sub(d, "problems", at);
  s.problems.per_year = field<double>(prob, "per_year", p_prob);
  s.problems.recovery_days_mean = field<double>(prob, "recovery_days_mean", p_prob);
  return s;
}

ScenarioSpec scenario_from_dict(const py::dict& d) {
  ScenarioSpec spec;
  spec.name = field<std::string>(d, "name", "");
  spec.days = field<int>(d, "days", "");
  const py::dict life = sub(d, "lifecycle", "");
  spec.lifecycle.welcome_days = field<int>(life, "welcome_days", "lifecycle");
  spec.lifecycle.enquiry_window_days = field<int>(life, "enquiry_window_days", "lifecycle");
  spec.lifecycle.winback_window_days = field<int>(life, "winback_window_days", "lifecycle");
  const auto segments = field<py::list>(d, "segments", "");
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string at = "segments[" + std::to_string(i) + "]";
    if (!py::isinstance<py::dict>(segments[i])) throw ScenarioError(at, "must be a mapping");
    spec.segments.push_back(segment_from_dict(segments[i].cast<py::dict>(), at));
  }
  return spec;
}

/// A read-only numpy view of `n` values at `data`, kept alive by `owner`.
template <class T>
py::array readonly_view(const T* data, std::vector<py::ssize_t> shape, py::handle owner) {
  py::array_t<T> view(shape, data, owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

}  // namespace

void register_simulation(py::module_& m) {
  py::class_<Simulation>(m, "Simulation",
                         "One engine run: the population advanced day by day.")
      .def(py::init([](const py::dict& scenario, std::uint64_t seed, int threads,
                       std::int64_t chunk_size) {
             RunOptions options;
             options.seed = seed;
             options.threads = threads;
             options.chunk_size = chunk_size;
             ScenarioSpec spec = scenario_from_dict(scenario);
             // Building the population is parallel C++ work on engine-owned data.
             py::gil_scoped_release release;
             return std::make_unique<Simulation>(std::move(spec), options);
           }),
           py::arg("scenario"), py::arg("seed") = 0, py::arg("threads") = 0,
           py::arg("chunk_size") = 16384,
           "Builds day 0 from a scenario dict (all fields present, engine units as in the schema).")
      // Safe without the GIL: advance touches only this Simulation's C++ state,
      // and Python cannot reach that state except through this object, whose
      // methods all need the GIL.
      .def("advance", &Simulation::advance, py::arg("days"),
           py::call_guard<py::gil_scoped_release>(), "Simulates the next `days` days.")
      .def_property_readonly("day", &Simulation::day, "Days simulated so far.")
      .def_property_readonly("horizon", &Simulation::horizon, "Horizon in days.")
      .def_property_readonly("threads", &Simulation::threads, "Worker threads used.")
      .def_property_readonly("seed", [](const Simulation& s) { return s.options().seed; })
      .def_property_readonly("n_agents", [](const Simulation& s) { return s.agents().size(); })
      .def_property_readonly("n_segments",
                             [](const Simulation& s) { return s.scenario().segments.size(); })
      .def_property_readonly_static("kpi_columns", [](const py::object&) {
        return std::vector<std::string>(kpi_names.begin(), kpi_names.end());
      })
      .def_property_readonly_static("state_names", [](const py::object&) {
        return std::vector<std::string>(state_names.begin(), state_names.end());
      })
      .def_property_readonly_static(
          "bytes_per_agent", [](const py::object&) { return AgentArrays::bytes_per_agent; })
      .def_property_readonly(
          "kpis",
          [](py::object self) {
            const auto& sim = self.cast<const Simulation&>();
            const auto& table = sim.kpis();
            return readonly_view(table.data(),
                                 {sim.day() + 1, table.segments(), kpi_count}, self);
          },
          "KPI values so far: int64 array (day 0..day, segment, column); read-only, no copy.")
      .def_property_readonly(
          "agents",
          [](py::object self) {
            const auto& a = self.cast<const Simulation&>().agents();
            const auto n = static_cast<py::ssize_t>(a.size());
            py::dict columns;
            columns["segment"] = readonly_view(a.segment.data(), {n}, self);
            columns["state"] = readonly_view(reinterpret_cast<const std::uint8_t*>(a.state.data()), {n}, self);
            columns["products"] = readonly_view(a.products.data(), {n}, self);
            columns["flags"] = readonly_view(a.flags.data(), {n}, self);
            columns["state_since"] = readonly_view(a.state_since.data(), {n}, self);
            columns["acquired_day"] = readonly_view(a.acquired_day.data(), {n}, self);
            columns["purchase_rate"] = readonly_view(a.purchase_rate.data(), {n}, self);
            columns["churn_hazard"] = readonly_view(a.churn_hazard.data(), {n}, self);
            columns["revenue_cents"] = readonly_view(a.revenue_cents.data(), {n}, self);
            return columns;
          },
          "Agent columns as read-only numpy views (no copy) owned by this Simulation.");
}

}  // namespace crmsim::bindings
