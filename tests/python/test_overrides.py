"""Scenario.with_overrides: dotted paths, named list items, and errors that name the path."""

from __future__ import annotations

import pytest
from conftest import BASELINE

import crmsim

SRC = str(BASELINE)


def test_overrides_change_only_the_named_fields(baseline):
    alt = baseline.with_overrides({
        "segments.young_urban.churn.annual_rate": 0.3,
        "segments.2.purchases.spend_mean": 11.5,  # an item by position
        "lifecycle.welcome_days": 60,
        "days": 365,
        "campaigns.win_back_email.budget": 5000,     # every named list: by name
        "channels.email.cost_per_contact": 0.003,
        "propositions.come_back_offer.offer.incentive": 4.0,
    })
    want = baseline.to_dict()
    names = {key: [item["name"] for item in want[key]]
             for key in ("campaigns", "channels", "propositions")}
    want["campaigns"][names["campaigns"].index("win_back_email")]["budget"] = 5000
    want["channels"][names["channels"].index("email")]["cost_per_contact"] = 0.003
    want["propositions"][names["propositions"].index("come_back_offer")]["offer"]["incentive"] = 4.0
    want["segments"][0]["churn"]["annual_rate"] = 0.3
    want["segments"][2]["purchases"]["spend_mean"] = 11.5
    want["lifecycle"]["welcome_days"] = 60
    want["days"] = 365
    assert alt.to_dict() == want
    assert alt.source == baseline.source
    # The original is unchanged: scenarios are immutable.
    assert baseline.to_dict()["segments"][0]["churn"]["annual_rate"] == 0.32


def test_no_overrides_is_the_same_scenario(baseline):
    assert baseline.with_overrides({}) == baseline


def test_a_whole_block_can_be_replaced_by_a_mapping(baseline):
    alt = baseline.with_overrides({"segments.seniors.churn": {"annual_rate": 0.1}})
    churn = alt.to_dict()["segments"][2]["churn"]
    assert churn["annual_rate"] == 0.1
    assert churn["new_multiplier"] == 2.0  # defaults filled again by validation


def test_numpy_values_are_accepted(baseline):
    np = pytest.importorskip("numpy")
    alt = baseline.with_overrides({"days": np.int64(100),
                                   "segments.families.churn.annual_rate": np.float64(0.25)})
    assert alt.days == 100
    assert alt.to_dict()["segments"][1]["churn"]["annual_rate"] == 0.25


@pytest.mark.parametrize("path, value, message", [
    ("segments.young.churn.annual_rate", 0.2,
     "override 'segments.young.churn.annual_rate' = 0.2: segments has no item named 'young' "
     "(did you mean 'young_urban'? names: 'young_urban', 'families', 'seniors')"),
    ("segments.young_urban.churn.anual_rate", 0.2,
     "override 'segments.young_urban.churn.anual_rate' = 0.2: segments.young_urban.churn has "
     "no field 'anual_rate' (did you mean 'annual_rate'?)"),
    ("lifecycle.welcome_day", 30,
     "override 'lifecycle.welcome_day' = 30: lifecycle has no field 'welcome_day' "
     "(did you mean 'welcome_days'?)"),
    ("horizon", 30,
     "override 'horizon' = 30: the top level has no field 'horizon' (fields there: name, "),
    ("segments.7.churn.annual_rate", 0.2,
     "override 'segments.7.churn.annual_rate' = 0.2: segments has 3 items (0 to 2), no item 7"),
    ("segments.young_urban.churn", 0.2,
     "override 'segments.young_urban.churn' = 0.2: segments.young_urban.churn is a mapping of "
     "fields (annual_rate, polarization, new_multiplier, developed_multiplier, "
     "at_risk_multiplier), not a single value; override one of them, e.g. "
     "'segments.young_urban.churn.annual_rate'"),
    ("segments.young_urban.churn.annual_rate.x", 1,
     "override 'segments.young_urban.churn.annual_rate.x' = 1: "
     "segments.young_urban.churn.annual_rate is a single value (0.32), it has no field 'x'"),
    ("segments..churn", 1,
     "override 'segments..churn' = 1: a path must not have empty parts (two dots, or a dot "
     "at an end)"),
    ("", 1, "override '' = 1: a path must be text such as"),
])
def test_a_wrong_path_names_the_path_what_exists_and_the_value(baseline, path, value, message):
    with pytest.raises(crmsim.ScenarioError) as e:
        baseline.with_overrides({path: value})
    assert len(e.value.errors) == 1
    assert e.value.errors[0].startswith(f"{SRC}: {message}")


def test_every_wrong_path_is_reported_at_once(baseline):
    with pytest.raises(crmsim.ScenarioError) as e:
        baseline.with_overrides({"dayz": 1, "lifecycle.welcome_days": 10, "segments.x.name": "y"})
    assert [m.split(":")[1].strip() for m in e.value.errors] == [
        "override 'dayz' = 1", "override 'segments.x.name' = 'y'"]


@pytest.mark.parametrize("path, value, message", [
    ("segments.young_urban.churn.annual_rate", 1.7,
     "segments[0].churn.annual_rate: must be between 0 and 1, got 1.7"),
    ("segments.young_urban.churn.annual_rate", "high",
     "segments[0].churn.annual_rate: must be a number, got 'high'"),
    ("days", 0, "days: must be between 1 and 36500, got 0"),
    ("segments.families.name", "young_urban",
     "segments[1].name: duplicate segment name 'young_urban', already used by segments[0]"),
])
def test_a_bad_value_reads_like_the_loader_and_names_the_override(baseline, path, value,
                                                                 message):
    with pytest.raises(crmsim.ScenarioError) as e:
        baseline.with_overrides({path: value})
    # The message about the overridden field names the override; renaming a
    # segment also breaks other references to it (reported as the loader would).
    assert f"{SRC}: {message} (override {path!r})" in e.value.errors


def test_overrides_must_be_a_mapping(baseline):
    with pytest.raises(TypeError, match="mapping of path -> value"):
        baseline.with_overrides([("days", 3)])
