// The results writer: KPI tables, the daily totals, the event log and agent
// snapshots, appended as the run proceeds (layout: docs/results-format.md).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "agent_columns.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/hdf5_output.hpp"
#include "hdf5_layout.hpp"
#include "hdf5_support.hpp"

namespace crmsim {

using detail::h5::Appender;
using detail::h5::Id;
namespace h5 = detail::h5;
namespace layout = detail::layout;

std::vector<std::string> agent_column_names() {
  std::vector<std::string> names;
  const AgentArrays none;
  detail::for_each_agent_column(none, [&](const char* name, const auto&, int) { names.emplace_back(name); });
  return names;
}

struct ResultsWriter::Impl {
  Impl(std::string path, Simulation& sim, ResultsOptions opts)
      : file(std::move(path)), options(std::move(opts)), simulation(&sim),
        started(std::chrono::steady_clock::now()), last_flush(started) {}

  h5::AtomicFile file;
  ResultsOptions options;
  const Simulation* simulation;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point last_flush;
  std::vector<Event> pending_events;  ///< taken from the simulation, not yet in the file
  std::vector<std::string> snapshot_columns;
  Appender segments, campaigns, channels, tiers;
  std::vector<std::int32_t> channel_of;  ///< channel index of each campaign (also /campaigns/channel)
  int n_channels = 0;
  Appender daily_day;
  std::vector<Appender> daily;
  Appender event_day, event_agent, event_segment, event_kind, event_campaign;
  bool events = false;
  int rows = 0;              ///< KPI rows written (days 0 .. rows - 1)
  int last_write_day = -1;   ///< day of the last write()
  int last_snapshot = -1;    ///< day of the last snapshot

  const h5::Context& ctx() const { return file.context(); }

  void create(const Simulation& sim);
  void append_rows(const Simulation& sim);
  void append_events();
  void snapshot(const Simulation& sim);
  void write(Simulation& sim);
  /// Appends the rows and events not yet in the file and flushes it.
  void bring_up_to_date(const Simulation& sim) {
    append_rows(sim);
    append_events();
    file.flush();
    last_flush = std::chrono::steady_clock::now();
  }
  bool is_snapshot_day(int day) const {
    return options.snapshot_every > 0 && day % options.snapshot_every == 0;
  }
};

namespace {

void check_options(const ResultsOptions& o, const std::string& path, std::vector<std::string>& columns) {
  if (o.snapshot_every < 0) {
    throw UsageError(path + ": snapshot_every must be >= 0 days, got " + std::to_string(o.snapshot_every));
  }
  if (!(o.event_share >= 0.0 && o.event_share <= 1.0)) {
    throw UsageError(path + ": event share must be between 0 and 1, got " + std::to_string(o.event_share));
  }
  if (o.compression < 0 || o.compression > 9) {
    throw UsageError(path + ": compression must be 0 to 9, got " + std::to_string(o.compression));
  }
  if (o.events_from_day >= 0 && !(o.event_share > 0.0)) {
    throw UsageError(path + ": earlier events need an event share above 0");
  }
  if (o.events_from_day < 0 && !o.earlier_events.empty()) {
    throw UsageError(path + ": earlier events need the day they begin (events_from_day)");
  }
  if (!(o.flush_seconds >= 0.0)) {
    throw UsageError(path + ": flush_seconds must be >= 0, got " + std::to_string(o.flush_seconds));
  }
  const auto known = agent_column_names();
  if (o.snapshot_columns.empty()) {
    columns = known;
    return;
  }
  for (const auto& name : o.snapshot_columns) {
    bool found = false;
    for (const auto& k : known) found = found || k == name;
    if (!found) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw UsageError(path + ": unknown agent column '" + name + "' (known: " + list + ")");
    }
    bool repeated = false;
    for (const auto& c : columns) repeated = repeated || c == name;
    if (!repeated) columns.push_back(name);
  }
}

template <class T>
void append_table(const h5::Context& ctx, Appender& out, const DailyTable<T>& table, int from, int to) {
  const auto row = static_cast<std::size_t>(table.groups()) * static_cast<std::size_t>(table.columns());
  out.append(ctx, table.data() + static_cast<std::size_t>(from) * row, static_cast<hsize_t>(to - from));
}

/// Earlier events must lie after events_from_day and by today, in day order.
void check_earlier_events(const ResultsOptions& o, const std::string& path, int today) {
  if (o.events_from_day > today) {
    throw UsageError(path + ": events_from_day " + std::to_string(o.events_from_day) +
                     " is after the simulation's day " + std::to_string(today));
  }
  int last = o.events_from_day + 1;
  for (const Event& e : o.earlier_events) {
    if (e.day < last || e.day > today) {
      throw UsageError(path + ": an earlier event of day " + std::to_string(e.day) +
                       " is out of day order or outside days " + std::to_string(o.events_from_day + 1) +
                       " to " + std::to_string(today));
    }
    last = e.day;
  }
}

/// Rows from .. to - 1 of the campaign table summed over each channel's
/// campaigns: (rows, channels, CampaignKpi), row-major.
std::vector<std::int64_t> channel_rows(const DailyTable<std::int64_t>& campaigns,
                                       const std::vector<std::int32_t>& channel_of, int n_channels, int from,
                                       int to) {
  const auto columns = static_cast<std::size_t>(campaigns.columns());
  const auto per_day = static_cast<std::size_t>(n_channels) * columns;
  std::vector<std::int64_t> out(static_cast<std::size_t>(to - from) * per_day, 0);
  for (int day = from; day < to; ++day) {
    const std::int64_t* row = campaigns.data() + static_cast<std::size_t>(day) *
                                                     static_cast<std::size_t>(campaigns.groups()) * columns;
    std::int64_t* sums = out.data() + static_cast<std::size_t>(day - from) * per_day;
    for (std::size_t c = 0; c < channel_of.size(); ++c) {
      std::int64_t* channel = sums + static_cast<std::size_t>(channel_of[c]) * columns;
      for (std::size_t k = 0; k < columns; ++k) channel[k] += row[c * columns + k];
    }
  }
  return out;
}

}  // namespace

void ResultsWriter::Impl::create(const Simulation& sim) {
  const auto& c = ctx();
  const hid_t root = file.get();
  const ScenarioSpec& spec = sim.scenario();
  layout::write_provenance(c, root, results_format_name, results_format_version, sim,
                           options.scenario_yaml, options.attributes);
  h5::write_attribute(c, root, "start_time", h5::utc_now());
  const int from_day = options.events_from_day >= 0 ? options.events_from_day : sim.day();
  h5::write_attribute(c, root, "written_from_day", static_cast<std::int64_t>(from_day));

  std::vector<std::string> segment_names, campaign_names, channel_names;
  for (const auto& s : spec.segments) segment_names.push_back(s.name);
  for (const auto& s : spec.campaigns) campaign_names.push_back(s.name);
  for (const auto& s : spec.channels) channel_names.push_back(s.name);
  Id names = h5::create_group(c, root, "names");
  h5::write_strings(c, names.get(), "segments", segment_names);
  h5::write_strings(c, names.get(), "campaigns", campaign_names);
  h5::write_strings(c, names.get(), "channels", channel_names);
  h5::write_strings(c, names.get(), "tiers", layout::tier_names(spec));
  h5::write_strings(c, names.get(), "states", layout::strings(state_names));
  h5::write_strings(c, names.get(), "event_kinds", layout::strings(event_kind_names));

  const int level = options.compression;
  Id camp = h5::create_group(c, root, "campaigns");
  for (const auto& s : spec.campaigns) channel_of.push_back(s.channel);
  n_channels = static_cast<int>(spec.channels.size());
  h5::write_array(c, camp.get(), "channel", channel_of.data(), {channel_of.size()}, {{}, level});

  Id kpis = h5::create_group(c, root, "kpis");
  const auto n_seg = static_cast<hsize_t>(spec.segments.size());
  const auto n_camp = static_cast<hsize_t>(spec.campaigns.size());
  const auto n_tier = static_cast<hsize_t>(sim.tiers());
  auto table = [&](const char* name, std::vector<hsize_t> row_dims, std::size_t value_bytes,
                   auto type_tag, const std::vector<std::string>& dims,
                   const std::vector<std::string>& columns, const std::vector<std::string>& units) {
    std::size_t row_values = 1;
    for (hsize_t d : row_dims) row_values *= static_cast<std::size_t>(d);
    using T = decltype(type_tag);
    Appender a = Appender::create<T>(c, kpis.get(), name, std::move(row_dims),
                                     layout::table_chunk_rows(row_values, value_bytes), level);
    h5::write_attribute(c, a.get(), "dims", dims);
    h5::write_attribute(c, a.get(), "columns", columns);
    h5::write_attribute(c, a.get(), "units", units);
    return a;
  };
  auto units_of = [](const std::vector<std::string>& columns) {
    std::vector<std::string> units;
    for (const auto& col : columns) units.push_back(layout::unit_of(col));
    return units;
  };
  const auto kpi_columns = layout::strings(kpi_names);
  const auto campaign_columns = layout::strings(campaign_kpi_names);
  const auto tier_columns = layout::strings(tier_kpi_names);
  segments = table("segments", {n_seg, static_cast<hsize_t>(kpi_count)}, 8, std::int64_t{},
                   {"day", "segment", "column"}, kpi_columns, units_of(kpi_columns));
  campaigns = table("campaigns", {n_camp, static_cast<hsize_t>(campaign_kpi_count)}, 8, std::int64_t{},
                    {"day", "campaign", "column"}, campaign_columns, units_of(campaign_columns));
  channels = table("channels", {static_cast<hsize_t>(n_channels), static_cast<hsize_t>(campaign_kpi_count)}, 8,
                   std::int64_t{}, {"day", "channel", "column"}, campaign_columns, units_of(campaign_columns));
  tiers = table("tiers", {n_seg, n_tier, static_cast<hsize_t>(tier_kpi_count)}, 8, std::int64_t{},
                {"day", "segment", "tier", "column"}, tier_columns, units_of(tier_columns));

  // The flat table: one 1-D dataset per KPI, summed over segments.
  Id daily_group = h5::create_group(c, kpis.get(), "daily");
  daily_day = Appender::create<std::int32_t>(c, daily_group.get(), "day", {}, layout::daily_chunk, level);
  h5::write_attribute(c, daily_day.get(), "units", std::string("day"));
  for (const auto& col : kpi_columns) {
    daily.push_back(Appender::create<std::int64_t>(c, daily_group.get(), col, {}, layout::daily_chunk, level));
    h5::write_attribute(c, daily.back().get(), "units", layout::unit_of(col));
  }
  h5::write_attribute(c, daily_group.get(), "columns", kpi_columns);

  Id snapshots = h5::create_group(c, root, "snapshots");
  h5::write_attribute(c, snapshots.get(), "every_days", static_cast<std::int64_t>(options.snapshot_every));
  h5::write_attribute(c, snapshots.get(), "columns", snapshot_columns);

  if (options.event_share > 0.0) {
    events = true;
    Id ev = h5::create_group(c, root, "events");
    h5::write_attribute(c, ev.get(), "share", options.event_share);
    h5::write_attribute(c, ev.get(), "kinds", layout::strings(event_kind_names));
    const hsize_t chunk = layout::event_chunk;
    event_day = Appender::create<std::int32_t>(c, ev.get(), "day", {}, chunk, level);
    event_agent = Appender::create<std::uint32_t>(c, ev.get(), "agent", {}, chunk, level);
    event_segment = Appender::create<std::uint8_t>(c, ev.get(), "segment", {}, chunk, level);
    event_kind = Appender::create<std::uint8_t>(c, ev.get(), "kind", {}, chunk, level);
    event_campaign = Appender::create<std::uint8_t>(c, ev.get(), "campaign", {}, chunk, level);
  }
}

void ResultsWriter::Impl::append_rows(const Simulation& sim) {
  const int from = rows;
  const int to = sim.day() + 1;
  if (to <= from) return;
  const auto& c = ctx();
  append_table(c, segments, sim.kpis(), from, to);
  append_table(c, campaigns, sim.campaign_kpis(), from, to);
  const auto by_channel = channel_rows(sim.campaign_kpis(), channel_of, n_channels, from, to);
  channels.append(c, by_channel.data(), static_cast<hsize_t>(to - from));
  append_table(c, tiers, sim.tier_kpis(), from, to);
  const auto n = static_cast<std::size_t>(to - from);
  std::vector<std::int32_t> days(n);
  for (std::size_t k = 0; k < n; ++k) days[k] = from + static_cast<int>(k);
  daily_day.append(c, days.data(), n);
  std::vector<std::int64_t> totals(n);
  for (int col = 0; col < kpi_count; ++col) {
    for (std::size_t k = 0; k < n; ++k) totals[k] = sim.kpis().total(from + static_cast<int>(k), static_cast<Kpi>(col));
    daily[static_cast<std::size_t>(col)].append(c, totals.data(), n);
  }
  rows = to;
}

void ResultsWriter::Impl::append_events() {
  if (!events || pending_events.empty()) return;
  std::vector<Event> log;
  log.swap(pending_events);
  const auto n = log.size();
  std::vector<std::int32_t> day(n);
  std::vector<std::uint32_t> agent(n);
  std::vector<std::uint8_t> segment(n), kind(n), campaign(n);
  for (std::size_t k = 0; k < n; ++k) {
    day[k] = log[k].day;
    agent[k] = log[k].agent;
    segment[k] = log[k].segment;
    kind[k] = static_cast<std::uint8_t>(log[k].kind);
    campaign[k] = log[k].campaign;
  }
  const auto& c = ctx();
  event_day.append(c, day.data(), n);
  event_agent.append(c, agent.data(), n);
  event_segment.append(c, segment.data(), n);
  event_kind.append(c, kind.data(), n);
  event_campaign.append(c, campaign.data(), n);
}

void ResultsWriter::Impl::snapshot(const Simulation& sim) {
  const auto& c = ctx();
  char name[40];
  std::snprintf(name, sizeof name, "/snapshots/day_%05d", sim.day());
  Id group = h5::create_group(c, file.get(), name);
  h5::write_attribute(c, group.get(), "day", static_cast<std::int64_t>(sim.day()));
  layout::write_agent_columns(c, group.get(), sim.agents(), options.compression, [&](std::string_view column) {
    return std::find(snapshot_columns.begin(), snapshot_columns.end(), column) != snapshot_columns.end();
  });
  last_snapshot = sim.day();
}

void ResultsWriter::Impl::write(Simulation& sim) {
  if (&sim != simulation) throw UsageError(file.path() + ": write() got a different simulation");
  if (!file.open()) throw UsageError(file.path() + ": the results file was already committed or discarded");
  const int day = sim.day();
  if (day < last_write_day) throw UsageError(file.path() + ": the simulation went back in time");
  if (options.snapshot_every > 0 && last_write_day >= 0) {
    // A snapshot day between the last write and now was skipped.
    const int next = (last_write_day / options.snapshot_every + 1) * options.snapshot_every;
    if (next < day) {
      throw UsageError(file.path() + ": day " + std::to_string(next) +
                       " is a snapshot day but write() was not called on it (advance to next_stop())");
    }
  }
  if (events) {
    auto taken = sim.take_events();
    if (pending_events.empty()) {
      pending_events = std::move(taken);
    } else {
      pending_events.insert(pending_events.end(), taken.begin(), taken.end());
    }
  }
  if (is_snapshot_day(day) && last_snapshot != day) snapshot(sim);
  last_write_day = day;
  const double since_flush =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush).count();
  if (since_flush >= options.flush_seconds) bring_up_to_date(sim);
}

ResultsWriter::ResultsWriter(std::string path, Simulation& sim, ResultsOptions options) {
  h5::quiet();
  std::vector<std::string> columns;
  check_options(options, path, columns);
  check_earlier_events(options, path, sim.day());
  impl_ = std::make_unique<Impl>(std::move(path), sim, std::move(options));
  impl_->snapshot_columns = std::move(columns);
  impl_->create(sim);
  if (impl_->options.event_share > 0.0) {
    sim.log_events(impl_->options.event_share);
    sim.take_events();  // events of earlier days (if any) belong to nobody's file
    impl_->pending_events.swap(impl_->options.earlier_events);
  }
  impl_->write(sim);
  impl_->bring_up_to_date(sim);  // the metadata and rows so far are in the file at once
}

ResultsWriter::~ResultsWriter() { discard(); }

int ResultsWriter::next_stop(int day) const {
  const int horizon = impl_->simulation->horizon();
  const int every = impl_->options.snapshot_every;
  if (every <= 0) return horizon;
  return std::min(horizon, (day / every + 1) * every);
}

void ResultsWriter::write(Simulation& sim) {
  h5::quiet();
  impl_->write(sim);
}

void ResultsWriter::commit(Simulation& sim) {
  h5::quiet();
  try {
    impl_->write(sim);
    impl_->append_rows(sim);
    impl_->append_events();
    auto& c = impl_->ctx();
    if ((impl_->options.final_snapshot || impl_->options.snapshot_every > 0) &&
        impl_->last_snapshot != sim.day()) {
      impl_->snapshot(sim);
    }
    const hid_t root = impl_->file.get();
    Id camp(c.check(H5Gopen2(root, "campaigns", H5P_DEFAULT), "cannot open /campaigns"));
    const auto spent = sim.campaign_spent_micros();
    const auto adstock = sim.campaign_adstock();
    const h5::Storage storage{{}, impl_->options.compression};
    h5::write_array(c, camp.get(), "spent_micros", spent.data(), {spent.size()}, storage);
    h5::write_array(c, camp.get(), "adstock", adstock.data(), {adstock.size()}, storage);
    // Measurement of the whole run in person buckets (cluster-robust intervals).
    const auto& buckets = sim.measurement_buckets().values();
    h5::write_array(c, camp.get(), "measurement_buckets", buckets.data(),
                    {spent.size(), 2, static_cast<hsize_t>(measurement_bucket_count),
                     static_cast<hsize_t>(bucket_kpi_count)}, storage);
    {
      Id set(c.check(H5Dopen2(camp.get(), "measurement_buckets", H5P_DEFAULT),
                     "cannot open measurement_buckets"));
      h5::write_attribute(c, set.get(), "columns", layout::strings(bucket_kpi_names));
      h5::write_attribute(c, set.get(), "groups", std::vector<std::string>{"treated", "holdout"});
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - impl_->started).count();
    h5::write_attribute(c, root, "finish_time", h5::utc_now());
    h5::write_attribute(c, root, "elapsed_seconds", elapsed);
    h5::write_attribute(c, root, "days_simulated", static_cast<std::int64_t>(sim.day()));
    // Datasets are closed before the file so that closing it writes everything.
    for (Appender* a : {&impl_->segments, &impl_->campaigns, &impl_->channels, &impl_->tiers,
                        &impl_->daily_day, &impl_->event_day, &impl_->event_agent, &impl_->event_segment,
                        &impl_->event_kind, &impl_->event_campaign}) {
      a->close();
    }
    for (auto& a : impl_->daily) a.close();
    impl_->file.commit();
  } catch (...) {
    impl_->file.discard();
    throw;
  }
}

void ResultsWriter::discard() noexcept {
  if (impl_) impl_->file.discard();
}

const std::string& ResultsWriter::path() const noexcept { return impl_->file.path(); }

const std::string& ResultsWriter::temp_path() const noexcept { return impl_->file.temp_path(); }

}  // namespace crmsim
