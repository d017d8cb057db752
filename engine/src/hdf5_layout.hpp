// Names and storage choices shared by the results and checkpoint writers
// and readers (internal to the engine). docs/results-format.md documents
// the layout they produce.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent_columns.hpp"
#include "crmsim/build_info.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/hdf5_output.hpp"
#include "crmsim/simulation.hpp"
#include "hdf5_support.hpp"

namespace crmsim::detail::layout {

/// Elements per chunk of agent columns: 64 Ki agents (a few hundred KiB).
inline constexpr hsize_t agent_chunk = 65536;
/// Events per chunk of the event log.
inline constexpr hsize_t event_chunk = 16384;
/// Rows per chunk of the 1-D daily columns.
inline constexpr hsize_t daily_chunk = 1024;

/// Rows per chunk of a (day, group, column) table: about 64 KiB, 16 to 1024 rows.
inline hsize_t table_chunk_rows(std::size_t row_values, std::size_t value_bytes) {
  const std::size_t row_bytes = std::max<std::size_t>(1, row_values * value_bytes);
  return static_cast<hsize_t>(std::clamp<std::size_t>(65536 / row_bytes, 16, 1024));
}

/// Unit of a KPI column, from its name's suffix.
inline std::string unit_of(std::string_view column) {
  auto ends_with = [&](std::string_view suffix) {
    return column.size() >= suffix.size() && column.substr(column.size() - suffix.size()) == suffix;
  };
  if (ends_with("_cents")) return "cents";
  if (ends_with("_micros")) return "micros (millionths of the currency)";
  return "count";
}

template <std::size_t N>
std::vector<std::string> strings(const std::array<std::string_view, N>& names) {
  return std::vector<std::string>(names.begin(), names.end());
}

/// Value tier names of a scenario ("all" when it has none).
inline std::vector<std::string> tier_names(const ScenarioSpec& spec) {
  std::vector<std::string> out;
  for (const auto& t : spec.value_tiers) out.push_back(t.name);
  if (out.empty()) out.push_back("all");
  return out;
}

/// FNV-1a, 64 bits, of a text: the digest of the scenario text kept beside it.
inline std::uint64_t text_digest(std::string_view text) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

/// Root attributes every file has: what wrote it and what it ran.
inline void write_provenance(const h5::Context& ctx, hid_t root, std::string_view format, int version,
                             const Simulation& sim, const std::string& scenario_yaml,
                             const TextAttributes& extra) {
  h5::write_attribute(ctx, root, "format", std::string(format));
  h5::write_attribute(ctx, root, "format_version", static_cast<std::int64_t>(version));
  h5::write_attribute(ctx, root, "crmsim_version", std::string(engine_version));
  h5::write_attribute(ctx, root, "git_commit", std::string(git_commit));
  h5::write_attribute(ctx, root, "seed", static_cast<std::uint64_t>(sim.options().seed));
  h5::write_attribute(ctx, root, "days", static_cast<std::int64_t>(sim.horizon()));
  h5::write_attribute(ctx, root, "threads", static_cast<std::int64_t>(sim.threads()));
  h5::write_attribute(ctx, root, "agents", static_cast<std::int64_t>(sim.agents().size()));
  h5::write_attribute(ctx, root, "scenario_name", sim.scenario().name);
  h5::write_attribute(ctx, root, "scenario_yaml", scenario_yaml);
  h5::write_attribute(ctx, root, "scenario_yaml_fnv1a64", text_digest(scenario_yaml));
  for (const auto& [name, value] : extra) h5::write_attribute(ctx, root, name, value);
}

/// The scenario text of a file being read, checked against its digest.
///
/// The text lives in a global heap, which carries no checksum: a flipped bit
/// in "days: 30" resumed a run for 20 days, and a zero byte cut the text
/// short (found by fuzzing). The digest sits in the root's object header,
/// which does. Files written before the digest existed have none and are
/// read as before.
inline std::string read_scenario_yaml(const h5::Context& ctx, hid_t root) {
  std::string text = h5::read_string_attribute(ctx, root, "scenario_yaml");
  if (h5::has_attribute(root, "scenario_yaml_fnv1a64") &&
      h5::read_uint_attribute(ctx, root, "scenario_yaml_fnv1a64") != text_digest(text)) {
    ctx.fail("is damaged: its scenario text (attribute 'scenario_yaml') does not match the digest "
             "written with it");
  }
  return text;
}

/// Checks `format` and `format_version` of a file being read; fails naming what is wrong.
inline int check_format(const h5::Context& ctx, hid_t root, std::string_view format, int newest,
                        std::string_view other_format, std::string_view other_hint) {
  if (!h5::has_attribute(root, "format")) {
    ctx.fail("is an HDF5 file but not a crmsim file (it has no 'format' attribute)");
  }
  std::string found;
  try {
    found = h5::read_string_attribute(ctx, root, "format");
  } catch (const Error&) {
    ctx.fail("is an HDF5 file but not a crmsim file (its 'format' attribute is not text)");
  }
  if (found == other_format) ctx.fail("is a " + std::string(other_format) + " file, not a " +
                                      std::string(format) + " file; " + std::string(other_hint));
  if (found != format) {
    ctx.fail("is an HDF5 file but not a " + std::string(format) + " file (its format is '" + found + "')");
  }
  const std::int64_t version = h5::read_int_attribute(ctx, root, "format_version");
  if (version > newest) {
    ctx.fail("has format version " + std::to_string(version) + ", newer than this crmsim (" +
             std::string(engine_version) + ") reads (up to " + std::to_string(newest) +
             "): upgrade crmsim to read it");
  }
  if (version < 1) ctx.fail("has an invalid format version " + std::to_string(version));
  return static_cast<int>(version);
}

/// What a reader expects of a file: its format, the newest version it
/// reads, and the other crmsim format with a hint for one given by mistake.
struct Expected {
  std::string_view format;
  int newest = 1;
  std::string_view other_format;
  std::string_view other_hint;
};

/// Opens ctx.path for reading, checks its format and version, and reads the
/// root attributes that write_provenance() wrote into `out` (the reverse of
/// write_provenance: results files and checkpoints share it).
inline h5::Id open_crmsim_file(const h5::Context& ctx, const Expected& expected, FileProvenance& out) {
  h5::Id file = h5::open_for_reading(ctx);
  const hid_t root = file.get();
  out.path = ctx.path;
  out.format_version =
      check_format(ctx, root, expected.format, expected.newest, expected.other_format, expected.other_hint);
  out.crmsim_version = h5::read_string_attribute(ctx, root, "crmsim_version");
  out.git_commit = h5::read_string_attribute(ctx, root, "git_commit");
  out.scenario_name = h5::read_string_attribute(ctx, root, "scenario_name");
  out.scenario_yaml = read_scenario_yaml(ctx, root);
  out.seed = h5::read_uint_attribute(ctx, root, "seed");
  out.days = static_cast<int>(h5::read_int_attribute(ctx, root, "days"));
  out.threads = static_cast<int>(h5::read_int_attribute(ctx, root, "threads"));
  out.agents = h5::read_int_attribute(ctx, root, "agents");
  if (out.agents < 0) ctx.fail("has a negative agent count");
  out.attributes = h5::read_text_attributes(ctx, root);
  return file;
}

/// Writes the agent columns of `a` that `chosen(name)` picks into `group`,
/// one dataset each, in chunks of agent_chunk agents, deflate `level`
/// (snapshots and checkpoints share it).
template <class Chosen>
void write_agent_columns(const h5::Context& ctx, hid_t group, const AgentArrays& a, int level,
                         Chosen&& chosen) {
  const auto n = static_cast<hsize_t>(a.size());
  h5::Storage storage;
  storage.deflate = level;
  detail::for_each_agent_column(a, [&](const char* column, const auto& values, int width) {
    if (!chosen(std::string_view(column))) return;
    std::vector<hsize_t> dims{n};
    storage.chunk = {std::min<hsize_t>(n, agent_chunk)};
    if (width != 1) {
      dims.push_back(static_cast<hsize_t>(width));
      storage.chunk.push_back(static_cast<hsize_t>(width));
    }
    h5::write_array(ctx, group, column, values.data(), dims, storage);
  });
}

}  // namespace crmsim::detail::layout
