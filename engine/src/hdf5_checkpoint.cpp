// Checkpoints: the full engine state in one HDF5 file, written atomically,
// and read back into a SimulationState (layout: docs/results-format.md).
#include <string>
#include <type_traits>
#include <vector>

#include "agent_columns.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/hdf5_output.hpp"
#include "hdf5_layout.hpp"
#include "hdf5_support.hpp"

namespace crmsim {

namespace h5 = detail::h5;
namespace layout = detail::layout;
using h5::Id;

namespace {

template <class T>
void write_table(const h5::Context& ctx, hid_t loc, const char* name, const DailyTable<T>& table,
                 int day, int level) {
  const std::vector<hsize_t> dims{static_cast<hsize_t>(day + 1), static_cast<hsize_t>(table.groups()),
                                  static_cast<hsize_t>(table.columns())};
  h5::Storage storage;
  storage.chunk = dims;
  storage.chunk[0] = std::min<hsize_t>(dims[0], layout::table_chunk_rows(
      static_cast<std::size_t>(table.groups() * table.columns()), sizeof(T)));
  storage.deflate = level;
  h5::write_array(ctx, loc, name, table.data(), dims, storage);
}

}  // namespace

void write_checkpoint(const std::string& path, const Simulation& sim, const CheckpointOptions& options) {
  h5::quiet();
  if (options.compression < 0 || options.compression > 9) {
    throw UsageError(path + ": compression must be 0 to 9, got " + std::to_string(options.compression));
  }
  h5::AtomicFile file(path);
  const auto& c = file.context();
  const hid_t root = file.get();
  layout::write_provenance(c, root, checkpoint_format_name, checkpoint_format_version, sim,
                           options.scenario_yaml, options.attributes);
  h5::write_attribute(c, root, "created", h5::utc_now());
  h5::write_attribute(c, root, "day", static_cast<std::int64_t>(sim.day()));

  const AgentArrays& a = sim.agents();
  Id agents = h5::create_group(c, root, "state/agents");
  h5::write_attribute(c, agents.get(), "contact_slots", static_cast<std::int64_t>(a.contact_slots));
  layout::write_agent_columns(c, agents.get(), a, options.compression, [](std::string_view) { return true; });

  Id tables = h5::create_group(c, root, "state/kpis");
  write_table(c, tables.get(), "segments", sim.kpis(), sim.day(), options.compression);
  write_table(c, tables.get(), "campaigns", sim.campaign_kpis(), sim.day(), options.compression);
  const auto& buckets = sim.measurement_buckets().values();
  const h5::Storage storage{{}, options.compression};
  h5::write_array(c, tables.get(), "measurement_buckets", buckets.data(), {buckets.size()}, storage);
  write_table(c, tables.get(), "tiers", sim.tier_kpis(), sim.day(), options.compression);

  Id camp = h5::create_group(c, root, "state/campaigns");
  const auto spent = sim.campaign_spent_micros();
  const auto adstock = sim.campaign_adstock();
  h5::write_array(c, camp.get(), "spent_micros", spent.data(), {spent.size()}, storage);
  h5::write_array(c, camp.get(), "adstock", adstock.data(), {adstock.size()}, storage);
  agents.reset();
  tables.reset();
  camp.reset();
  file.commit();
}

namespace {

/// Reads dataset `name` into `out`, checking that its element type is the
/// one the engine keeps (no silent conversion of state) and its shape.
template <class T>
void read_column(const h5::Context& ctx, hid_t group, const std::string& name, std::vector<T>& out,
                 const std::vector<hsize_t>& expected) {
  Id set(ctx.check(H5Dopen2(group, name.c_str(), H5P_DEFAULT), "has no dataset " + name));
  Id type(ctx.check(H5Dget_type(set.get()), "cannot read the type of " + name));
  const bool is_float = std::is_floating_point_v<T>;
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != (is_float ? H5T_FLOAT : H5T_INTEGER) || H5Tget_size(type.get()) != sizeof(T)) {
    ctx.fail(name + " has the wrong element type");
  }
  const auto dims = h5::shape(ctx, set.get(), name);
  if (dims != expected) ctx.fail(name + " has the wrong shape");
  std::size_t count = 1;
  for (hsize_t d : dims) count *= static_cast<std::size_t>(d);
  out.resize(count);
  if (count > 0) {
    ctx.check_status(H5Dread(set.get(), h5::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                     "cannot read " + name);
  }
}

template <class T>
std::vector<T> read_table(const h5::Context& ctx, hid_t group, const char* name, int day, int columns) {
  std::vector<hsize_t> dims;
  auto values = h5::read_array<T>(ctx, group, name, &dims);
  if (dims.size() != 3 || dims[0] != static_cast<hsize_t>(day + 1) ||
      dims[2] != static_cast<hsize_t>(columns)) {
    ctx.fail(std::string("state/kpis/") + name + " has the wrong shape");
  }
  return values;
}

}  // namespace

CheckpointData read_checkpoint(const std::string& path) {
  h5::quiet();
  h5::Context ctx{path, true};
  CheckpointData out;
  Id file = layout::open_crmsim_file(
      ctx, {checkpoint_format_name, checkpoint_format_version, results_format_name,
            "load it with crmsim.load; resume needs a checkpoint"},
      out);
  const hid_t root = file.get();
  out.created = h5::read_string_attribute(ctx, root, "created");
  SimulationState& s = out.state;
  s.seed = out.seed;
  s.day = static_cast<int>(h5::read_int_attribute(ctx, root, "day"));
  if (s.day < 0 || s.day > out.days) ctx.fail("day " + std::to_string(s.day) + " is outside the horizon");

  if (!h5::exists(root, "/state/agents")) ctx.fail("has no /state/agents group");
  Id group(ctx.check(H5Gopen2(root, "/state/agents", H5P_DEFAULT), "cannot open /state/agents"));
  const std::int64_t slots = h5::read_int_attribute(ctx, group.get(), "contact_slots");
  if (slots < 1 || slots > 255) ctx.fail("has an invalid contact_slots attribute");
  s.agents.contact_slots = static_cast<int>(slots);
  const auto n = static_cast<hsize_t>(out.agents);
  detail::for_each_agent_column(s.agents, [&](const char* column, auto& values, int width) {
    std::vector<hsize_t> dims{n};
    if (width != 1) dims.push_back(static_cast<hsize_t>(width));
    read_column(ctx, group.get(), column, values, dims);
  });

  if (!h5::exists(root, "/state/kpis")) ctx.fail("has no /state/kpis group");
  Id tables(ctx.check(H5Gopen2(root, "/state/kpis", H5P_DEFAULT), "cannot open /state/kpis"));
  s.kpis = read_table<std::int64_t>(ctx, tables.get(), "segments", s.day, kpi_count);
  s.campaign_kpis = read_table<std::int64_t>(ctx, tables.get(), "campaigns", s.day, campaign_kpi_count);
  // Its size is checked against the scenario when the run is restored.
  s.measurement_buckets = h5::read_array<std::int64_t>(ctx, tables.get(), "measurement_buckets");
  s.tier_kpis = read_table<std::int64_t>(ctx, tables.get(), "tiers", s.day, tier_kpi_count);

  if (!h5::exists(root, "/state/campaigns")) ctx.fail("has no /state/campaigns group");
  Id camp(ctx.check(H5Gopen2(root, "/state/campaigns", H5P_DEFAULT), "cannot open /state/campaigns"));
  s.campaign_spent_micros = h5::read_array<std::int64_t>(ctx, camp.get(), "spent_micros");
  s.campaign_adstock = h5::read_array<double>(ctx, camp.get(), "adstock");
  return out;
}

}  // namespace crmsim
