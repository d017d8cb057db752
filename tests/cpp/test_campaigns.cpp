// Campaigns: limits are hard limits, opt-outs and holdouts are never
// contacted, and every type does what it says.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "campaigns.hpp"
#include "crmsim/rng.hpp"
#include "crmsim/simulation.hpp"
#include "test_support.hpp"

using crmsim::CampaignKpi;
using crmsim::Kpi;

namespace {

std::int64_t campaign_total(const crmsim::Simulation& sim, int c, CampaignKpi k) {
  std::int64_t sum = 0;
  for (int day = 1; day <= sim.day(); ++day) sum += sim.campaign_kpis().at(day, c, k);
  return sum;
}

std::uint16_t last_contact(const crmsim::AgentArrays& a, std::size_t i) {
  const auto slots = static_cast<std::size_t>(a.contact_slots);
  return *std::max_element(a.contact_days.begin() + static_cast<std::ptrdiff_t>(i * slots),
                           a.contact_days.begin() + static_cast<std::ptrdiff_t>((i + 1) * slots));
}

}  // namespace

TEST_CASE("every campaign type is exercised", "[campaigns]") {
  const auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(120));
  crmsim::Simulation sim(spec, {.seed = 3, .threads = 2});
  sim.run_to_end();
  for (int c = 0; c < static_cast<int>(spec.campaigns.size()); ++c) {
    INFO("campaign " << spec.campaigns[static_cast<std::size_t>(c)].name);
    CHECK(campaign_total(sim, c, CampaignKpi::contacted) > 0);
    CHECK(campaign_total(sim, c, CampaignKpi::delivered) > 0);
    if (spec.campaigns[static_cast<std::size_t>(c)].type != crmsim::CampaignType::brand) {
      CHECK(campaign_total(sim, c, CampaignKpi::responded) > 0);
      CHECK(campaign_total(sim, c, CampaignKpi::held_out) > 0);
      CHECK(campaign_total(sim, c, CampaignKpi::treated_measured) > 0);
      CHECK(campaign_total(sim, c, CampaignKpi::holdout_measured) > 0);
    }
  }
  CHECK(sim.campaign_adstock()[6] > 0.0);
}

TEST_CASE("budgets, daily caps and channel capacity are never exceeded", "[campaigns]") {
  const auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(120));
  crmsim::Simulation sim(spec, {.seed = 4, .threads = 2});
  sim.run_to_end();
  const auto spent = sim.campaign_spent_micros();
  for (std::size_t c = 0; c < spec.campaigns.size(); ++c) {
    const auto& cs = spec.campaigns[c];
    std::int64_t booked = 0;
    for (int day = 1; day <= sim.day(); ++day) {
      const int id = static_cast<int>(c);
      booked += sim.campaign_kpis().at(day, id, CampaignKpi::contact_cost_micros) +
                sim.campaign_kpis().at(day, id, CampaignKpi::incentive_cost_micros);
      if (cs.max_contacts_per_day >= 0) {
        REQUIRE(sim.campaign_kpis().at(day, id, CampaignKpi::contacted) <= cs.max_contacts_per_day);
      }
    }
    CHECK(booked == spent[c]);
    if (cs.budget >= 0) CHECK(spent[c] <= crmsim::detail::to_micros(cs.budget));
  }
  // The limited campaigns really ran into their limits.
  CHECK(spent[0] > crmsim::detail::to_micros(600.0) * 9 / 10);
  const int call = 1;
  bool capacity_reached = false;
  for (int day = 1; day <= sim.day(); ++day) {
    std::int64_t on_call = 0;
    for (std::size_t c = 0; c < spec.campaigns.size(); ++c) {
      if (spec.campaigns[c].channel == call) {
        on_call += sim.campaign_kpis().at(day, static_cast<int>(c), CampaignKpi::contacted);
      }
    }
    REQUIRE(on_call <= spec.channels[call].capacity_per_day);
    capacity_reached = capacity_reached || on_call == spec.channels[call].capacity_per_day;
  }
  CHECK(capacity_reached);
}

TEST_CASE("opted-out people are never contacted again", "[campaigns]") {
  auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(90));
  for (auto& ch : spec.channels) ch.unsubscribe_probability = 0.2;
  crmsim::Simulation sim(spec, {.seed = 5, .threads = 2});
  std::vector<std::uint8_t> out(sim.agents().size(), 0);
  std::size_t opted = 0;
  for (int day = 1; day <= 90; ++day) {
    sim.advance(1);
    const auto& a = sim.agents();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (out[i]) REQUIRE(last_contact(a, i) < day);
      if (!out[i] && (a.flags[i] & crmsim::agent_flags::opted_out)) {
        out[i] = 1;
        ++opted;
      }
    }
  }
  CHECK(opted > 100);
}

TEST_CASE("holdout agents are never contacted by their campaign", "[campaigns]") {
  auto spec = crmsim::test::busy_scenario(60);
  spec = crmsim::test::with_campaigns(spec);
  // One campaign only, so any contact is that campaign's.
  auto keep = spec.campaigns[3];
  keep.holdout_share = 0.3;
  keep.budget = -1.0;
  keep.trigger = {};
  keep.schedule = {1, 0, 10};
  spec.campaigns = {keep};
  spec.channels[1].capacity_per_day = -1;
  const std::uint64_t seed = 8;
  crmsim::Simulation sim(spec, {.seed = seed, .threads = 2});
  sim.run_to_end();
  const auto& a = sim.agents();
  const auto threshold = crmsim::probability_threshold(0.3);
  std::size_t holdouts = 0;
  std::size_t contacted = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto w = crmsim::draw_block(seed, crmsim::Purpose::campaign_assignment,
                                      static_cast<std::uint32_t>(i), 0, 0);
    if (w[0] < threshold) {
      ++holdouts;
      REQUIRE(last_contact(a, i) == 0);
    } else if (last_contact(a, i) != 0) {
      ++contacted;
    }
  }
  CHECK(holdouts > 1000);
  CHECK(contacted > 1000);
  CHECK(campaign_total(sim, 0, CampaignKpi::held_out) > 0);
}

TEST_CASE("the contact policy caps contacts per rolling window", "[campaigns]") {
  auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(60));
  spec.contact_policy = {2, 20};
  // Daily waves to everybody on email: the policy is the only limit.
  for (auto& c : spec.campaigns) {
    c.schedule = {1, 0, 1};
    c.trigger = {};
    c.budget = -1.0;
    c.max_contacts_per_day = -1;
  }
  for (auto& ch : spec.channels) ch.capacity_per_day = -1;
  crmsim::Simulation sim(spec, {.seed = 9, .threads = 2});
  for (int day = 1; day <= 60; ++day) {
    sim.advance(1);
    const auto& a = sim.agents();
    for (std::size_t i = 0; i < a.size(); i += 7) {
      REQUIRE(crmsim::detail::recent_contacts(a, i, day + 1, 20) <= 2);
    }
  }
}

TEST_CASE("responses do what the campaign type says", "[campaigns]") {
  // Certain delivery and response: each type's transition must show in the KPIs.
  auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(30));
  for (auto& ch : spec.channels) {
    ch.reach = 1.0;
    ch.base_response = {1.0, 1.0};
    ch.fatigue = 0.0;
    ch.unsubscribe_probability = 0.0;
    ch.capacity_per_day = -1;
  }
  spec.contact_policy = {0, 30};
  for (auto& c : spec.campaigns) {
    c.budget = -1.0;
    c.max_contacts_per_day = -1;
  }
  crmsim::Simulation sim(spec, {.seed = 10, .threads = 2});
  sim.run_to_end();
  auto flow = [&](Kpi k) {
    std::int64_t sum = 0;
    for (int day = 1; day <= sim.day(); ++day) sum += sim.kpis().total(day, k);
    return sum;
  };
  const auto responded = [&](int c) { return campaign_total(sim, c, CampaignKpi::responded); };
  CHECK(flow(Kpi::win_backs) == responded(5));
  CHECK(flow(Kpi::campaign_acquisitions) >= responded(0) * 2 / 10);
  CHECK(flow(Kpi::developments) >= responded(2));
  CHECK(flow(Kpi::recoveries) >= responded(4));
  // Every responder of the discount proposition pays less: discounts were booked.
  CHECK(campaign_total(sim, 3, CampaignKpi::discount_cost_micros) > 0);
  CHECK(campaign_total(sim, 3, CampaignKpi::incentive_cost_micros) ==
        responded(3) * crmsim::detail::to_micros(5.0));
}

TEST_CASE("value tiers partition customers", "[campaigns]") {
  const auto spec = crmsim::test::with_campaigns(crmsim::test::busy_scenario(30));
  crmsim::Simulation sim(spec, {.seed = 11, .threads = 2});
  sim.run_to_end();
  const auto& t = sim.tier_kpis();
  for (int day = 0; day <= sim.day(); ++day) {
    for (int s = 0; s < 2; ++s) {
      std::int64_t customers = 0;
      std::int64_t revenue = 0;
      for (int tier = 0; tier < sim.tiers(); ++tier) {
        customers += t.at(day, s * sim.tiers() + tier, crmsim::TierKpi::customers);
        revenue += t.at(day, s * sim.tiers() + tier, crmsim::TierKpi::revenue_cents);
      }
      const auto& k = sim.kpis();
      REQUIRE(customers == k.at(day, s, Kpi::new_customer) + k.at(day, s, Kpi::active) +
                               k.at(day, s, Kpi::developed) + k.at(day, s, Kpi::at_risk));
      REQUIRE(revenue == k.at(day, s, Kpi::revenue_cents));
    }
  }
  CHECK(t.at(30, 2, crmsim::TierKpi::customers) > 0);  // segment 0, gold
}
