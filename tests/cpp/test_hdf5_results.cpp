// The results file: written as the run goes, read back bit for bit,
// renamed into place only when complete, and clear errors for bad files.
#include <catch2/catch.hpp>

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/hdf5_input.hpp"
#include "crmsim/hdf5_output.hpp"
#include "crmsim/simulation.hpp"
#include "test_hdf5_support.hpp"
#include "test_support.hpp"

using crmsim::ResultsOptions;
using crmsim::ResultsWriter;
using crmsim::Simulation;
using Catch::Matchers::Contains;
namespace test = crmsim::test;

namespace {

crmsim::ScenarioSpec scenario(int days = 40) { return test::with_campaigns(test::busy_scenario(days)); }

/// Runs to the horizon in blocks of `block` days, stopping where the writer needs to.
void run_writing(Simulation& sim, ResultsWriter& out, int block) {
  while (sim.day() < sim.horizon()) {
    sim.advance(std::min({block, out.next_stop(sim.day()) - sim.day(), sim.horizon() - sim.day()}));
    out.write(sim);
  }
}

template <class T>
bool same_values(const std::vector<T>& file, const crmsim::DailyTable<T>& table) {
  const auto n = static_cast<std::size_t>(table.rows()) * static_cast<std::size_t>(table.groups()) *
                 static_cast<std::size_t>(table.columns());
  return file.size() == n && std::memcmp(file.data(), table.data(), n * sizeof(T)) == 0;
}

template <class T>
bool column_is(const std::vector<crmsim::AgentColumn>& cols, const std::string& name, const std::vector<T>& v) {
  for (const auto& c : cols) {
    if (c.name == name) return c.bytes.size() == v.size() * sizeof(T) && std::memcmp(c.bytes.data(), v.data(), c.bytes.size()) == 0;
  }
  return false;
}

/// Sets an integer attribute of the root group of an existing file (to fake other versions).
void set_root_int(const std::string& path, const char* name, long long value) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(file >= 0);
  const hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
  REQUIRE(attr >= 0);
  REQUIRE(H5Awrite(attr, H5T_NATIVE_LLONG, &value) >= 0);
  H5Aclose(attr);
  H5Fclose(file);
}

/// A whole int64 dataset of an existing file and its shape, read with the plain HDF5 API.
std::vector<std::int64_t> read_int64(const std::string& path, const char* name, std::vector<hsize_t>& dims) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  const hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
  REQUIRE(set >= 0);
  const hid_t space = H5Dget_space(set);
  dims.assign(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)), 0);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  std::size_t n = 1;
  for (hsize_t d : dims) n *= static_cast<std::size_t>(d);
  std::vector<std::int64_t> values(n);
  REQUIRE(H5Dread(set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
  H5Sclose(space);
  H5Dclose(set);
  H5Fclose(file);
  return values;
}

bool same_events(const crmsim::EventColumns& a, const crmsim::EventColumns& b) {
  return a.share == b.share && a.day == b.day && a.agent == b.agent && a.segment == b.segment &&
         a.kind == b.kind && a.campaign == b.campaign;
}

}  // namespace

TEST_CASE("a results file holds the run's tables, snapshots and events bit for bit", "[hdf5][results]") {
  test::ScratchFolder dir;
  const std::string path = dir.file("run.h5");
  Simulation sim(scenario(), {.seed = 21, .threads = 2});
  ResultsOptions options;
  options.scenario_yaml = "name: busy\ndays: 40\n";
  options.snapshot_every = 10;
  options.event_share = 0.5;
  options.attributes = {{"start_date", "2027-01-01"}};
  {
    ResultsWriter out(path, sim, options);
    CHECK(out.temp_path() == path + ".tmp-" + std::to_string(::getpid()));
    CHECK(out.next_stop(0) == 10);
    CHECK(out.next_stop(35) == 40);
    run_writing(sim, out, 7);
    out.commit(sim);
  }
  CHECK(dir.files() == std::vector<std::string>{"run.h5"});

  const auto r = crmsim::read_results(path);
  CHECK(r.format_version == crmsim::results_format_version);
  CHECK(r.seed == 21);
  CHECK(r.days == 40);
  CHECK(r.days_simulated == 40);
  CHECK(r.threads == 2);
  CHECK(r.written_from_day == 0);
  CHECK(r.agents == static_cast<std::int64_t>(sim.agents().size()));
  CHECK(r.scenario_yaml == options.scenario_yaml);
  CHECK(r.scenario_name == "busy");
  CHECK(r.start_time.size() == 20);
  CHECK(r.start_time.back() == 'Z');
  CHECK(r.segments == std::vector<std::string>{"young", "families"});
  CHECK(r.campaigns.size() == 7);
  CHECK(r.channels == std::vector<std::string>{"email", "call", "social"});
  CHECK(r.tiers == std::vector<std::string>{"bronze", "silver", "gold"});
  std::map<std::string, std::string> attrs(r.attributes.begin(), r.attributes.end());
  CHECK(attrs["start_date"] == "2027-01-01");
  CHECK(attrs["format"] == "crmsim-results");

  CHECK(same_values(r.kpis.values, sim.kpis()));
  CHECK(r.kpis.shape == std::vector<std::size_t>{41, 2, static_cast<std::size_t>(crmsim::kpi_count)});
  CHECK(same_values(r.campaign_kpis.values, sim.campaign_kpis()));
  CHECK(r.measurement_buckets.values == sim.measurement_buckets().values());
  CHECK(same_values(r.tier_kpis.values, sim.tier_kpis()));
  CHECK(r.tier_kpis.shape == std::vector<std::size_t>{41, 2, 3, static_cast<std::size_t>(crmsim::tier_kpi_count)});
  CHECK(r.campaign_spent_micros == sim.campaign_spent_micros());

  CHECK(r.snapshot_days == std::vector<int>{0, 10, 20, 30, 40});
  const auto last = crmsim::read_snapshot(path, 40);
  CHECK(last.size() == crmsim::agent_column_names().size());
  CHECK(last.front().name == "segment");
  const auto& a = sim.agents();
  CHECK(column_is(last, "state", a.state));
  CHECK(column_is(last, "revenue_cents", a.revenue_cents));
  CHECK(column_is(last, "purchase_rate", a.purchase_rate));
  CHECK(column_is(last, "contact_days", a.contact_days));
  CHECK_THROWS_WITH(crmsim::read_snapshot(path, 11), Contains("no agent snapshot of day 11"));

  REQUIRE(r.has_events);
  CHECK(r.events.share == 0.5);
  REQUIRE(!r.events.day.empty());
  CHECK(std::is_sorted(r.events.day.begin(), r.events.day.end()));
  CHECK(r.events.day.front() >= 1);
  CHECK(r.events.day.back() <= 40);
  // About half of the agents are in the sample.
  std::vector<std::uint32_t> agents = r.events.agent;
  std::sort(agents.begin(), agents.end());
  agents.erase(std::unique(agents.begin(), agents.end()), agents.end());
  CHECK(agents.size() > 1000);
}

TEST_CASE("the channel table is the campaign table summed over each channel's campaigns", "[hdf5][results]") {
  test::ScratchFolder dir;
  const auto spec = scenario(30);
  Simulation sim(spec, {.seed = 3, .threads = 2});
  {
    ResultsWriter out(dir.file("run.h5"), sim, {});
    run_writing(sim, out, 4);  // several appends
    out.commit(sim);
  }
  std::vector<hsize_t> dims;
  const auto by_channel = read_int64(dir.file("run.h5"), "/kpis/channels", dims);
  const auto n_channels = spec.channels.size();
  const auto columns = static_cast<std::size_t>(crmsim::campaign_kpi_count);
  REQUIRE(dims == std::vector<hsize_t>{31, n_channels, columns});
  const auto& table = sim.campaign_kpis();
  std::vector<std::int64_t> expected(by_channel.size(), 0);
  for (int day = 0; day <= 30; ++day) {
    for (std::size_t c = 0; c < spec.campaigns.size(); ++c) {
      for (std::size_t k = 0; k < columns; ++k) {
        expected[(static_cast<std::size_t>(day) * n_channels + static_cast<std::size_t>(spec.campaigns[c].channel)) *
                     columns + k] += table.at(day, static_cast<int>(c), static_cast<crmsim::CampaignKpi>(k));
      }
    }
  }
  CHECK(by_channel == expected);
  std::int64_t contacted = 0;
  for (auto v : by_channel) contacted += v;
  CHECK(contacted > 0);  // the campaigns did something, so the test can fail
}

TEST_CASE("a run saved at its end keeps the event log of the file it wrote", "[hdf5][events]") {
  test::ScratchFolder dir;
  Simulation sim(scenario(30), {.seed = 5, .threads = 2});
  ResultsOptions options;
  options.event_share = 0.25;
  {
    ResultsWriter out(dir.file("run.h5"), sim, options);
    run_writing(sim, out, 6);
    out.commit(sim);
  }
  const auto run = crmsim::read_results(dir.file("run.h5"));
  REQUIRE(run.events.day.size() > 100);

  ResultsOptions save;
  save.final_snapshot = true;
  save.event_share = run.events.share;
  save.earlier_events = crmsim::to_events(run.events);
  save.events_from_day = run.written_from_day;
  ResultsWriter(dir.file("saved.h5"), sim, save).commit(sim);
  const auto saved = crmsim::read_results(dir.file("saved.h5"));
  REQUIRE(saved.has_events);
  CHECK(same_events(saved.events, run.events));
  CHECK(saved.written_from_day == 0);
  CHECK(saved.snapshot_days == std::vector<int>{30});

  ResultsOptions bad;
  bad.earlier_events = save.earlier_events;
  CHECK_THROWS_WITH(ResultsWriter(dir.file("bad.h5"), sim, bad), Contains("bad.h5") && Contains("events_from_day"));
  bad.events_from_day = 0;
  CHECK_THROWS_WITH(ResultsWriter(dir.file("bad.h5"), sim, bad), Contains("event share above 0"));
  bad.event_share = 0.25;
  bad.events_from_day = 31;
  CHECK_THROWS_WITH(ResultsWriter(dir.file("bad.h5"), sim, bad), Contains("after the simulation's day 30"));
  bad.events_from_day = 0;
  std::swap(bad.earlier_events.front(), bad.earlier_events.back());
  CHECK_THROWS_WITH(ResultsWriter(dir.file("bad.h5"), sim, bad), Contains("out of day order"));
  CHECK(dir.files() == std::vector<std::string>{"run.h5", "saved.h5"});
}

TEST_CASE("the event log counts what the KPI flows count, for any thread count", "[hdf5][events]") {
  auto logged = [](int threads) {
    Simulation sim(scenario(60), {.seed = 8, .threads = threads});
    sim.log_events(1.0);
    sim.run_to_end();
    return sim.take_events();
  };
  Simulation plain(scenario(60), {.seed = 8, .threads = 2});
  plain.run_to_end();
  Simulation sim(scenario(60), {.seed = 8, .threads = 2});
  sim.log_events(1.0);
  sim.run_to_end();
  // Logging does not change the run.
  test::require_identical(plain, sim);
  const auto events = sim.take_events();
  CHECK(sim.take_events().empty());
  using crmsim::EventKind;
  using crmsim::Kpi;
  std::map<std::pair<int, EventKind>, std::int64_t> count;
  std::int64_t by_campaign = 0;
  for (const auto& e : events) {
    ++count[{e.day, e.kind}];
    by_campaign += e.campaign != 0;
    REQUIRE(e.segment == sim.agents().segment[e.agent]);
  }
  CHECK(by_campaign > 0);
  const auto& k = sim.kpis();
  for (int day = 1; day <= 60; ++day) {
    INFO("day " << day);
    CHECK(count[{day, EventKind::acquisition}] + count[{day, EventKind::lead_conversion}] ==
          k.total(day, Kpi::acquisitions));
    CHECK(count[{day, EventKind::lead_conversion}] == k.total(day, Kpi::lead_conversions));
    CHECK(count[{day, EventKind::defection}] == k.total(day, Kpi::defections));
    CHECK(count[{day, EventKind::enquiry}] == k.total(day, Kpi::enquiries));
    CHECK(count[{day, EventKind::problem}] == k.total(day, Kpi::problems));
    CHECK(count[{day, EventKind::recovery}] == k.total(day, Kpi::recoveries));
    CHECK(count[{day, EventKind::win_back}] == k.total(day, Kpi::win_backs));
    CHECK(count[{day, EventKind::welcomed}] == k.total(day, Kpi::welcomed));
  }
  // The same log, in the same order, for another thread count.
  const auto other = logged(3);
  REQUIRE(other.size() == events.size());
  bool same = true;
  for (std::size_t i = 0; i < events.size(); ++i) {
    same = same && other[i].day == events[i].day && other[i].agent == events[i].agent &&
           other[i].kind == events[i].kind && other[i].campaign == events[i].campaign;
  }
  CHECK(same);
}

TEST_CASE("a sampled event log keeps whole histories of a seed-dependent share", "[hdf5][events]") {
  auto agents_logged = [](std::uint64_t seed, double share) {
    Simulation sim(scenario(30), {.seed = seed, .threads = 2});
    sim.log_events(share);
    sim.run_to_end();
    std::vector<std::uint32_t> ids;
    for (const auto& e : sim.take_events()) ids.push_back(e.agent);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  };
  const auto all = agents_logged(4, 1.0);
  const auto tenth = agents_logged(4, 0.1);
  REQUIRE(!tenth.empty());
  CHECK(std::includes(all.begin(), all.end(), tenth.begin(), tenth.end()));
  const double share = static_cast<double>(tenth.size()) / static_cast<double>(all.size());
  CHECK(share > 0.07);
  CHECK(share < 0.13);
  CHECK(agents_logged(5, 0.1) != tenth);
}

TEST_CASE("the final name is untouched until commit and an abandoned writer leaves nothing", "[hdf5][results]") {
  test::ScratchFolder dir;
  const std::string path = dir.file("out.h5");
  test::write_bytes(path, "an earlier result");
  Simulation sim(scenario(20), {.seed = 1, .threads = 2});
  {
    ResultsWriter out(path, sim, {});
    sim.advance(10);
    out.write(sim);
    CHECK(test::read_bytes(path) == "an earlier result");
    CHECK(test::read_bytes(out.temp_path()).size() > 0);
  }  // destroyed without commit, as when an exception unwinds
  CHECK(dir.files() == std::vector<std::string>{"out.h5"});
  CHECK(test::read_bytes(path) == "an earlier result");

  ResultsWriter out(path, sim, {});
  sim.run_to_end();
  out.commit(sim);
  CHECK(dir.files() == std::vector<std::string>{"out.h5"});
  CHECK(crmsim::read_results(path).days_simulated == 20);
  CHECK(crmsim::read_results(path).snapshot_days.empty());
  CHECK(!crmsim::read_results(path).has_events);
}

TEST_CASE("writer options and misuse are refused clearly", "[hdf5][results]") {
  test::ScratchFolder dir;
  Simulation sim(scenario(20), {.seed = 1, .threads = 2});
  ResultsOptions bad;
  bad.snapshot_columns = {"state", "no_such_column"};
  CHECK_THROWS_WITH(ResultsWriter(dir.file("a.h5"), sim, bad), Contains("no_such_column") && Contains("known: segment"));
  bad = {};
  bad.event_share = 1.5;
  CHECK_THROWS_AS(ResultsWriter(dir.file("a.h5"), sim, bad), crmsim::UsageError);
  CHECK_THROWS_WITH(ResultsWriter(dir.file("missing/a.h5"), sim, {}), Contains("does not exist"));
  CHECK(dir.files().empty());

  ResultsOptions every5;
  every5.snapshot_every = 5;
  ResultsWriter out(dir.file("b.h5"), sim, every5);
  sim.advance(7);  // skips the snapshot of day 5
  CHECK_THROWS_WITH(out.write(sim), Contains("day 5 is a snapshot day"));
}

TEST_CASE("a run saved at its end has the final agents as a snapshot", "[hdf5][results]") {
  test::ScratchFolder dir;
  Simulation sim(scenario(15), {.seed = 2, .threads = 2});
  sim.run_to_end();
  ResultsOptions options;
  options.final_snapshot = true;
  options.snapshot_columns = {"state", "segment"};
  ResultsWriter(dir.file("s.h5"), sim, options).commit(sim);
  const auto r = crmsim::read_results(dir.file("s.h5"));
  CHECK(r.snapshot_days == std::vector<int>{15});
  CHECK(r.written_from_day == 15);
  const auto cols = crmsim::read_snapshot(dir.file("s.h5"), 15);
  REQUIRE(cols.size() == 2);
  CHECK(cols[0].name == "segment");
  CHECK(cols[1].name == "state");
  CHECK(cols[1].dtype == "uint8");
  CHECK(same_values(r.kpis.values, sim.kpis()));
}

TEST_CASE("bad files give errors that name the file and the problem", "[hdf5][errors]") {
  test::ScratchFolder dir;
  Simulation sim(scenario(10), {.seed = 2, .threads = 2});
  sim.run_to_end();
  const std::string good = dir.file("good.h5");
  ResultsWriter(good, sim, {}).commit(sim);
  REQUIRE_NOTHROW(crmsim::read_results(good));

  const std::string missing = dir.file("missing.h5");
  CHECK_THROWS_AS(crmsim::read_results(missing), crmsim::IoError);
  CHECK_THROWS_WITH(crmsim::read_results(missing), Contains("missing.h5") && Contains("no such file"));

  const std::string text = dir.file("notes.h5");
  test::write_bytes(text, "day,customers\n0,100\n");
  CHECK_THROWS_AS(crmsim::read_results(text), crmsim::FileFormatError);
  CHECK_THROWS_WITH(crmsim::read_results(text), Contains("notes.h5") && Contains("not an HDF5 file"));

  const std::string empty = dir.file("empty.h5");
  test::write_bytes(empty, "");
  CHECK_THROWS_AS(crmsim::read_results(empty), crmsim::FileFormatError);

  const std::string bytes = test::read_bytes(good);
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 100, std::size_t{600}}) {
    INFO("truncated to " << keep << " of " << bytes.size() << " bytes");
    const std::string truncated = dir.file("truncated.h5");
    test::write_bytes(truncated, bytes.substr(0, keep));
    CHECK_THROWS_AS(crmsim::read_results(truncated), crmsim::FileFormatError);
    CHECK_THROWS_WITH(crmsim::read_results(truncated), Contains("truncated.h5") && Contains("truncated"));
  }

  const std::string foreign = dir.file("foreign.h5");
  const hid_t f = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(f >= 0);
  H5Fclose(f);
  CHECK_THROWS_WITH(crmsim::read_results(foreign), Contains("foreign.h5") && Contains("not a crmsim file"));

  const std::string newer = dir.file("newer.h5");
  test::write_bytes(newer, bytes);
  set_root_int(newer, "format_version", 99);
  CHECK_THROWS_WITH(crmsim::read_results(newer), Contains("newer.h5") && Contains("format version 99") &&
                                                       Contains("upgrade crmsim"));
}
