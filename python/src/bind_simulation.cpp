// Simulation: built from a plain dict (the validated scenario with defaults
// filled in by the Python layer), advanced with the GIL released, and read
// through zero-copy, read-only numpy views owned by the Simulation object.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bindings.hpp"
#include "readonly_view.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/limits.hpp"
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

std::string join(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

/// Index of `name` in `names`, or a ScenarioError listing the known names.
template <std::size_t N>
int named(const std::array<std::string_view, N>& names, const std::string& name,
          const std::string& where, const char* what) {
  for (std::size_t k = 0; k < N; ++k) {
    if (names[k] == name) return static_cast<int>(k);
  }
  std::string known;
  for (auto n : names) {
    if (!known.empty()) known += ", ";
    known.append(n.data(), n.size());
  }
  throw ScenarioError(where, "unknown " + std::string(what) + " '" + name + "' (known: " + known + ")");
}

constexpr std::array<std::string_view, campaign_type_count> campaign_type_names = {
    "acquisition", "welcome", "cross_sell", "retention", "service_recovery", "win_back", "brand"};
constexpr std::array<std::string_view, 5> trigger_names = {
    "none", "tenure_day", "entered_at_risk", "lapsed_for_days", "no_purchase_for_days"};

template <class T>
std::vector<T> list_of(const py::dict& d, const char* key, const std::string& path) {
  std::vector<T> out;
  const auto items = field<py::list>(d, key, path);
  for (std::size_t k = 0; k < items.size(); ++k) {
    try {
      out.push_back(items[k].cast<T>());
    } catch (const py::cast_error&) {
      throw ScenarioError(join(path, key) + "[" + std::to_string(k) + "]", "has the wrong type");
    }
  }
  return out;
}

/// The mappings of an optional list of named things; empty when absent.
std::vector<py::dict> mappings(const py::dict& d, const char* key) {
  std::vector<py::dict> out;
  if (!d.contains(key)) return out;
  const auto items = field<py::list>(d, key, "");
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (!py::isinstance<py::dict>(items[k])) {
      throw ScenarioError(std::string(key) + "[" + std::to_string(k) + "]", "must be a mapping");
    }
    out.push_back(items[k].cast<py::dict>());
  }
  return out;
}

PropositionSpec proposition_from_dict(const py::dict& d, const std::string& at) {
  PropositionSpec p;
  p.name = field<std::string>(d, "name", at);
  p.price_competitiveness = field<double>(d, "price_competitiveness", at);
  p.service_level = field<double>(d, "service_level", at);
  p.brand_strength = field<double>(d, "brand_strength", at);
  const std::string p_offer = at + ".offer";
  const py::dict offer = sub(d, "offer", at);
  p.offer.discount_share = field<double>(offer, "discount_share", p_offer);
  p.offer.incentive = field<double>(offer, "incentive", p_offer);
  p.offer.duration_days = field<int>(offer, "duration_days", p_offer);
  return p;
}

ChannelSpec channel_from_dict(const py::dict& d, const std::string& at) {
  ChannelSpec c;
  c.name = field<std::string>(d, "name", at);
  c.cost_per_contact = field<double>(d, "cost_per_contact", at);
  c.fixed_cost_per_wave = field<double>(d, "fixed_cost_per_wave", at);
  c.reach = field<double>(d, "reach", at);
  c.base_response = list_of<double>(d, "base_response", at);
  c.capacity_per_day = field<std::int64_t>(d, "capacity_per_day", at);
  c.fatigue = field<double>(d, "fatigue", at);
  c.unsubscribe_probability = field<double>(d, "unsubscribe_probability", at);
  c.adstock_decay_per_day = field<double>(d, "adstock_decay_per_day", at);
  return c;
}

CampaignSpec campaign_from_dict(const py::dict& d, const std::string& at) {
  CampaignSpec c;
  c.name = field<std::string>(d, "name", at);
  c.type = static_cast<CampaignType>(
      named(campaign_type_names, field<std::string>(d, "type", at), at + ".type", "campaign type"));
  c.channel = field<int>(d, "channel", at);
  c.proposition = field<int>(d, "proposition", at);
  const std::string p_sched = at + ".schedule";
  const py::dict sched = sub(d, "schedule", at);
  c.schedule.start_day = field<int>(sched, "start_day", p_sched);
  c.schedule.end_day = field<int>(sched, "end_day", p_sched);
  c.schedule.every_days = field<int>(sched, "every_days", p_sched);
  const std::string p_trig = at + ".trigger";
  const py::dict trig = sub(d, "trigger", at);
  c.trigger.kind = static_cast<TriggerKind>(
      named(trigger_names, field<std::string>(trig, "kind", p_trig), p_trig + ".kind", "trigger"));
  c.trigger.days = field<int>(trig, "days", p_trig);
  const std::string p_tgt = at + ".targeting";
  const py::dict tgt = sub(d, "targeting", at);
  const auto states = list_of<std::string>(tgt, "states", p_tgt);
  for (std::size_t k = 0; k < states.size(); ++k) {
    const int s = named(state_names, states[k], p_tgt + ".states[" + std::to_string(k) + "]", "state");
    c.targeting.states = static_cast<std::uint8_t>(c.targeting.states | (1u << s));
  }
  c.targeting.segments = list_of<std::uint8_t>(tgt, "segments", p_tgt);
  c.targeting.value_tiers = list_of<std::uint8_t>(tgt, "value_tiers", p_tgt);
  c.targeting.min_score = field<double>(tgt, "min_score", p_tgt);
  c.targeting.max_score = field<double>(tgt, "max_score", p_tgt);
  const std::string p_eff = at + ".effect";
  const py::dict eff = sub(d, "effect", at);
  c.effect.churn_reduction = field<double>(eff, "churn_reduction", p_eff);
  c.effect.duration_days = field<int>(eff, "duration_days", p_eff);
  c.effect.direct_share = field<double>(eff, "direct_share", p_eff);
  c.effect.brand_lift = field<double>(eff, "brand_lift", p_eff);
  c.budget = field<double>(d, "budget", at);
  c.max_contacts_per_day = field<std::int64_t>(d, "max_contacts_per_day", at);
  c.holdout_share = field<double>(d, "holdout_share", at);
  c.priority = field<int>(d, "priority", at);
  c.measurement_days = field<int>(d, "measurement_days", at);
  return c;
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

  // Marketing fields are optional here so that C++-level callers without
  // campaigns need not spell them out; the Python layer always fills them.
  if (d.contains("needs")) {
    const std::string p_needs = at + ".needs";
    const py::dict needs = sub(d, "needs", at);
    s.needs.price = field<double>(needs, "price", p_needs);
    s.needs.service = field<double>(needs, "service", p_needs);
    s.needs.brand = field<double>(needs, "brand", p_needs);
  }
  if (d.contains("proposition")) s.proposition = field<int>(d, "proposition", at);
  if (d.contains("cost_to_serve_per_year")) {
    s.cost_to_serve_per_year = field<double>(d, "cost_to_serve_per_year", at);
  }
  if (d.contains("gross_margin")) s.gross_margin = field<double>(d, "gross_margin", at);

  // Model fields (model.hpp): present only in btyd and sbg scenarios.
  if (d.contains("btyd")) {
    const std::string p_btyd = at + ".btyd";
    const py::dict b = sub(d, "btyd", at);
    s.btyd.r = field<double>(b, "r", p_btyd);
    s.btyd.alpha = field<double>(b, "alpha", p_btyd);
    s.btyd.a = field<double>(b, "a", p_btyd);
    s.btyd.b = field<double>(b, "b", p_btyd);
    s.btyd.dropout_multiplier = field<double>(b, "dropout_multiplier", p_btyd);
    if (b.contains("spend") && !b["spend"].is_none()) {
      const std::string p_spend = p_btyd + ".spend";
      const py::dict spend = sub(b, "spend", p_btyd);
      s.btyd.has_spend = true;
      s.btyd.spend.p = field<double>(spend, "p", p_spend);
      s.btyd.spend.q = field<double>(spend, "q", p_spend);
      s.btyd.spend.gamma = field<double>(spend, "gamma", p_spend);
    }
  }
  if (d.contains("sbg")) {
    const std::string p_sbg = at + ".sbg";
    const py::dict g = sub(d, "sbg", at);
    s.sbg.alpha = field<double>(g, "alpha", p_sbg);
    s.sbg.beta = field<double>(g, "beta", p_sbg);
    s.sbg.churn = field<double>(g, "churn", p_sbg);
    s.sbg.churn_multiplier = field<double>(g, "churn_multiplier", p_sbg);
    s.sbg.fee = field<double>(g, "fee", p_sbg);
  }
  if (d.contains("entries")) {
    const auto entries = field<py::list>(d, "entries", at);
    for (std::size_t k = 0; k < entries.size(); ++k) {
      const std::string p_entry = at + ".entries[" + std::to_string(k) + "]";
      if (!py::isinstance<py::dict>(entries[k])) throw ScenarioError(p_entry, "must be a mapping");
      const auto e = entries[k].cast<py::dict>();
      s.entries.push_back({field<int>(e, "day", p_entry), field<std::int64_t>(e, "customers", p_entry)});
    }
  }
  return s;
}

ScenarioSpec scenario_from_dict(const py::dict& d) {
  ScenarioSpec spec;
  spec.name = field<std::string>(d, "name", "");
  spec.days = field<int>(d, "days", "");
  if (d.contains("model")) {
    const py::dict model = sub(d, "model", "");
    spec.model.kind = static_cast<ModelKind>(
        named(model_kind_names, field<std::string>(model, "kind", "model"), "model.kind",
              "model"));
    spec.model.period_days = field<int>(model, "period_days", "model");
  }
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
  const auto propositions = mappings(d, "propositions");
  for (std::size_t i = 0; i < propositions.size(); ++i) {
    spec.propositions.push_back(
        proposition_from_dict(propositions[i], "propositions[" + std::to_string(i) + "]"));
  }
  const auto channels = mappings(d, "channels");
  for (std::size_t i = 0; i < channels.size(); ++i) {
    spec.channels.push_back(channel_from_dict(channels[i], "channels[" + std::to_string(i) + "]"));
  }
  const auto campaigns = mappings(d, "campaigns");
  for (std::size_t i = 0; i < campaigns.size(); ++i) {
    spec.campaigns.push_back(
        campaign_from_dict(campaigns[i], "campaigns[" + std::to_string(i) + "]"));
  }
  const auto tiers = mappings(d, "value_tiers");
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const std::string at = "value_tiers[" + std::to_string(i) + "]";
    spec.value_tiers.push_back({field<std::string>(tiers[i], "name", at),
                                field<double>(tiers[i], "min_annual_value", at)});
  }
  if (d.contains("fit_effects")) {
    const py::dict fit = sub(d, "fit_effects", "");
    spec.fit_effects.acquisition = field<double>(fit, "acquisition", "fit_effects");
    spec.fit_effects.churn = field<double>(fit, "churn", "fit_effects");
    spec.fit_effects.spend = field<double>(fit, "spend", "fit_effects");
  }
  if (d.contains("analytics")) {
    spec.analytics.score_accuracy =
        field<double>(sub(d, "analytics", ""), "score_accuracy", "analytics");
  }
  if (d.contains("contact_policy")) {
    const py::dict policy = sub(d, "contact_policy", "");
    spec.contact_policy.max_contacts = field<int>(policy, "max_contacts", "contact_policy");
    spec.contact_policy.window_days = field<int>(policy, "window_days", "contact_policy");
  }
  return spec;
}

/// Runs `work` (engine code, no Python) on a helper thread while this thread
/// waits without the GIL and takes it every 50 ms to let Python run its
/// signal handlers. When a handler raises (Ctrl-C: KeyboardInterrupt),
/// `stop()` asks the engine to give up (it does within one chunk of
/// agents), the helper is joined and the Python exception is raised here;
/// so Ctrl-C takes effect within a fraction of a second however long the
/// call would run. Errors of `work` are rethrown here. Outside the main
/// thread PyErr_CheckSignals does nothing, and the wait costs nothing.
template <class Work, class Stop>
void run_interruptibly(Work work, Stop stop) {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  bool signalled = false;
  std::exception_ptr failure;
  {
    py::gil_scoped_release release;
    std::thread helper([&] {
      try {
        work();
      } catch (...) {
        failure = std::current_exception();
      }
      {
        const std::lock_guard<std::mutex> lock(mutex);
        done = true;
      }
      finished.notify_one();
    });
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; })) {
      lock.unlock();
      {
        py::gil_scoped_acquire acquire;
        // Leaves the handler's exception set in this thread until it is raised below.
        signalled = PyErr_CheckSignals() != 0;
      }
      if (signalled) stop();
      lock.lock();
      if (signalled) {
        finished.wait(lock, [&] { return done; });
        break;
      }
    }
    lock.unlock();
    helper.join();
  }
  if (signalled) throw py::error_already_set();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

void register_simulation(py::module_& m) {
  m.def("checks_by_default", &checks_by_default,
        "Whether runs check the invariants every day unless told (build option CRMSIM_CHECKS,\n"
        "environment variable CRMSIM_CHECKS).");
  m.def("machine_memory", &machine_memory_bytes,
        "Memory this process may use, bytes (physical memory or cgroup limit; 0 if unknown).");
  m.def(
      "estimate_memory",
      [](const py::dict& scenario, std::int64_t chunk_size) {
        const ScenarioSpec spec = scenario_from_dict(scenario);
        validate(spec);
        const MemoryEstimate e = estimate_memory(spec, chunk_size);
        py::dict out;
        out["agents"] = e.agents;
        out["days"] = e.days;
        out["bytes_per_agent"] = e.bytes_per_agent;
        out["agent_bytes"] = e.agent_bytes;
        out["table_bytes"] = e.table_bytes;
        out["working_bytes"] = e.working_bytes;
        out["total_bytes"] = e.total();
        return out;
      },
      py::arg("scenario"), py::arg("chunk_size") = 0,
      "Bytes a run of the scenario dict needs, about, by part; allocates nothing.");
  m.def(
      "check_memory",
      [](const py::dict& scenario, std::uint64_t limit, bool machine, std::int64_t chunk_size) {
        const ScenarioSpec spec = scenario_from_dict(scenario);
        validate(spec);
        check_memory(estimate_memory(spec, chunk_size), limit, machine);
      },
      py::arg("scenario"), py::arg("limit"), py::arg("machine") = true, py::arg("chunk_size") = 0,
      "MemoryLimitError with the estimate when the run needs more than `limit` bytes\n"
      "(0: this machine's memory); `machine`: the limit is the machine's memory.");

  py::class_<Simulation>(m, "Simulation",
                         "One engine run: the population advanced day by day.")
      .def(py::init([](const py::dict& scenario, std::uint64_t seed, int threads,
                       std::int64_t chunk_size, LoadedCheckpoint* checkpoint,
                       std::optional<bool> checks, std::uint64_t memory_limit) {
             RunOptions options;
             options.seed = seed;
             options.threads = threads;
             options.chunk_size = chunk_size;
             if (checks) options.checks = *checks;
             options.memory_limit_bytes = memory_limit;
             ScenarioSpec spec = scenario_from_dict(scenario);
             if (checkpoint != nullptr) {
               if (checkpoint->used) {
                 throw UsageError(checkpoint->data.path + ": this checkpoint was already used to "
                                  "resume a run; read it again to resume again");
               }
               checkpoint->used = true;
               SimulationState state = std::move(checkpoint->data.state);
               py::gil_scoped_release release;
               return std::make_unique<Simulation>(std::move(spec), options, std::move(state));
             }
             // Building the population is parallel C++ work on engine-owned data.
             py::gil_scoped_release release;
             return std::make_unique<Simulation>(std::move(spec), options);
           }),
           py::arg("scenario"), py::arg("seed") = 0, py::arg("threads") = 0,
           py::arg("chunk_size") = 0, py::arg("checkpoint") = py::none(),
           py::arg("checks") = py::none(), py::arg("memory_limit") = 0,
           "Builds day 0 from a scenario dict (all fields present, engine units as in the schema),\n"
           "or resumes from a _core.Checkpoint of the same scenario and seed.\n"
           "checks: check the invariants every day (None: checks_by_default()).\n"
           "memory_limit: refuse runs estimated above this many bytes (0: this machine's memory).")
      // Safe without the GIL: advance touches only this Simulation's C++ state,
      // and Python cannot reach that state except through this object, whose
      // methods all need the GIL (this one holds on to the object while the
      // helper thread runs).
      .def(
          "advance",
          [](Simulation& sim, int days) {
            sim.request_stop(false);
            run_interruptibly([&] { sim.advance(days); }, [&] { sim.request_stop(); });
          },
          py::arg("days"),
          "Simulates the next `days` days without holding the GIL; Ctrl-C stops it within\n"
          "a fraction of a second (KeyboardInterrupt).")
      .def("check_invariants", &Simulation::check_invariants, py::call_guard<py::gil_scoped_release>(),
           "Checks every engine invariant now; InvariantError names what is broken.")
      .def_property_readonly("checks", &Simulation::checks,
                             "Whether the invariants are checked every day.")
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
      .def_property_readonly_static("campaign_kpi_columns", [](const py::object&) {
        return std::vector<std::string>(campaign_kpi_names.begin(), campaign_kpi_names.end());
      })
      .def_property_readonly_static("tier_kpi_columns", [](const py::object&) {
        return std::vector<std::string>(tier_kpi_names.begin(), tier_kpi_names.end());
      })
      .def_property_readonly(
          "bytes_per_agent", [](const Simulation& s) { return s.agents().bytes_per_agent(); },
          "Bytes of agent columns per agent.")
      .def_property_readonly("n_campaigns",
                             [](const Simulation& s) { return s.scenario().campaigns.size(); })
      .def_property_readonly("n_tiers", &Simulation::tiers)
      .def_property_readonly("campaign_spent_micros", &Simulation::campaign_spent_micros,
                             "Budget used so far per campaign, millionths of the currency.")
      .def_property_readonly("campaign_adstock", &Simulation::campaign_adstock,
                             "Brand adstock per campaign (share of the market, decayed).")
      .def_property_readonly(
          "campaign_kpis",
          [](py::object self) {
            const auto& sim = self.cast<const Simulation&>();
            const auto& t = sim.campaign_kpis();
            return readonly_view(t.data(), {sim.day() + 1, t.groups(), t.columns()}, self);
          },
          "Per-campaign counts: int64 (day, campaign, column); read-only, no copy.")
      .def_property_readonly_static("bucket_kpi_columns", [](const py::object&) {
        return std::vector<std::string>(bucket_kpi_names.begin(), bucket_kpi_names.end());
      })
      .def_property_readonly(
          "measurement_buckets",
          [](py::object self) {
            const auto& sim = self.cast<const Simulation&>();
            const auto n = static_cast<py::ssize_t>(sim.scenario().campaigns.size());
            return readonly_view(sim.measurement_buckets().values().data(),
                                 {n, 2, measurement_bucket_count, bucket_kpi_count}, self);
          },
          "Measurement so far: int64 (campaign, [treated, holdout], person bucket, column).")
      .def_property_readonly(
          "tier_kpis",
          [](py::object self) {
            const auto& sim = self.cast<const Simulation&>();
            const auto& t = sim.tier_kpis();
            return readonly_view(t.data(),
                                 {sim.day() + 1, static_cast<py::ssize_t>(sim.scenario().segments.size()),
                                  sim.tiers(), t.columns()},
                                 self);
          },
          "Per (segment, value tier): int64 (day, segment, tier, column); read-only, no copy.")
      .def_property_readonly(
          "kpis",
          [](py::object self) {
            const auto& sim = self.cast<const Simulation&>();
            const auto& table = sim.kpis();
            return readonly_view(table.data(),
                                 {sim.day() + 1, table.groups(), table.columns()}, self);
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
            columns["last_purchase_day"] = readonly_view(a.last_purchase_day.data(), {n}, self);
            columns["contact_days"] = readonly_view(
                a.contact_days.data(), {n, static_cast<py::ssize_t>(a.contact_slots)}, self);
            columns["effect_until"] = readonly_view(a.effect_until.data(), {n}, self);
            columns["effect_campaign"] = readonly_view(a.effect_campaign.data(), {n}, self);
            columns["assigned"] = readonly_view(a.assigned.data(), {n}, self);
            columns["assigned_day"] = readonly_view(a.assigned_day.data(), {n}, self);
            columns["window_revenue_cents"] = readonly_view(a.window_revenue_cents.data(), {n}, self);
            return columns;
          },
          "Agent columns as read-only numpy views (no copy) owned by this Simulation.");
}

}  // namespace crmsim::bindings
