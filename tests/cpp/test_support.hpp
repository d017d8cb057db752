// Small scenarios shared by the engine tests.
#pragma once

#include "crmsim/scenario.hpp"

namespace crmsim::test {

/// A two-segment scenario in which every lifecycle path is busy.
inline ScenarioSpec busy_scenario(int days = 120) {
  ScenarioSpec spec;
  spec.name = "busy";
  spec.days = days;
  spec.lifecycle.welcome_days = 20;
  spec.lifecycle.enquiry_window_days = 7;
  spec.lifecycle.winback_window_days = 15;

  SegmentSpec a;
  a.name = "young";
  a.market_size = 30011;  // not a multiple of any chunk size used in the tests
  a.initial = {200, 800, 6000, 900, 300, 400};
  a.acquisition = {0.5, 2.0, 0.4, 0.6};
  a.churn = {0.6, 0.3, 2.0, 0.6, 4.0};
  a.purchases = {24.0, 1.5, 20.0, 3.0};
  a.development = {1.0, 1.5};
  a.problems = {2.0, 10.0};

  SegmentSpec b = a;
  b.name = "families";
  b.market_size = 17003;
  b.initial = {0, 100, 3000, 2000, 0, 50};
  b.acquisition = {0.2, 1.0, 0.0, 0.5};
  b.churn = {0.3, 0.0, 1.5, 0.5, 3.0};
  b.purchases = {12.0, 4.0, 35.0, 6.0};
  spec.segments = {a, b};
  return spec;
}

/// Adds propositions, channels, tiers, a contact policy and one campaign of
/// every type to a scenario with two segments.
inline ScenarioSpec with_campaigns(ScenarioSpec spec) {
  PropositionSpec standard;
  standard.name = "standard";
  standard.price_competitiveness = 0.4;
  standard.service_level = 0.7;
  standard.brand_strength = 0.6;
  PropositionSpec discount = standard;
  discount.name = "discount";
  discount.price_competitiveness = 0.9;
  discount.offer = {0.2, 5.0, 60};
  spec.propositions = {standard, discount};
  spec.segments[0].needs = {2.0, 1.0, 1.0};
  spec.segments[0].proposition = 0;
  spec.segments[1].needs = {0.5, 2.0, 1.0};
  spec.segments[1].proposition = 0;
  spec.segments[1].cost_to_serve_per_year = 30.0;

  ChannelSpec email;
  email.name = "email";
  email.cost_per_contact = 0.003;
  email.fixed_cost_per_wave = 50.0;
  email.reach = 0.9;
  email.base_response = {0.05, 0.03};
  email.fatigue = 0.3;
  email.unsubscribe_probability = 0.01;
  ChannelSpec call = email;
  call.name = "call";
  call.cost_per_contact = 4.0;
  call.fixed_cost_per_wave = 0.0;
  call.reach = 0.6;
  call.base_response = {0.2, 0.25};
  call.capacity_per_day = 150;
  call.unsubscribe_probability = 0.0;
  ChannelSpec tv = email;
  tv.name = "social";
  tv.cost_per_contact = 0.01;
  tv.adstock_decay_per_day = 0.9;
  spec.channels = {email, call, tv};
  spec.value_tiers = {{"bronze", 0.0}, {"silver", 300.0}, {"gold", 700.0}};
  spec.contact_policy = {3, 30};

  auto campaign = [&](const char* name, CampaignType type, int channel) {
    CampaignSpec c;
    c.name = name;
    c.type = type;
    c.channel = channel;
    c.holdout_share = 0.1;
    c.measurement_days = 20;
    return c;
  };
  CampaignSpec acq = campaign("acquire", CampaignType::acquisition, 0);
  acq.schedule = {1, 0, 14};
  acq.effect.direct_share = 0.3;
  acq.budget = 600.0;
  CampaignSpec welcome = campaign("welcome", CampaignType::welcome, 0);
  welcome.trigger = {TriggerKind::tenure_day, 3};
  welcome.effect = {0.3, 30, 0.0, 0.0};
  CampaignSpec cross = campaign("cross", CampaignType::cross_sell, 0);
  cross.schedule = {5, 0, 30};
  cross.targeting.value_tiers = {1, 2};
  cross.proposition = 1;
  CampaignSpec keep = campaign("keep", CampaignType::retention, 1);
  keep.trigger = {TriggerKind::no_purchase_for_days, 40};
  keep.effect = {0.5, 60, 0.0, 0.0};
  keep.proposition = 1;
  keep.budget = 3000.0;
  keep.priority = -1;
  CampaignSpec fix = campaign("fix", CampaignType::service_recovery, 1);
  fix.trigger = {TriggerKind::entered_at_risk, 0};
  CampaignSpec back = campaign("back", CampaignType::win_back, 1);
  back.trigger = {TriggerKind::lapsed_for_days, 7};
  back.max_contacts_per_day = 40;
  CampaignSpec brand = campaign("brand", CampaignType::brand, 2);
  brand.holdout_share = 0.0;
  brand.schedule = {1, 60, 7};
  brand.effect.brand_lift = 0.5;
  brand.targeting.segments = {0};
  spec.campaigns = {acq, welcome, cross, keep, fix, back, brand};
  return spec;
}

}  // namespace crmsim::test
