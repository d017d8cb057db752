"""Bad campaign definitions: each mistake gets one clear, exact message naming the file,
the field path, what was expected and what was found (names checked against the
scenario's channels, propositions, segments and value tiers, with a suggestion)."""

from __future__ import annotations

import pytest

import crmsim
from crmsim import ScenarioError

#: A valid scenario with every marketing block; each case below edits it in one place.
GOOD = """\
name: Test market
start_date: 2027-01-01
days: 60
segments:
  - name: young
    market_size: 2000
    initial: {new: 50, active: 600, at_risk: 40, lapsed: 60}
    acquisition: {innovation_per_year: 0.05, imitation_per_year: 0.3}
    churn: {annual_rate: 0.3}
    purchases: {per_year: 12, spend_mean: 15.0}
    proposition: basic
  - name: old
    market_size: 1000
    initial: {active: 300}
    acquisition: {innovation_per_year: 0.01, imitation_per_year: 0.2}
    churn: {annual_rate: 0.2}
    purchases: {per_year: 12, spend_mean: 30.0}
propositions:
  - {name: basic, price_competitiveness: 0.5}
  - name: come_back
    price_competitiveness: 0.8
    offer: {discount_share: 0.2, duration_days: 30}
contact_policy: {max_contacts: 3, window_days: 30}
value_tiers:
  - {name: silver, min_annual_value: 0}
  - {name: gold, min_annual_value: 300}
channels:
  - name: email
    cost_per_contact: 0.01
    base_response: {young: 0.05, default: 0.03}
  - name: call
    cost_per_contact: 3.0
    base_response: 0.2
    capacity_per_day: 100
campaigns:
  - name: win_back_email
    type: win_back
    channel: email
    trigger: {lapsed_for_days: 14}
    proposition: come_back
    budget: 5000
    holdout_share: 0.1
    priority: 1
    measurement_days: 60
  - name: retention_call
    type: retention
    channel: call
    schedule: {start_day: 5, every_days: 30}
    targeting: {states: [active, at_risk], segments: [young], value_tiers: [gold], min_score: 0.4}
    effect: {churn_reduction: 0.5, duration_days: 60}
    holdout_share: 0.2
  - name: welcome_email
    type: welcome
    channel: email
    trigger: {tenure_day: 7}
  - name: brand_push
    type: brand
    channel: email
    schedule: {every_days: 7}
    effect: {brand_lift: 0.5}
    holdout_share: 0.0  # brand
"""

F = "telco.yaml"

# (id, [(old, new), ...] replacements applied to GOOD, expected messages in order)
CASES = [
    ("unknown_channel",
     [("    channel: email\n    trigger: {lapsed", "    channel: emial\n    trigger: {lapsed")],
     [f"{F}: campaigns[0].channel: unknown channel 'emial' (known: email, call; did you "
      "mean 'email'?)"]),
    ("negative_budget",
     [("budget: 5000", "budget: -5000")],
     [f"{F}: campaigns[0].budget: must be between 0 and 1000000000000, or null for no limit, "
      "got -5000"]),
    ("budget_not_a_number",
     [("budget: 5000", "budget: lots")],
     [f"{F}: campaigns[0].budget: must be a number, or null for no limit, got 'lots'"]),
    ("holdout_share_above_one",
     [("holdout_share: 0.1\n    priority: 1", "holdout_share: 1.5\n    priority: 1")],
     [f"{F}: campaigns[0].holdout_share: must be between 0 and 1, got 1.5"]),
    ("trigger_on_a_state_that_does_not_exist",
     [("trigger: {lapsed_for_days: 14}", "trigger: {entered_churned: true}")],
     [f"{F}: campaigns[0].trigger: unknown trigger 'entered_churned' (known triggers: "
      "tenure_day, entered_at_risk, lapsed_for_days, no_purchase_for_days; 'churned' "
      "is not a lifecycle state, the states are prospect, lead, new, active, "
      "developed, at_risk, lapsed)"]),
    ("trigger_on_entering_another_state",
     [("trigger: {lapsed_for_days: 14}", "trigger: {entered_lapsed: true}")],
     [f"{F}: campaigns[0].trigger: unknown trigger 'entered_lapsed' (known triggers: "
      "tenure_day, entered_at_risk, lapsed_for_days, no_purchase_for_days; of the "
      "states, only entered_at_risk is a trigger)"]),
    ("misspelt_trigger",
     [("trigger: {lapsed_for_days: 14}", "trigger: {lapsed_days: 14}")],
     [f"{F}: campaigns[0].trigger: unknown trigger 'lapsed_days' (known triggers: "
      "tenure_day, entered_at_risk, lapsed_for_days, no_purchase_for_days; did you "
      "mean 'lapsed_for_days'?)"]),
    ("two_triggers",
     [("trigger: {lapsed_for_days: 14}", "trigger: {lapsed_for_days: 14, tenure_day: 3}")],
     [f"{F}: campaigns[0].trigger: must name exactly one trigger, got 2: lapsed_for_days, "
      "tenure_day"]),
    ("empty_trigger",
     [("trigger: {lapsed_for_days: 14}", "trigger: {}")],
     [f"{F}: campaigns[0].trigger: must name one trigger (tenure_day, entered_at_risk, "
      "lapsed_for_days, no_purchase_for_days), or be left out"]),
    ("trigger_flag_false",
     [("trigger: {tenure_day: 7}", "trigger: {entered_at_risk: false}")],
     [f"{F}: campaigns[2].trigger.entered_at_risk: must be true, got false"]),
    ("trigger_cannot_fire_for_the_targeted_states",
     [("trigger: {lapsed_for_days: 14}", "trigger: {tenure_day: 14}")],
     [f"{F}: campaigns[0].trigger: tenure_day fires only for new, active, developed or "
      "at_risk people, but the campaign targets lapsed people"]),
    ("lapsed_trigger_after_the_winback_window",
     [("trigger: {lapsed_for_days: 14}", "trigger: {lapsed_for_days: 400}")],
     [f"{F}: campaigns[0].trigger.lapsed_for_days: must be at most "
      "lifecycle.winback_window_days (180): after that people are prospects again "
      "and the trigger never fires, got 400"]),
    ("unknown_targeting_state",
     [("states: [active, at_risk]", "states: [active, churned]")],
     [f"{F}: campaigns[1].targeting.states[1]: must be one of 'prospect', 'lead', 'new', "
      "'active', 'developed', 'at_risk', 'lapsed', got 'churned'"]),
    ("state_the_type_cannot_act_on",
     [("states: [active, at_risk]", "states: [active, lapsed]")],
     [f"{F}: campaigns[1].targeting.states: a retention campaign acts only on new, active, "
      "developed or at_risk people, got lapsed"]),
    ("brand_with_a_holdout",
     [("holdout_share: 0.0  # brand", "holdout_share: 0.1  # brand")],
     [f"{F}: campaigns[3].holdout_share: must be 0 for a brand campaign (its effect is "
      "market-wide, so nobody can be held out), got 0.1"]),
    ("unknown_proposition",
     [("proposition: come_back", "proposition: comeback")],
     [f"{F}: campaigns[0].proposition: unknown proposition 'comeback' (known: basic, "
      "come_back; did you mean 'come_back'?)"]),
    ("unknown_segment_in_targeting",
     [("segments: [young]", "segments: [yung]")],
     [f"{F}: campaigns[1].targeting.segments[0]: unknown segment 'yung' (known: young, "
      "old; did you mean 'young'?)"]),
    ("unknown_value_tier_in_targeting",
     [("value_tiers: [gold]", "value_tiers: [platinum]")],
     [f"{F}: campaigns[1].targeting.value_tiers[0]: unknown value tier 'platinum' (known: "
      "silver, gold)"]),
    ("unknown_campaign_type",
     [("type: win_back", "type: winback")],
     [f"{F}: campaigns[0].type: must be one of 'acquisition', 'welcome', 'cross_sell', "
      "'retention', 'service_recovery', 'win_back', 'brand', got 'winback' (did you "
      "mean 'win_back'?)"]),
    ("unknown_campaign_field",
     [("measurement_days: 60", "measurement_window: 60")],
     [f"{F}: campaigns[0]: unknown field 'measurement_window' (did you mean "
      "'measurement_days'?)"]),
    ("duplicate_campaign_name",
     [("name: retention_call", "name: win_back_email")],
     [f"{F}: campaigns[1].name: duplicate campaign name 'win_back_email', already used by "
      "campaigns[0]"]),
    ("base_response_for_an_unknown_segment",
     [("base_response: {young: 0.05, default: 0.03}", "base_response: {young: 0.05, olds: 0.03}")],
     [f"{F}: channels[0].base_response: unknown segment 'olds' (known: young, old, "
      "default; did you mean 'old'?)"]),
    ("base_response_missing_a_segment",
     [("base_response: {young: 0.05, default: 0.03}", "base_response: {young: 0.05}")],
     [f"{F}: channels[0].base_response: no response given for segment 'old': name every "
      "segment or add 'default: VALUE' for the others"]),
    ("base_response_above_one",
     [("base_response: 0.2\n", "base_response: 20\n")],
     [f"{F}: channels[1].base_response: must be between 0 and 1, got 20"]),
    ("capacity_below_zero",
     [("capacity_per_day: 100", "capacity_per_day: -1")],
     [f"{F}: channels[1].capacity_per_day: must be between 0 and 4294967295, or null for "
      "unlimited, got -1"]),
    ("first_value_tier_not_zero",
     [("{name: silver, min_annual_value: 0}", "{name: silver, min_annual_value: 50}")],
     [f"{F}: value_tiers[0].min_annual_value: must be 0 for the first tier (every customer "
      "is in some tier), got 50"]),
    ("value_tiers_not_ascending",
     [("{name: gold, min_annual_value: 300}", "{name: gold, min_annual_value: 0}")],
     [f"{F}: value_tiers[1].min_annual_value: must be greater than the previous tier's "
      "(0): tiers go from lowest to highest value, got 0"]),
    ("direct_share_on_a_retention_campaign",
     [("duration_days: 60}", "duration_days: 60, direct_share: 0.3}")],
     [f"{F}: campaigns[1].effect.direct_share: only acquisition campaigns use "
      "direct_share; this is a retention campaign, got 0.3"]),
    ("churn_reduction_without_duration",
     [("churn_reduction: 0.5, duration_days: 60", "churn_reduction: 0.5")],
     [f"{F}: campaigns[1].effect.duration_days: must be at least 1 when churn_reduction is "
      "set (the days the lower churn lasts), got 0"]),
    ("end_day_before_start_day",
     [("start_day: 5, every", "start_day: 5, end_day: 3, every")],
     [f"{F}: campaigns[1].schedule.end_day: must be at least start_day (5), or null for "
      "the end of the run, got 3"]),
    ("max_score_below_min_score",
     [("min_score: 0.4", "min_score: 0.4, max_score: 0.2")],
     [f"{F}: campaigns[1].targeting.max_score: must be at least min_score (0.4), got 0.2"]),
    ("segment_proposition_unknown",
     [("proposition: basic", "proposition: basics")],
     [f"{F}: segments[0].proposition: unknown proposition 'basics' (known: basic, "
      "come_back; did you mean 'basic'?)"]),
    ("scheduled_campaign_without_a_cadence",
     [("    schedule: {every_days: 7}\n", "")],
     [f"{F}: campaigns[3].schedule: a campaign without a trigger contacts everybody eligible "
      "on each wave day: give schedule.every_days (e.g. 30 for monthly waves, 1 for daily)"]),
    ("triggered_campaign_with_weekly_waves",
     [("trigger: {tenure_day: 7}", "trigger: {tenure_day: 7}\n    schedule: {every_days: 7}")],
     [f"{F}: campaigns[2].schedule.every_days: must be 1 for a campaign with a trigger: the "
      "trigger picks people on one exact day, so waves every 7 days would miss everybody "
      "whose day falls between waves, got 7"]),
    ("contact_policy_zero",
     [("max_contacts: 3", "max_contacts: 0")],
     [f"{F}: contact_policy.max_contacts: must be between 1 and 16, or null for no cap, "
      "got 0"]),

]


def _edit(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, f"the test's base text changed: {old!r}"
        text = text.replace(old, new)
    return text


def test_the_base_text_is_valid_and_runs():
    sc = crmsim.Scenario.from_yaml_text(GOOD, F)
    assert sc.campaigns == ["win_back_email", "retention_call", "welcome_email", "brand_push"]
    assert sc.channels == ["email", "call"] and sc.value_tiers == ["silver", "gold"]
    res = crmsim.run(sc, days=10, threads=1)
    assert list(res.campaigns.index) == sc.campaigns


@pytest.mark.parametrize("edits, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_campaign_definition_gets_one_exact_message(edits, expected):
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_yaml_text(_edit(GOOD, edits), F)
    assert info.value.errors == expected


def test_every_case_is_distinct_and_has_one_message():
    assert len({c[0] for c in CASES}) == len(CASES) >= 30
    assert all(len(c[2]) == 1 for c in CASES)


def test_several_campaign_errors_are_reported_at_once():
    text = _edit(GOOD, [("    channel: email\n    trigger: {lapsed",
                         "    channel: emial\n    trigger: {lapsed"),
                        ("budget: 5000", "budget: -5000"),
                        ("holdout_share: 0.1\n    priority: 1",
                         "holdout_share: 1.5\n    priority: 1")])
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_yaml_text(text, F)
    assert [m.split(": ")[1] for m in info.value.errors] == [
        "campaigns[0].budget", "campaigns[0].channel", "campaigns[0].holdout_share"]


def test_names_with_nothing_to_refer_to(small_dict):
    small_dict["campaigns"] = [{
        "name": "c", "type": "retention", "channel": "email", "proposition": "deal",
        "schedule": {"every_days": 30}, "targeting": {"value_tiers": ["gold"]}}]
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_dict(small_dict, "x.yaml")
    assert info.value.errors == [
        "x.yaml: campaigns[0].channel: unknown channel 'email' (the scenario defines no "
        "channels)",
        "x.yaml: campaigns[0].proposition: unknown proposition 'deal' (the scenario defines no "
        "propositions)",
        "x.yaml: campaigns[0].targeting.value_tiers[0]: unknown value tier 'gold' (the scenario "
        "defines no value_tiers)",
    ]


def test_at_most_254_campaigns(small_dict):
    small_dict["channels"] = [{"name": "email", "base_response": 0.1}]
    small_dict["campaigns"] = [{"name": f"c{i}", "type": "retention", "channel": "email",
                                "trigger": {"tenure_day": 3}} for i in range(255)]
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_dict(small_dict)
    assert info.value.errors == ["<dict>: campaigns: must list at most 254 items, got 255"]


def test_the_engine_guard_agrees_that_brand_campaigns_have_no_holdout():
    # The Python check comes first; the engine's own check is the safety net.
    sc = crmsim.Scenario.from_yaml_text(GOOD, F)
    d = sc.engine_dict()
    d["campaigns"][3]["holdout_share"] = 0.1
    with pytest.raises(crmsim._core.ScenarioError, match=r"campaigns\[3\]\.holdout_share"):
        crmsim._core.Simulation(d)
