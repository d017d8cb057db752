// Results files and checkpoints: the engine's HDF5 writer and reader.
// The crmsim package reads files only through these (never h5py), so one
// libhdf5 is loaded in the process: the engine's.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "readonly_view.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/hdf5_output.hpp"
#include "crmsim/simulation.hpp"

namespace py = pybind11;

namespace crmsim::bindings {
namespace {

/// A read-only numpy array that owns `bytes` (moved into a capsule, no copy).
py::array owning_array(AgentColumn&& column) {
  auto* bytes = new std::vector<unsigned char>(std::move(column.bytes));
  py::capsule owner(bytes, [](void* p) { delete static_cast<std::vector<unsigned char>*>(p); });
  std::vector<py::ssize_t> dims(column.shape.begin(), column.shape.end());
  py::array array(py::dtype(column.dtype), dims, bytes->data(), owner);
  py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return array;
}

py::dict text_dict(const TextAttributes& attributes) {
  py::dict out;
  for (const auto& [name, value] : attributes) out[py::str(name)] = py::str(value);
  return out;
}

TextAttributes text_attributes(const std::optional<py::dict>& d) {
  TextAttributes out;
  if (!d) return out;
  for (const auto& [k, v] : *d) out.emplace_back(py::cast<std::string>(k), py::cast<std::string>(v));
  return out;
}

/// A results file read into memory, shaped like a finished _core.Simulation
/// (same property names) so that crmsim.Result can wrap either.
struct LoadedResults {
  ResultsData data;
  py::object agents;  ///< the last snapshot's columns, read on first use
};

py::dict snapshot_dict(const std::string& path, int day) {
  std::vector<AgentColumn> columns;
  {
    py::gil_scoped_release release;  // file reading and decompression only
    columns = read_snapshot(path, day);
  }
  py::dict out;
  for (auto& c : columns) {
    const std::string name = c.name;
    out[py::str(name)] = owning_array(std::move(c));
  }
  return out;
}

}  // namespace

void register_results(py::module_& m) {
  m.attr("results_format_version") = results_format_version;
  m.attr("checkpoint_format_version") = checkpoint_format_version;
  m.attr("agent_column_names") = agent_column_names();
  m.attr("event_kind_names") =
      std::vector<std::string>(event_kind_names.begin(), event_kind_names.end());

  py::class_<ResultsWriter>(m, "ResultsWriter",
                            "Writes one run's HDF5 results file as the run proceeds, under a "
                            "temporary name until commit().")
      .def(py::init([](Simulation& sim, const std::string& path, std::string scenario_yaml,
                       int snapshot_every, std::vector<std::string> snapshot_columns,
                       bool final_snapshot, double event_share, int compression,
                       double flush_seconds, std::optional<py::dict> attributes,
                       const LoadedResults* events_from) {
             ResultsOptions options;
             options.scenario_yaml = std::move(scenario_yaml);
             options.snapshot_every = snapshot_every;
             options.snapshot_columns = std::move(snapshot_columns);
             options.final_snapshot = final_snapshot;
             options.event_share = event_share;
             options.compression = compression;
             options.flush_seconds = flush_seconds;
             options.attributes = text_attributes(attributes);
             if (events_from != nullptr && events_from->data.has_events) {
               options.event_share = events_from->data.events.share;
               options.earlier_events = to_events(events_from->data.events);
               options.events_from_day = events_from->data.written_from_day;
             }
             py::gil_scoped_release release;
             return std::make_unique<ResultsWriter>(path, sim, std::move(options));
           }),
           py::arg("simulation"), py::arg("path"), py::arg("scenario_yaml"),
           py::arg("snapshot_every") = 0, py::arg("snapshot_columns") = std::vector<std::string>{},
           py::arg("final_snapshot") = false, py::arg("event_share") = 0.0,
           py::arg("compression") = 4, py::arg("flush_seconds") = 1.0,
           py::arg("attributes") = py::none(), py::arg("events_from") = nullptr,
           // The writer keeps a pointer to the simulation: keep it alive as long.
           py::keep_alive<1, 2>(),
           "Creates PATH.tmp-<pid> and writes the metadata and rows so far. events_from: a\n"
           "ResultsFile of this run whose event log goes into the file first (its share and\n"
           "written_from_day replace event_share and today).")
      .def("next_stop", &ResultsWriter::next_stop, py::arg("day"),
           "First day after `day` on which write() must be called (a snapshot day), or the horizon.")
      // Safe without the GIL: the writer and simulation are touched only
      // through these objects, whose methods all need the GIL, and the
      // simulation is not advancing (advance needs the GIL to be called).
      .def("write", &ResultsWriter::write, py::arg("simulation"),
           py::call_guard<py::gil_scoped_release>(),
           "Takes the events since the last call, writes today's snapshot if due, and brings\n"
           "the temporary file up to date when flush_seconds have passed.")
      .def("commit", &ResultsWriter::commit, py::arg("simulation"),
           py::call_guard<py::gil_scoped_release>(),
           "Finishes the file and renames it onto its final name.")
      .def("discard", &ResultsWriter::discard, "Removes the temporary file without committing.")
      .def_property_readonly("path", &ResultsWriter::path, "The final name.")
      .def_property_readonly("temp_path", &ResultsWriter::temp_path,
                             "The temporary name the file has until commit().");

  m.def(
      "write_checkpoint",
      [](const Simulation& sim, const std::string& path, std::string scenario_yaml,
         std::optional<py::dict> attributes, int compression) {
        CheckpointOptions options;
        options.scenario_yaml = std::move(scenario_yaml);
        options.attributes = text_attributes(attributes);
        options.compression = compression;
        py::gil_scoped_release release;  // only this simulation's C++ state and the file
        write_checkpoint(path, sim, options);
      },
      py::arg("simulation"), py::arg("path"), py::arg("scenario_yaml"),
      py::arg("attributes") = py::none(), py::arg("compression") = 1,
      "Writes the full engine state to PATH atomically (PATH.tmp-<pid>, then rename).");

  py::class_<LoadedCheckpoint>(m, "Checkpoint", "A checkpoint read into memory, to resume a run from.")
      .def(py::init([](const std::string& path) {
             auto out = std::make_unique<LoadedCheckpoint>();
             py::gil_scoped_release release;
             out->data = read_checkpoint(path);
             return out;
           }),
           py::arg("path"))
      .def_property_readonly("path", [](const LoadedCheckpoint& c) { return c.data.path; })
      .def_property_readonly("format_version", [](const LoadedCheckpoint& c) { return c.data.format_version; })
      .def_property_readonly("crmsim_version", [](const LoadedCheckpoint& c) { return c.data.crmsim_version; })
      .def_property_readonly("git_commit", [](const LoadedCheckpoint& c) { return c.data.git_commit; })
      .def_property_readonly("created", [](const LoadedCheckpoint& c) { return c.data.created; })
      .def_property_readonly("scenario_name", [](const LoadedCheckpoint& c) { return c.data.scenario_name; })
      .def_property_readonly("scenario_yaml", [](const LoadedCheckpoint& c) { return c.data.scenario_yaml; })
      .def_property_readonly("days", [](const LoadedCheckpoint& c) { return c.data.days; })
      .def_property_readonly("threads", [](const LoadedCheckpoint& c) { return c.data.threads; })
      .def_property_readonly("day", [](const LoadedCheckpoint& c) { return c.data.state.day; })
      .def_property_readonly("seed", [](const LoadedCheckpoint& c) { return c.data.state.seed; })
      .def_property_readonly("used", [](const LoadedCheckpoint& c) { return c.used; },
                             "True once a Simulation has resumed from it.")
      .def_property_readonly("attributes", [](const LoadedCheckpoint& c) { return text_dict(c.data.attributes); },
                             "Every text attribute of the root group.");

  py::class_<LoadedResults>(m, "ResultsFile",
                            "A results file read into memory; same properties as a finished Simulation.")
      .def(py::init([](const std::string& path) {
             auto out = std::make_unique<LoadedResults>();
             {
               py::gil_scoped_release release;
               out->data = read_results(path);
             }
             return out;
           }),
           py::arg("path"))
      .def_property_readonly("path", [](const LoadedResults& r) { return r.data.path; })
      .def_property_readonly("format_version", [](const LoadedResults& r) { return r.data.format_version; })
      .def_property_readonly("crmsim_version", [](const LoadedResults& r) { return r.data.crmsim_version; })
      .def_property_readonly("git_commit", [](const LoadedResults& r) { return r.data.git_commit; })
      .def_property_readonly("start_time", [](const LoadedResults& r) { return r.data.start_time; })
      .def_property_readonly("finish_time", [](const LoadedResults& r) { return r.data.finish_time; })
      .def_property_readonly("elapsed_seconds", [](const LoadedResults& r) { return r.data.elapsed_seconds; })
      .def_property_readonly("scenario_name", [](const LoadedResults& r) { return r.data.scenario_name; })
      .def_property_readonly("scenario_yaml", [](const LoadedResults& r) { return r.data.scenario_yaml; })
      .def_property_readonly("written_from_day", [](const LoadedResults& r) { return r.data.written_from_day; })
      .def_property_readonly("attributes", [](const LoadedResults& r) { return text_dict(r.data.attributes); })
      .def_property_readonly("segment_names", [](const LoadedResults& r) { return r.data.segments; })
      .def_property_readonly("campaign_names", [](const LoadedResults& r) { return r.data.campaigns; })
      .def_property_readonly("channel_names", [](const LoadedResults& r) { return r.data.channels; })
      .def_property_readonly("tier_names", [](const LoadedResults& r) { return r.data.tiers; })
      .def_property_readonly("snapshot_days", [](const LoadedResults& r) { return r.data.snapshot_days; })
      // The same names as _core.Simulation, so that Result works on either.
      .def_property_readonly("day", [](const LoadedResults& r) { return r.data.days_simulated; })
      .def_property_readonly("horizon", [](const LoadedResults& r) { return r.data.days; })
      .def_property_readonly("threads", [](const LoadedResults& r) { return r.data.threads; })
      .def_property_readonly("seed", [](const LoadedResults& r) { return r.data.seed; })
      .def_property_readonly("n_agents", [](const LoadedResults& r) { return r.data.agents; })
      .def_property_readonly("n_segments", [](const LoadedResults& r) { return r.data.segments.size(); })
      .def_property_readonly("n_campaigns", [](const LoadedResults& r) { return r.data.campaigns.size(); })
      .def_property_readonly("n_tiers", [](const LoadedResults& r) { return r.data.tiers.size(); })
      .def_property_readonly("campaign_spent_micros", [](const LoadedResults& r) { return r.data.campaign_spent_micros; })
      .def_property_readonly("campaign_adstock", [](const LoadedResults& r) { return r.data.campaign_adstock; })
      .def_property_readonly(
          "kpis",
          [](py::object self) {
            const auto& r = self.cast<const LoadedResults&>();
            return readonly_view(r.data.kpis.values.data(), r.data.kpis.shape, self);
          },
          "int64 (day, segment, column) in Simulation.kpi_columns order; read-only.")
      .def_property_readonly(
          "campaign_kpis",
          [](py::object self) {
            const auto& r = self.cast<const LoadedResults&>();
            return readonly_view(r.data.campaign_kpis.values.data(), r.data.campaign_kpis.shape, self);
          })
      .def_property_readonly(
          "measurement_buckets",
          [](py::object self) {
            const auto& r = self.cast<const LoadedResults&>();
            return readonly_view(r.data.measurement_buckets.values.data(), r.data.measurement_buckets.shape, self);
          })
      .def_property_readonly(
          "tier_kpis",
          [](py::object self) {
            const auto& r = self.cast<const LoadedResults&>();
            return readonly_view(r.data.tier_kpis.values.data(), r.data.tier_kpis.shape, self);
          })
      .def_property_readonly(
          "agents",
          [](py::object self) -> py::object {
            auto& r = self.cast<LoadedResults&>();
            if (!r.agents) {
              r.agents = r.data.snapshot_days.empty()
                             ? py::dict()
                             : snapshot_dict(r.data.path, r.data.snapshot_days.back());
            }
            return r.agents;
          },
          "Agent columns of the last snapshot (read on first use); {} when the file has none.")
      .def("snapshot", [](const LoadedResults& r, int day) { return snapshot_dict(r.data.path, day); },
           py::arg("day"), "Agent columns of the snapshot of `day` (read from the file).")
      .def_property_readonly(
          "events",
          [](py::object self) -> py::object {
            const auto& r = self.cast<const LoadedResults&>();
            if (!r.data.has_events) return py::none();
            const auto& e = r.data.events;
            const std::vector<std::size_t> n{e.day.size()};
            py::dict out;
            out["day"] = readonly_view(e.day.data(), n, self);
            out["agent"] = readonly_view(e.agent.data(), n, self);
            out["segment"] = readonly_view(e.segment.data(), n, self);
            out["kind"] = readonly_view(e.kind.data(), n, self);
            out["campaign"] = readonly_view(e.campaign.data(), n, self);
            return out;
          },
          "Event log columns (day, agent, segment, kind, campaign), or None without one.")
      .def_property_readonly("event_share", [](const LoadedResults& r) {
        return r.data.has_events ? r.data.events.share : 0.0;
      });
}

}  // namespace crmsim::bindings
