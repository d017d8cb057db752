// The engine's invariants; the list is in invariants.hpp.
#include "invariants.hpp"

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "crmsim/errors.hpp"
#include "crmsim/lifecycle.hpp"
#include "crmsim/limits.hpp"

namespace crmsim::detail {
namespace {

[[noreturn]] void broken(int day, const std::string& where, const char* invariant,
                         const std::string& detail) {
  throw InvariantError("invariant '" + std::string(invariant) + "' broken at the end of day " +
                       std::to_string(day) + (where.empty() ? "" : ", " + where) + ": " + detail);
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

/// Largest count or amount a table or agent may hold: far beyond any real
/// run, and far enough below 2^63 that a day's additions cannot overflow.
constexpr std::int64_t largest_value = std::int64_t{1} << 62;

std::string segment_at(const ScenarioSpec& spec, int s) {
  return "segment " + quoted(spec.segments[static_cast<std::size_t>(s)].name);
}

std::string campaign_at(const ScenarioSpec& spec, int c) {
  return "campaign " + quoted(spec.campaigns[static_cast<std::size_t>(c)].name);
}

std::string n(Wide value) {
  if (value >= std::numeric_limits<std::int64_t>::min() && value <= std::numeric_limits<std::int64_t>::max()) {
    return format_count(static_cast<std::int64_t>(value));
  }
  // Beyond 64 bits (only ever from damaged data): plain digits.
  const bool negative = value < 0;
  unsigned __int128 magnitude = negative ? static_cast<unsigned __int128>(-(value + 1)) + 1
                                         : static_cast<unsigned __int128>(value);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  return negative ? "-" + digits : digits;
}

template <class E, std::size_t N>
std::string column_name(const std::array<std::string_view, N>& names, E k) {
  return quoted(std::string(names[static_cast<std::size_t>(column(k))]));
}

Wide customers(const DailyTable<std::int64_t>& k, int day, int s) {
  return Wide{k.at(day, s, Kpi::new_customer)} + k.at(day, s, Kpi::active) + k.at(day, s, Kpi::developed) +
         k.at(day, s, Kpi::at_risk);
}

/// Every value of `table`'s row `day` is >= 0.
template <std::size_t N>
void no_negatives(const DailyTable<std::int64_t>& table, int day, const std::array<std::string_view, N>& names,
                  const char* table_name, const std::function<std::string(int)>& group_name) {
  for (int g = 0; g < table.groups(); ++g) {
    for (int k = 0; k < table.columns(); ++k) {
      const std::int64_t v = table.data()[(static_cast<std::size_t>(day) * static_cast<std::size_t>(table.groups()) +
                                           static_cast<std::size_t>(g)) * static_cast<std::size_t>(table.columns()) +
                                          static_cast<std::size_t>(k)];
      if (v < 0 || v > largest_value) {
        broken(day, group_name(g), v < 0 ? "no negative counts" : "values in range",
               std::string(table_name) + " column " + quoted(std::string(names[static_cast<std::size_t>(k)])) +
                   " is " + n(v));
      }
    }
  }
}

}  // namespace

void AgentCheck::reset(std::size_t segments) {
  states.assign(segments * state_count, 0);
  revenue.assign(segments, 0);
  failed = false;
  agent = 0;
  problem.clear();
}

void check_agents(const InvariantInputs& in, std::size_t begin, std::size_t end, AgentCheck& out) {
  const AgentArrays& a = *in.agents;
  const auto& offsets = *in.segment_offsets;
  const auto segments = in.spec->segments.size();
  const auto campaigns = static_cast<unsigned>(in.spec->campaigns.size());
  const auto slots = static_cast<std::size_t>(a.contact_slots);
  const int day = in.day;
  constexpr std::int32_t oldest_day = 100000;
  std::size_t block = 0;  // the segment whose block of agents holds i
  while (block + 1 < segments && static_cast<std::int64_t>(begin) >= offsets[block + 1]) ++block;
  auto fail = [&](std::size_t i, std::string what) {
    out.failed = true;
    out.agent = i;
    out.problem = std::move(what);
  };
  for (std::size_t i = begin; i < end; ++i) {
    while (block + 1 < segments && static_cast<std::int64_t>(i) >= offsets[block + 1]) ++block;
    const unsigned seg = a.segment[i];
    if (seg != block) return fail(i, "its segment is " + std::to_string(seg) + ", its block of agents is segment " +
                                         std::to_string(block));
    const auto state_index = static_cast<unsigned>(a.state[i]);
    if (state_index >= static_cast<unsigned>(state_count)) {
      return fail(i, "its state is " + std::to_string(state_index) + ", there are 7 states");
    }
    const State s = a.state[i];
    const unsigned products = a.products[i];
    if (is_customer(s) ? products < (s == State::developed ? 2u : 1u) : products != 0) {
      return fail(i, "it holds " + std::to_string(products) + " products in state '" +
                         std::string(state_names[state_index]) + "'");
    }
    if (a.effect_campaign[i] > campaigns || a.assigned[i] > campaigns) {
      return fail(i, "its campaign index is out of range (effect " + std::to_string(a.effect_campaign[i]) +
                         ", assigned " + std::to_string(a.assigned[i]) + ", campaigns " +
                         std::to_string(campaigns) + ")");
    }
    // Days lie between the initial population's past (at most about 40,000
    // days back) and today; an effect runs at most 3,650 days ahead. Bounds
    // that keep the engine's day arithmetic far from int32 overflow, whatever
    // a damaged checkpoint holds.
    auto in_past = [&](std::int32_t d) { return d >= -oldest_day && d <= day; };
    // A prospect of the btyd and sbg models holds its future entry day in
    // acquired_day; it still lies within the longest horizon.
    const bool acquired_ok = s == State::prospect
                                 ? a.acquired_day[i] >= -oldest_day && a.acquired_day[i] <= day + 36500
                                 : in_past(a.acquired_day[i]);
    if (!in_past(a.state_since[i]) || !acquired_ok || !in_past(a.last_purchase_day[i]) ||
        (a.assigned[i] != 0 && !in_past(a.assigned_day[i])) ||
        (a.effect_campaign[i] != 0 && (a.effect_until[i] < -oldest_day || a.effect_until[i] > day + 3650))) {
      return fail(i, "a day in its columns lies outside the run (state_since " + std::to_string(a.state_since[i]) +
                         ", acquired_day " + std::to_string(a.acquired_day[i]) + ", last_purchase_day " +
                         std::to_string(a.last_purchase_day[i]) + ", assigned_day " +
                         std::to_string(a.assigned_day[i]) + ", effect_until " + std::to_string(a.effect_until[i]) +
                         ", today " + std::to_string(day) + ")");
    }
    const float rate = a.purchase_rate[i];
    const float hazard = a.churn_hazard[i];
    if (!(std::isfinite(rate) && rate >= 0.0f && std::isfinite(hazard) && hazard >= 0.0f)) {
      return fail(i, "its purchase rate " + std::to_string(rate) + " or churn hazard " +
                         std::to_string(hazard) + " is not a finite number >= 0");
    }
    if (a.revenue_cents[i] < 0 || a.revenue_cents[i] > largest_value || a.window_revenue_cents[i] < 0) {
      return fail(i, "its revenue is negative or beyond 2^62 (" + n(a.revenue_cents[i]) + " cents, window " +
                         n(a.window_revenue_cents[i]) + " cents)");
    }
    if (a.assigned[i] == 0 && (a.flags[i] & (agent_flags::holdout | agent_flags::converted)) != 0) {
      return fail(i, "it is flagged as measured (holdout or converted) without a measurement assignment");
    }
    for (std::size_t k = 0; k < slots; ++k) {
      if (a.contact_days[i * slots + k] > day) {
        return fail(i, "a contact is recorded on day " + std::to_string(a.contact_days[i * slots + k]));
      }
    }
    ++out.states[seg * state_count + state_index];
    out.revenue[seg] += a.revenue_cents[i];
  }
}

void InvariantChecker::update_totals(const InvariantInputs& in, bool incremental) {
  const auto segments = in.spec->segments.size();
  const auto campaigns = in.spec->campaigns.size();
  auto add_day = [&](int d) {
    for (std::size_t s = 0; s < segments; ++s) {
      revenue_[s] += in.kpis->at(d, static_cast<int>(s), Kpi::revenue_cents);
    }
    for (std::size_t c = 0; c < campaigns; ++c) {
      const auto& t = *in.campaigns;
      const int g = static_cast<int>(c);
      spent_[c] += Wide{t.at(d, g, CampaignKpi::contact_cost_micros)} + t.at(d, g, CampaignKpi::incentive_cost_micros);
      Wide* m = &measured_[c * 2 * bucket_kpi_count];
      m[0] += t.at(d, g, CampaignKpi::treated_measured);
      m[1] += t.at(d, g, CampaignKpi::treated_converted);
      m[2] += t.at(d, g, CampaignKpi::treated_revenue_cents);
      m[3] += t.at(d, g, CampaignKpi::holdout_measured);
      m[4] += t.at(d, g, CampaignKpi::holdout_converted);
      m[5] += t.at(d, g, CampaignKpi::holdout_revenue_cents);
    }
  };
  if (incremental && totals_day_ == in.day - 1 && revenue_.size() == segments &&
      spent_.size() == campaigns) {
    add_day(in.day);
  } else {
    // First check, a check on request, or one out of the daily sequence:
    // add up every day so far.
    revenue_.assign(segments, 0);
    spent_.assign(campaigns, 0);
    measured_.assign(campaigns * 2 * bucket_kpi_count, 0);
    for (int d = 0; d <= in.day; ++d) add_day(d);
  }
  totals_day_ = in.day;
}

void InvariantChecker::check(const InvariantInputs& in, const std::vector<AgentCheck>& chunks,
                             bool incremental) {
  static_assert(bucket_kpi_count == 3, "measured_ keeps measured, converted, revenue per group");
  const ScenarioSpec& spec = *in.spec;
  const int day = in.day;
  const int segments = static_cast<int>(spec.segments.size());
  const int campaigns = static_cast<int>(spec.campaigns.size());
  const auto& kpis = *in.kpis;
  const auto& camp = *in.campaigns;
  const auto& tiers = *in.tiers;

  // Agents first: a broken column explains the broken totals that follow from it.
  for (const auto& chunk : chunks) {
    if (chunk.failed) {
      const auto seg = static_cast<int>(in.agents->segment[chunk.agent]);
      const std::string where = "agent " + n(static_cast<std::int64_t>(chunk.agent)) +
                                (seg < segments ? " (" + segment_at(spec, seg) + ")" : "");
      broken(day, where, "agent columns in range", chunk.problem);
    }
  }

  no_negatives(kpis, day, kpi_names, "KPI", [&](int g) { return segment_at(spec, g); });
  no_negatives(camp, day, campaign_kpi_names, "campaign", [&](int g) { return campaign_at(spec, g); });
  no_negatives(tiers, day, tier_kpi_names, "tier", [&](int g) {
    return segment_at(spec, g / in.tier_count) + ", value tier " + std::to_string(g % in.tier_count);
  });
  for (std::size_t k = 0; k < in.buckets->values().size(); ++k) {
    if (in.buckets->values()[k] < 0 || in.buckets->values()[k] > largest_value) {
      const auto group = static_cast<int>(k / bucket_kpi_count / measurement_bucket_count);
      broken(day, campaign_at(spec, group / 2), "no negative counts",
             std::string(group % 2 ? "holdout" : "treated") + " measurement bucket " +
                 std::to_string(k / bucket_kpi_count % measurement_bucket_count) + " column " +
                 quoted(std::string(bucket_kpi_names[k % bucket_kpi_count])) + " is " + n(in.buckets->values()[k]));
    }
  }

  update_totals(in, incremental);
  for (int s = 0; s < segments; ++s) {
    const std::string where = segment_at(spec, s);
    // Closed market, in the table and among the agents.
    Wide people = 0;
    Wide agent_revenue = 0;
    for (int k = 0; k < state_count; ++k) {
      const std::int64_t table = kpis.at(day, s, static_cast<Kpi>(k));
      Wide counted = 0;
      for (const auto& chunk : chunks) counted += chunk.states[static_cast<std::size_t>(s * state_count + k)];
      if (counted != table) {
        broken(day, where, "closed market",
               n(counted) + " agents are in state '" + std::string(state_names[static_cast<std::size_t>(k)]) +
                   "', the KPI table says " + n(table));
      }
      people += table;
    }
    const std::int64_t market = spec.segments[static_cast<std::size_t>(s)].market_size;
    if (people != market) {
      broken(day, where, "closed market",
             "the 7 states add up to " + n(people) + " people, market_size is " + n(market));
    }
    for (const auto& chunk : chunks) agent_revenue += chunk.revenue[static_cast<std::size_t>(s)];
    if (agent_revenue != revenue_[static_cast<std::size_t>(s)]) {
      broken(day, where, "revenue",
             "the agents' lifetime revenue is " + n(agent_revenue) + " cents, the daily revenue adds up to " +
                 n(revenue_[static_cast<std::size_t>(s)]) + " cents");
    }

    // Flow balance against yesterday.
    if (day > 0) {
      auto at = [&](int d, Kpi k) { return Wide{kpis.at(d, s, k)}; };
      auto flow = [&](Kpi k) { return at(day, k); };
      auto check = [&](const char* who, Wide change, Wide flows, const char* formula) {
        if (change != flows) {
          broken(day, where, "flow balance",
                 std::string(who) + " changed by " + n(change) + " since yesterday, " + formula + " is " + n(flows));
        }
      };
      const Wide direct = flow(Kpi::acquisitions) - flow(Kpi::lead_conversions);
      check("customers", customers(kpis, day, s) - customers(kpis, day - 1, s),
            flow(Kpi::acquisitions) + flow(Kpi::win_backs) - flow(Kpi::defections),
            "acquisitions + win_backs - defections");
      check("prospects", at(day, Kpi::prospect) - at(day - 1, Kpi::prospect),
            flow(Kpi::lead_expiries) + flow(Kpi::returns_to_market) - flow(Kpi::enquiries) - direct,
            "lead_expiries + returns_to_market - enquiries - (acquisitions - lead_conversions)");
      check("leads", at(day, Kpi::lead) - at(day - 1, Kpi::lead),
            flow(Kpi::enquiries) - flow(Kpi::lead_conversions) - flow(Kpi::lead_expiries),
            "enquiries - lead_conversions - lead_expiries");
      check("lapsed people", at(day, Kpi::lapsed) - at(day - 1, Kpi::lapsed),
            flow(Kpi::defections) - flow(Kpi::win_backs) - flow(Kpi::returns_to_market),
            "defections - win_backs - returns_to_market");
    }

    // The tier table splits the segment's customers, revenue and costs.
    Wide tier_customers = 0, tier_revenue = 0, tier_cost = 0;
    for (int t = 0; t < in.tier_count; ++t) {
      const int g = s * in.tier_count + t;
      tier_customers += tiers.at(day, g, TierKpi::customers);
      tier_revenue += tiers.at(day, g, TierKpi::revenue_cents);
      tier_cost += tiers.at(day, g, TierKpi::marketing_cost_micros);
    }
    if (tier_customers != customers(kpis, day, s) || tier_revenue != kpis.at(day, s, Kpi::revenue_cents) ||
        tier_cost != kpis.at(day, s, Kpi::marketing_cost_micros)) {
      broken(day, where, "revenue",
             "the value tiers add up to " + n(tier_customers) + " customers, " + n(tier_revenue) +
                 " cents revenue and " + n(tier_cost) + " micros cost; the KPI table says " +
                 n(customers(kpis, day, s)) + ", " + n(kpis.at(day, s, Kpi::revenue_cents)) + " and " +
                 n(kpis.at(day, s, Kpi::marketing_cost_micros)));
    }
  }

  // Campaigns: the funnel, the limits, the budget and the measurement.
  Wide segment_cost = 0;
  for (int s = 0; s < segments; ++s) segment_cost += kpis.at(day, s, Kpi::marketing_cost_micros);
  Wide campaign_cost = 0;
  std::vector<Wide> channel_contacts(spec.channels.size(), 0);
  for (int c = 0; c < campaigns; ++c) {
    const std::string where = campaign_at(spec, c);
    auto v = [&](CampaignKpi k) { return Wide{camp.at(day, c, k)}; };
    auto at_most = [&](CampaignKpi k, Wide limit, CampaignKpi of, const char* invariant) {
      if (v(k) > limit) {
        broken(day, where, invariant,
               column_name(campaign_kpi_names, k) + " is " + n(v(k)) + ", more than " +
                   column_name(campaign_kpi_names, of) + " (" + n(limit) + ")");
      }
    };
    at_most(CampaignKpi::held_out, v(CampaignKpi::eligible), CampaignKpi::eligible, "campaign funnel");
    at_most(CampaignKpi::selected, v(CampaignKpi::eligible) - v(CampaignKpi::held_out), CampaignKpi::eligible,
            "campaign funnel");
    at_most(CampaignKpi::contacted, v(CampaignKpi::selected), CampaignKpi::selected, "campaign funnel");
    at_most(CampaignKpi::delivered, v(CampaignKpi::contacted), CampaignKpi::contacted, "campaign funnel");
    at_most(CampaignKpi::responded, v(CampaignKpi::delivered), CampaignKpi::delivered, "campaign funnel");
    at_most(CampaignKpi::unsubscribed, v(CampaignKpi::delivered), CampaignKpi::delivered, "campaign funnel");
    at_most(CampaignKpi::treated_converted, v(CampaignKpi::treated_measured), CampaignKpi::treated_measured,
            "campaign funnel");
    at_most(CampaignKpi::holdout_converted, v(CampaignKpi::holdout_measured), CampaignKpi::holdout_measured,
            "campaign funnel");

    const CampaignPlan& plan = (*in.plans)[static_cast<std::size_t>(c)];
    if (plan.max_contacts_per_day >= 0 && v(CampaignKpi::contacted) > plan.max_contacts_per_day) {
      broken(day, where, "daily cap",
             n(v(CampaignKpi::contacted)) + " contacts, max_contacts_per_day is " + n(plan.max_contacts_per_day));
    }
    channel_contacts[static_cast<std::size_t>(plan.channel)] += v(CampaignKpi::contacted);
    const std::int64_t spent = (*in.states)[static_cast<std::size_t>(c)].spent_micros;
    if (spent < 0 || spent > largest_value) {
      broken(day, where, "values in range", "the budget used is " + n(spent) + " micros");
    }
    if (plan.budget_micros >= 0 && spent > plan.budget_micros) {
      broken(day, where, "budget",
             "spent " + n(spent) + " micros, the budget is " + n(plan.budget_micros) + " micros");
    }
    if (spent != spent_[static_cast<std::size_t>(c)]) {
      broken(day, where, "budget",
             "the budget used is " + n(spent) + " micros, the contact and incentive costs add up to " +
                 n(spent_[static_cast<std::size_t>(c)]) + " micros");
    }
    campaign_cost += v(CampaignKpi::contact_cost_micros) + v(CampaignKpi::incentive_cost_micros);

    // Person buckets against the table's totals, treated then holdout.
    for (int group = 0; group < 2; ++group) {
      Wide sums[bucket_kpi_count] = {0, 0, 0};
      for (int b = 0; b < measurement_bucket_count; ++b) {
        const int row = (c * 2 + group) * measurement_bucket_count + b;
        for (int k = 0; k < bucket_kpi_count; ++k) sums[k] += in.buckets->at(row, static_cast<BucketKpi>(k));
      }
      const Wide* expected = &measured_[static_cast<std::size_t>((c * 2 + group) * bucket_kpi_count)];
      for (int k = 0; k < bucket_kpi_count; ++k) {
        if (sums[k] != expected[k]) {
          broken(day, where, "measurement conservation",
                 std::string(group ? "holdout" : "treated") + " buckets add up to " + n(sums[k]) + " " +
                     std::string(bucket_kpi_names[static_cast<std::size_t>(k)]) + ", the campaign table to " +
                     n(expected[k]));
        }
      }
    }
    const double adstock = (*in.states)[static_cast<std::size_t>(c)].adstock;
    if (!(std::isfinite(adstock) && adstock >= 0.0)) {
      broken(day, where, "brand adstock", "adstock is " + std::to_string(adstock));
    }
  }
  if (campaign_cost != segment_cost) {
    broken(day, "", "revenue",
           "the segments' marketing cost is " + n(segment_cost) + " micros, the campaigns' " + n(campaign_cost) +
               " micros");
  }
  for (std::size_t ch = 0; ch < spec.channels.size(); ++ch) {
    const std::int64_t capacity = spec.channels[ch].capacity_per_day;
    if (capacity >= 0 && channel_contacts[ch] > capacity) {
      broken(day, "channel " + quoted(spec.channels[ch].name), "channel capacity",
             n(channel_contacts[ch]) + " contacts, capacity_per_day is " + n(capacity));
    }
  }
}

}  // namespace crmsim::detail
