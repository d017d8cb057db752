// Reading results files and checkpoints (layout: docs/results-format.md).
// Every failure is a crmsim::IoError (cannot read) or FileFormatError (not a
// crmsim file of a version this engine reads, truncated, inconsistent) that
// names the file and says what is wrong; HDF5 prints nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crmsim/hdf5_output.hpp"
#include "crmsim/simulation.hpp"

namespace crmsim {

/// Values of a dataset in row-major order and its shape.
template <class T>
struct Array {
  std::vector<T> values;           ///< row-major values
  std::vector<std::size_t> shape;  ///< extent of each dimension
};

/// One agent column of a snapshot, kept as raw bytes of its element type.
struct AgentColumn {
  std::string name;                ///< column name (see agent_column_names())
  std::string dtype;               ///< numpy name of the element type: uint8, uint16, int32, int64, float32
  std::vector<std::size_t> shape;  ///< (agents) or (agents, width)
  std::vector<unsigned char> bytes;  ///< values, native byte order
};

/// The event log of a results file, one entry per event in each vector.
struct EventColumns {
  double share = 0.0;                 ///< share of agents whose events were logged
  std::vector<std::int32_t> day;      ///< simulation day
  std::vector<std::uint32_t> agent;   ///< agent id
  std::vector<std::uint8_t> segment;  ///< segment index
  std::vector<std::uint8_t> kind;     ///< EventKind
  std::vector<std::uint8_t> campaign; ///< campaign index + 1; 0 = organic
};

/// The events of an event log as the engine's Event records (to write them
/// into another file: ResultsOptions::earlier_events).
std::vector<Event> to_events(const EventColumns& columns);

/// What every crmsim file records about itself and the run it came from
/// (its root attributes); results files and checkpoints both begin with it.
struct FileProvenance {
  std::string path;              ///< the file read
  int format_version = 0;        ///< layout version of the file
  std::string crmsim_version;    ///< crmsim version that wrote it
  std::string git_commit;        ///< commit that crmsim was built from
  std::string scenario_name;     ///< scenario name
  std::string scenario_yaml;     ///< the scenario as YAML text
  std::uint64_t seed = 0;        ///< run seed
  int days = 0;                  ///< horizon in days
  int threads = 0;               ///< worker threads of the run that wrote it
  std::int64_t agents = 0;       ///< population size
  TextAttributes attributes;     ///< every text attribute of the root group
};

/// A results file read into memory (all but the snapshots, read on demand).
/// KPI tables are in the engine's column order whatever order the file has.
struct ResultsData : FileProvenance {
  std::string start_time;            ///< ISO 8601 UTC time writing began
  std::string finish_time;           ///< ISO 8601 UTC time the file was completed
  double elapsed_seconds = 0.0;      ///< wall-clock seconds from writer creation to commit
  int days_simulated = 0;            ///< last day in the KPI tables
  int written_from_day = 0;          ///< day writing began (snapshots and events cover later days)
  std::vector<std::string> segments; ///< segment names
  std::vector<std::string> campaigns;  ///< campaign names
  std::vector<std::string> channels;   ///< channel names
  std::vector<std::string> tiers;      ///< value tier names
  Array<std::int64_t> kpis;            ///< (day, segment, Kpi)
  Array<std::int64_t> campaign_kpis;   ///< (day, campaign, CampaignKpi)
  Array<std::int64_t> measurement_buckets;  ///< (campaign, [treated, holdout], bucket, BucketKpi), whole run
  Array<std::int64_t> tier_kpis;       ///< (day, segment, tier, TierKpi)
  std::vector<std::int64_t> campaign_spent_micros;  ///< per campaign at the end, millionths
  std::vector<double> campaign_adstock;             ///< per campaign at the end
  std::vector<int> snapshot_days;      ///< days with an agent snapshot, ascending
  bool has_events = false;             ///< whether the file has an event log
  EventColumns events;                 ///< the event log (empty without one)
};

/// Reads a results file. Throws IoError / FileFormatError.
ResultsData read_results(const std::string& path);

/// Reads the agent snapshot of `day` (every column it has). Throws
/// FileFormatError if there is none for that day.
std::vector<AgentColumn> read_snapshot(const std::string& path, int day);

/// A checkpoint read into memory: the engine state and what it was made from.
struct CheckpointData : FileProvenance {
  std::string created;           ///< ISO 8601 UTC time it was written
  SimulationState state;         ///< day, seed, agents, tables, campaign state
};

/// Reads a checkpoint. Throws IoError / FileFormatError.
CheckpointData read_checkpoint(const std::string& path);

}  // namespace crmsim
