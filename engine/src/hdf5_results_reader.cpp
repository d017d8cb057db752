// Reading a results file back: metadata, names, KPI tables (mapped to the
// engine's column order by name), the event log and snapshots.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "hdf5_layout.hpp"
#include "hdf5_support.hpp"

namespace crmsim {

namespace h5 = detail::h5;
namespace layout = detail::layout;
using h5::Id;

namespace {

/// Reads table `name` of shape (rows, groups..., columns) and reorders its
/// last dimension into `wanted` column order, matching columns by the
/// dataset's `columns` attribute. A missing column is an error; extra ones
/// (from a later crmsim) are dropped.
template <class T, std::size_t N>
Array<T> read_table(const h5::Context& ctx, hid_t kpis, const char* name,
                    const std::array<std::string_view, N>& wanted, std::vector<std::size_t> groups,
                    std::size_t rows) {
  const std::string where = std::string("/kpis/") + name;
  if (!h5::exists(kpis, name)) ctx.fail("has no dataset " + where);
  Id set(ctx.check(H5Dopen2(kpis, name, H5P_DEFAULT), "cannot open " + where));
  const auto columns = h5::read_strings_attribute(ctx, set.get(), "columns");
  set.reset();
  std::vector<hsize_t> dims;
  const auto values = h5::read_array<T>(ctx, kpis, name, &dims);
  std::vector<hsize_t> expected{rows};
  for (auto g : groups) expected.push_back(g);
  expected.push_back(columns.size());
  if (dims != expected) {
    std::string text;
    for (auto d : dims) text += (text.empty() ? "" : ", ") + std::to_string(d);
    std::string want;
    for (auto d : expected) want += (want.empty() ? "" : ", ") + std::to_string(d);
    ctx.fail(where + " has shape (" + text + "), expected (" + want + ")");
  }
  std::vector<std::size_t> from(N);
  for (std::size_t k = 0; k < N; ++k) {
    const auto it = std::find(columns.begin(), columns.end(), std::string(wanted[k]));
    if (it == columns.end()) ctx.fail(where + " has no column '" + std::string(wanted[k]) + "'");
    from[k] = static_cast<std::size_t>(it - columns.begin());
  }
  Array<T> out;
  out.shape = {rows};
  out.shape.insert(out.shape.end(), groups.begin(), groups.end());
  out.shape.push_back(N);
  std::size_t lines = rows;
  for (auto g : groups) lines *= g;
  out.values.resize(lines * N);
  for (std::size_t line = 0; line < lines; ++line) {
    for (std::size_t k = 0; k < N; ++k) out.values[line * N + k] = values[line * columns.size() + from[k]];
  }
  return out;
}

std::vector<std::string> names(const h5::Context& ctx, hid_t root, const char* what) {
  const std::string where = std::string("/names/") + what;
  if (!h5::exists(root, where)) ctx.fail("has no dataset " + where);
  return h5::read_strings(ctx, root, where);
}

template <class T>
std::vector<T> read_events_column(const h5::Context& ctx, hid_t group, const char* name, std::size_t n) {
  std::vector<hsize_t> dims;
  auto values = h5::read_array<T>(ctx, group, name, &dims);
  if (dims.size() != 1 || dims[0] != n) ctx.fail(std::string("/events/") + name + " has the wrong length");
  return values;
}

/// Every event must name a kind, segment and campaign the file has, on a
/// day the file covers.
void check_events(const h5::Context& ctx, const ResultsData& r) {
  const auto& e = r.events;
  for (std::size_t k = 0; k < e.day.size(); ++k) {
    const char* bad = nullptr;
    if (e.day[k] <= r.written_from_day || e.day[k] > r.days_simulated) bad = "day";
    else if (e.kind[k] >= event_kind_count) bad = "kind";
    else if (e.segment[k] >= r.segments.size()) bad = "segment";
    else if (e.campaign[k] > r.campaigns.size()) bad = "campaign";
    if (bad != nullptr) {
      ctx.fail("/events/" + std::string(bad) + " of event " + std::to_string(k) + " is out of range");
    }
  }
}

}  // namespace

std::vector<Event> to_events(const EventColumns& columns) {
  std::vector<Event> out(columns.day.size());
  for (std::size_t k = 0; k < out.size(); ++k) {
    out[k] = {columns.day[k], columns.agent[k], columns.segment[k], static_cast<EventKind>(columns.kind[k]),
              columns.campaign[k]};
  }
  return out;
}

ResultsData read_results(const std::string& path) {
  h5::quiet();
  h5::Context ctx{path, true};
  ResultsData out;
  Id file = layout::open_crmsim_file(
      ctx, {results_format_name, results_format_version, checkpoint_format_name,
            "finish the run with crmsim resume, then load its results"},
      out);
  const hid_t root = file.get();
  out.start_time = h5::read_string_attribute(ctx, root, "start_time");
  out.written_from_day = static_cast<int>(h5::read_int_attribute(ctx, root, "written_from_day"));
  // Written last: a file without them was never completed (a leftover
  // temporary file renamed by hand, for instance).
  if (!h5::has_attribute(root, "finish_time") || !h5::has_attribute(root, "days_simulated")) {
    ctx.fail("is incomplete: the run that wrote it did not finish (no 'finish_time' attribute)");
  }
  out.finish_time = h5::read_string_attribute(ctx, root, "finish_time");
  out.elapsed_seconds = h5::read_double_attribute(ctx, root, "elapsed_seconds");
  out.days_simulated = static_cast<int>(h5::read_int_attribute(ctx, root, "days_simulated"));
  if (out.days_simulated < 0 || out.days_simulated > out.days) {
    ctx.fail("days_simulated " + std::to_string(out.days_simulated) + " is outside the horizon");
  }

  out.segments = names(ctx, root, "segments");
  out.campaigns = names(ctx, root, "campaigns");
  out.channels = names(ctx, root, "channels");
  out.tiers = names(ctx, root, "tiers");

  if (!h5::exists(root, "/kpis")) ctx.fail("has no /kpis group");
  Id kpis(ctx.check(H5Gopen2(root, "/kpis", H5P_DEFAULT), "cannot open /kpis"));
  const auto rows = static_cast<std::size_t>(out.days_simulated + 1);
  const std::size_t segs = out.segments.size();
  const std::size_t camps = out.campaigns.size();
  out.kpis = read_table<std::int64_t>(ctx, kpis.get(), "segments", kpi_names, {segs}, rows);
  out.campaign_kpis = read_table<std::int64_t>(ctx, kpis.get(), "campaigns", campaign_kpi_names, {camps}, rows);
  out.tier_kpis = read_table<std::int64_t>(ctx, kpis.get(), "tiers", tier_kpi_names, {segs, out.tiers.size()}, rows);

  if (!h5::exists(root, "/campaigns")) ctx.fail("has no /campaigns group");
  Id camp(ctx.check(H5Gopen2(root, "/campaigns", H5P_DEFAULT), "cannot open /campaigns"));
  out.campaign_spent_micros = h5::read_array<std::int64_t>(ctx, camp.get(), "spent_micros");
  out.campaign_adstock = h5::read_array<double>(ctx, camp.get(), "adstock");
  {
    std::vector<hsize_t> dims;
    out.measurement_buckets.values =
        h5::read_array<std::int64_t>(ctx, camp.get(), "measurement_buckets", &dims);
    const std::vector<hsize_t> expected{camps, 2, static_cast<hsize_t>(measurement_bucket_count),
                                        static_cast<hsize_t>(bucket_kpi_count)};
    if (dims != expected) ctx.fail("/campaigns/measurement_buckets has the wrong shape");
    out.measurement_buckets.shape.assign(dims.begin(), dims.end());
  }
  if (out.campaign_spent_micros.size() != camps || out.campaign_adstock.size() != camps) {
    ctx.fail("/campaigns has the wrong length");
  }

  if (h5::exists(root, "/snapshots")) {
    Id snaps(ctx.check(H5Gopen2(root, "/snapshots", H5P_DEFAULT), "cannot open /snapshots"));
    for (const auto& member : h5::members(ctx, snaps.get(), "/snapshots")) {
      int day = -1;
      char extra = 0;
      if (std::sscanf(member.c_str(), "day_%d%c", &day, &extra) == 1 && day >= 0) {
        out.snapshot_days.push_back(day);
      }
    }
    std::sort(out.snapshot_days.begin(), out.snapshot_days.end());
  }

  if (h5::exists(root, "/events")) {
    Id ev(ctx.check(H5Gopen2(root, "/events", H5P_DEFAULT), "cannot open /events"));
    out.has_events = true;
    out.events.share = h5::read_double_attribute(ctx, ev.get(), "share");
    out.events.day = h5::read_array<std::int32_t>(ctx, ev.get(), "day");
    const std::size_t n = out.events.day.size();
    out.events.agent = read_events_column<std::uint32_t>(ctx, ev.get(), "agent", n);
    out.events.segment = read_events_column<std::uint8_t>(ctx, ev.get(), "segment", n);
    out.events.kind = read_events_column<std::uint8_t>(ctx, ev.get(), "kind", n);
    out.events.campaign = read_events_column<std::uint8_t>(ctx, ev.get(), "campaign", n);
    check_events(ctx, out);
  }
  return out;
}

std::vector<AgentColumn> read_snapshot(const std::string& path, int day) {
  h5::quiet();
  h5::Context ctx{path, true};
  Id file = h5::open_for_reading(ctx);
  char name[40];
  std::snprintf(name, sizeof name, "/snapshots/day_%05d", day);
  if (!h5::exists(file.get(), name)) ctx.fail("has no agent snapshot of day " + std::to_string(day));
  Id group(ctx.check(H5Gopen2(file.get(), name, H5P_DEFAULT), std::string("cannot open ") + name));
  std::vector<AgentColumn> out;
  for (const auto& member : h5::members(ctx, group.get(), name)) {
    Id set(ctx.check(H5Dopen2(group.get(), member.c_str(), H5P_DEFAULT), "cannot open " + member));
    Id type(ctx.check(H5Dget_type(set.get()), "cannot read " + member));
    const H5T_class_t cls = H5Tget_class(type.get());
    const std::size_t size = H5Tget_size(type.get());
    const bool is_signed = cls == H5T_INTEGER && H5Tget_sign(type.get()) == H5T_SGN_2;
    AgentColumn col;
    col.name = member;
    hid_t mem = H5I_INVALID_HID;
    if (cls == H5T_FLOAT && size == 4) { col.dtype = "float32"; mem = H5T_NATIVE_FLOAT; }
    else if (cls == H5T_FLOAT && size == 8) { col.dtype = "float64"; mem = H5T_NATIVE_DOUBLE; }
    else if (cls == H5T_INTEGER && size == 1) { col.dtype = is_signed ? "int8" : "uint8"; mem = is_signed ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8; }
    else if (cls == H5T_INTEGER && size == 2) { col.dtype = is_signed ? "int16" : "uint16"; mem = is_signed ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT16; }
    else if (cls == H5T_INTEGER && size == 4) { col.dtype = is_signed ? "int32" : "uint32"; mem = is_signed ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT32; }
    else if (cls == H5T_INTEGER && size == 8) { col.dtype = is_signed ? "int64" : "uint64"; mem = is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64; }
    else ctx.fail(std::string(name) + "/" + member + " has an element type crmsim does not write");
    const auto dims = h5::shape(ctx, set.get(), member);
    std::size_t count = 1;
    for (hsize_t d : dims) {
      col.shape.push_back(static_cast<std::size_t>(d));
      count *= static_cast<std::size_t>(d);
    }
    col.bytes.resize(count * size);
    if (count > 0) {
      ctx.check_status(H5Dread(set.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, col.bytes.data()),
                       std::string("cannot read ") + name + "/" + member);
    }
    out.push_back(std::move(col));
  }
  // The engine's column order, not HDF5's name order.
  const auto order = agent_column_names();
  auto rank = [&](const AgentColumn& c) {
    return static_cast<std::size_t>(std::find(order.begin(), order.end(), c.name) - order.begin());
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const AgentColumn& x, const AgentColumn& y) { return rank(x) < rank(y); });
  return out;
}

}  // namespace crmsim
