// Writing results and checkpoints as HDF5 files (layout: docs/results-format.md).
//
// The output is a separate part of the engine: the Simulation knows nothing
// of files. A ResultsWriter pulls from a Simulation between `advance` calls
// and appends what is new (KPI rows, logged events, agent snapshots) to
// chunked, compressed datasets, so that a long run has written what it has
// so far. Every file is written under a temporary name beside its final
// name, `<name>.tmp-<pid>`, and renamed onto the final name only when it is
// complete: a killed run leaves the temporary file and never a half file
// under the final name, and an earlier file of that name is untouched.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmsim/events.hpp"
#include "crmsim/simulation.hpp"

namespace crmsim {

/// Value of the root attribute `format` of a results file.
inline constexpr std::string_view results_format_name = "crmsim-results";
/// Layout version of results files this engine writes (and the newest it reads).
inline constexpr int results_format_version = 1;
/// Value of the root attribute `format` of a checkpoint.
inline constexpr std::string_view checkpoint_format_name = "crmsim-checkpoint";
/// Layout version of checkpoints this engine writes (and the newest it reads).
inline constexpr int checkpoint_format_version = 1;

/// Text attributes for a file's root group: (name, value) pairs.
using TextAttributes = std::vector<std::pair<std::string, std::string>>;

/// What a results file holds besides the KPI tables.
struct ResultsOptions {
  std::string scenario_yaml;  ///< the scenario as YAML text (stored for provenance and reloading)
  int snapshot_every = 0;     ///< days between agent snapshots (day 0, N, 2N, ...); 0 = none
  std::vector<std::string> snapshot_columns;  ///< agent columns in snapshots; empty = all
  bool final_snapshot = false;  ///< snapshot the last day written (always when snapshot_every > 0)
  double event_share = 0.0;   ///< share of agents whose events are logged, 0 to 1; 0 = no /events
  /// Events of the run logged before the writer was created, in day order,
  /// written first (saving a finished run whose own file has an event log).
  /// Needs event_share > 0 and events_from_day >= 0.
  std::vector<Event> earlier_events;
  /// Day from which earlier_events cover the run (root attribute
  /// written_from_day), at most sim.day(); -1 = none: writing begins today.
  int events_from_day = -1;
  int compression = 4;        ///< deflate level of every dataset, 0 (none) to 9
  double flush_seconds = 1.0; ///< at most this long between writes of new rows and events to the temporary file; 0 = at every write()
  TextAttributes attributes;  ///< extra text attributes of the root group (e.g. start_date)
};

/// Writes one run's results file as the run proceeds.
///
///     ResultsWriter out("run.h5", sim, options);
///     while (sim.day() < sim.horizon()) {
///       sim.advance(std::min(block, out.next_stop(sim.day()) - sim.day()));
///       out.write(sim);
///     }
///     out.commit(sim);   // renames run.h5.tmp-<pid> onto run.h5
///
/// Destroying a writer that was not committed removes its temporary file.
class ResultsWriter {
 public:
  /// Creates the temporary file and writes the metadata and the rows up to
  /// sim.day(). Turns on the simulation's event log when event_share > 0.
  /// Throws IoError if the file cannot be created, UsageError for bad options.
  ResultsWriter(std::string path, Simulation& sim, ResultsOptions options);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  /// The first day after `day` at which write() must see the simulation (a
  /// snapshot day), or the horizon.
  int next_stop(int day) const;
  /// Takes the events since the last call and writes the snapshot if today
  /// is a snapshot day. New KPI rows and events go to the temporary file
  /// when flush_seconds have passed since it was last brought up to date
  /// (rows stay in the simulation meanwhile), so that frequent calls cost
  /// next to nothing and a killed run has written all but the last moments.
  void write(Simulation& sim);
  /// Writes the rest, closes the file, syncs it and renames it onto the
  /// final name. On failure the temporary file is removed and the error thrown.
  void commit(Simulation& sim);
  /// Removes the temporary file without committing (never throws).
  void discard() noexcept;

  /// The final name.
  const std::string& path() const noexcept;
  /// The temporary name the file has until commit().
  const std::string& temp_path() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// What a checkpoint holds besides the engine state.
struct CheckpointOptions {
  std::string scenario_yaml;  ///< the scenario as YAML text (a resumed run is built from it)
  TextAttributes attributes;  ///< extra text attributes (e.g. the settings to resume with)
  int compression = 1;        ///< deflate level, 0 to 9 (checkpoints favour speed)
};

/// Writes the full engine state of `sim` (agents, KPI tables so far,
/// campaign budgets and adstock, day, seed) to `path`, atomically like a
/// results file. Throws IoError.
void write_checkpoint(const std::string& path, const Simulation& sim, const CheckpointOptions& options);

/// Names of the agent columns, in the order files list them (for snapshot_columns).
std::vector<std::string> agent_column_names();

}  // namespace crmsim
