"""Scenario loading, defaults, variants (days, population) and the dict the engine gets."""

from __future__ import annotations

import datetime
import json
import pickle

import jsonschema
import numpy as np
import pytest
from conftest import BASELINE, SMALL_YAML

import crmsim
from crmsim.scaling import largest_remainder
from crmsim.schema import SCHEMA_PATH, load_schema, resolve

# The engine's defaults (engine/include/crmsim/scenario.hpp); the schema must record the same.
ENGINE_DEFAULTS = {
    ("lifecycle", "welcome_days"): 90,
    ("lifecycle", "enquiry_window_days"): 14,
    ("lifecycle", "winback_window_days"): 180,
    ("acquisition", "enquiry_share"): 0.0,
    ("acquisition", "enquiry_conversion"): 0.5,
    ("churn", "polarization"): 0.0,
    ("churn", "new_multiplier"): 2.0,
    ("churn", "developed_multiplier"): 0.6,
    ("churn", "at_risk_multiplier"): 4.0,
    ("purchases", "rate_shape"): 2.0,
    ("purchases", "spend_shape"): 4.0,
    ("development", "per_year"): 0.0,
    ("development", "spend_multiplier"): 1.5,
    ("problems", "per_year"): 0.0,
    ("problems", "recovery_days_mean"): 30.0,
}


# -- the schema ---------------------------------------------------------------

def test_schema_is_valid_draft_2020_12_and_shipped_in_the_package():
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA_PATH.parent.parent == __import__("pathlib").Path(crmsim.__file__).parent


def _objects(node, root, path=()):
    node = resolve(node, root)
    if node.get("type") == "object":
        yield path, node
        for key, sub in node.get("properties", {}).items():
            yield from _objects(sub, root, (*path, key))
    if "items" in node:
        yield from _objects(node["items"], root, (*path, "[]"))


def test_every_object_forbids_unknown_keys_and_every_field_is_described():
    root = load_schema()
    objects = list(_objects(root, root))
    assert len(objects) >= 9
    for path, node in objects:
        assert node.get("additionalProperties") is False, path
        for key, sub in node["properties"].items():
            assert resolve(sub, root).get("description"), (*path, key)


def test_schema_defaults_match_the_engine():
    root = load_schema()
    segment = root["$defs"]["segment"]["properties"]
    for (block, field), value in ENGINE_DEFAULTS.items():
        props = (root["properties"] if block == "lifecycle" else segment)[block]["properties"]
        assert props[field]["default"] == value, (block, field)
    assert root["properties"]["currency"]["default"] == "EUR"


# -- loading --------------------------------------------------------------------

def test_baseline_loads_with_its_values(baseline):
    assert baseline.name == "Streaming subscription, baseline"
    assert baseline.days == 730
    assert baseline.start_date == datetime.date(2027, 1, 1)
    assert baseline.currency == "EUR"
    assert baseline.segments == ["young_urban", "families", "seniors"]
    assert baseline.population == 200_000
    assert baseline.source == str(BASELINE)
    assert "streaming" in baseline.description.lower()


def test_baseline_is_a_realistic_subscription_business(baseline):
    for seg in baseline.to_dict()["segments"]:
        customers = sum(seg["initial"][k] for k in ("new", "active", "developed", "at_risk"))
        assert 0.2 <= customers / seg["market_size"] <= 0.35, seg["name"]
        assert 0.15 <= seg["churn"]["annual_rate"] <= 0.4
        assert 0.2 <= seg["churn"]["polarization"] <= 0.4
        assert seg["purchases"]["per_year"] == 12
        assert 9 <= seg["purchases"]["spend_mean"] <= 25
        assert 0.01 <= seg["acquisition"]["innovation_per_year"] <= 0.03
        assert 0.2 <= seg["acquisition"]["imitation_per_year"] <= 0.5


def test_defaults_are_filled_and_given_values_kept():
    sc = crmsim.Scenario.from_yaml_text(SMALL_YAML)
    d = sc.to_dict()
    assert d["currency"] == "EUR"
    assert d["lifecycle"] == {"welcome_days": 90, "enquiry_window_days": 14,
                              "winback_window_days": 180}
    young, old = d["segments"]
    assert young["initial"] == {"lead": 0, "new": 20, "active": 200, "developed": 0,
                                "at_risk": 0, "lapsed": 10}
    assert young["acquisition"]["enquiry_share"] == 0.5          # given
    assert young["acquisition"]["enquiry_conversion"] == 0.5     # default
    assert young["churn"]["polarization"] == 0.3
    assert old["churn"]["new_multiplier"] == 2.0
    assert old["problems"] == {"per_year": 1.0, "recovery_days_mean": 30.0}
    assert old["development"] == {"per_year": 0.0, "spend_multiplier": 1.5}


def test_to_dict_is_a_deep_copy_json_data_and_valid_against_the_schema(baseline):
    d = baseline.to_dict()
    d["segments"][0]["churn"]["annual_rate"] = 0.99
    d["name"] = "changed"
    assert baseline.to_dict()["segments"][0]["churn"]["annual_rate"] == 0.32
    assert baseline.name == "Streaming subscription, baseline"
    fresh = baseline.to_dict()
    json.dumps(fresh)
    jsonschema.validate(fresh, load_schema())
    assert crmsim.Scenario.from_dict(fresh, baseline.source) == baseline


def test_from_dict_copies_its_input(small_dict):
    sc = crmsim.Scenario.from_dict(small_dict)
    small_dict["segments"][0]["market_size"] = 5
    assert sc.population == 1500


def test_from_dict_takes_dates_and_numpy_numbers(small_dict):
    small_dict["start_date"] = datetime.date(2030, 6, 1)
    small_dict["days"] = np.int64(45)
    small_dict["segments"][0]["churn"]["annual_rate"] = np.float32(0.25)
    sc = crmsim.Scenario.from_dict(small_dict)
    assert sc.start_date == datetime.date(2030, 6, 1) and sc.days == 45
    assert type(sc.to_dict()["days"]) is int
    assert sc.to_dict()["segments"][0]["churn"]["annual_rate"] == pytest.approx(0.25)


def test_yaml_dates_and_iso_strings_are_the_same(small_dict):
    quoted = SMALL_YAML.replace("start_date: 2027-01-01", "start_date: '2027-01-01'")
    assert crmsim.Scenario.from_yaml_text(quoted) == crmsim.Scenario.from_yaml_text(SMALL_YAML)


def test_yaml_merge_keys_may_override_merged_fields():
    text = SMALL_YAML.replace(
        "    churn: {annual_rate: 0.2}",
        "    churn:\n      <<: {annual_rate: 0.5, polarization: 0.1}\n      annual_rate: 0.2")
    churn = crmsim.Scenario.from_yaml_text(text).to_dict()["segments"][1]["churn"]
    assert churn["annual_rate"] == 0.2 and churn["polarization"] == 0.1


def test_scenario_is_immutable(baseline):
    with pytest.raises(AttributeError):
        baseline.days = 10
    with pytest.raises(AttributeError):
        baseline.name = "x"
    with pytest.raises(TypeError, match="Scenario.load"):
        crmsim.Scenario()


def test_repr_and_pickle(baseline):
    assert repr(baseline) == (f"<Scenario 'Streaming subscription, baseline': 3 segments, "
                              f"200,000 people, 730 days, from {BASELINE}>")
    copy = pickle.loads(pickle.dumps(baseline))
    assert copy == baseline and copy.source == baseline.source


# -- variants -------------------------------------------------------------------

def test_with_days(baseline):
    short = baseline.with_days(30)
    assert short.days == 30 and baseline.days == 730
    assert short.source == baseline.source
    with pytest.raises(crmsim.ScenarioError) as info:
        baseline.with_days(0)
    assert info.value.errors == [f"{BASELINE}: days: must be between 1 and 36500, got 0"]


@pytest.mark.parametrize("population", [3, 7, 1000, 2_001, 54_321, 200_000, 1_000_000])
def test_scaled_gives_the_exact_population_and_keeps_shares(baseline, population):
    small = baseline.scaled(population)
    assert small.population == population
    before, after = baseline.to_dict()["segments"], small.to_dict()["segments"]
    for old, new in zip(before, after):
        assert new["market_size"] >= 1
        assert sum(new["initial"].values()) <= new["market_size"]
        # Each market within one person of its exact share.
        exact = old["market_size"] * population / baseline.population
        assert abs(new["market_size"] - exact) < 1 + (population < 10)
        assert new["churn"] == old["churn"]


def test_scaled_initial_states_keep_their_share(baseline):
    small = baseline.scaled(20_000)
    young = small.to_dict()["segments"][0]
    assert young["market_size"] == 8_000
    assert young["initial"] == {"lead": 20, "new": 250, "active": 1800, "developed": 150,
                                "at_risk": 80, "lapsed": 180}


def test_scaled_keeps_one_person_in_a_tiny_segment(small_dict):
    small_dict["segments"][1]["market_size"] = 1
    sc = crmsim.Scenario.from_dict(small_dict).scaled(2)
    assert [s["market_size"] for s in sc.to_dict()["segments"]] == [1, 1]


@pytest.mark.parametrize("population, error, message", [
    (0, ValueError, "population must be between 3 (one person per segment) and 4294967295, "
                    "got 0"),
    (2, ValueError, "population must be between 3"),
    (-5, ValueError, "population must be between 3"),
    (2**32, ValueError, "got 4294967296"),
    (1.5, TypeError, "population must be a whole number of people, got 1.5"),
    (True, TypeError, "population must be a whole number of people, got True"),
])
def test_scaled_rejects_bad_populations(baseline, population, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        baseline.scaled(population)


def test_largest_remainder_is_exact_and_proportional():
    assert largest_remainder([1, 1, 1], 10) == [4, 3, 3]
    assert largest_remainder([5, 3, 2], 7) == [4, 2, 1]
    assert largest_remainder([0, 0], 5) == [0, 0]
    assert sum(largest_remainder([80_000, 75_000, 45_000], 12_345)) == 12_345


# -- for the engine -----------------------------------------------------------------

def test_engine_dict_has_exactly_the_engine_fields_with_engine_types(baseline):
    d = baseline.engine_dict()
    assert set(d) == {"name", "days", "model", "lifecycle", "segments", "propositions",
                      "fit_effects", "analytics", "contact_policy", "value_tiers", "channels",
                      "campaigns"}
    assert d["model"] == {"kind": "lifecycle", "period_days": 1}
    assert set(d["lifecycle"]) == {"welcome_days", "enquiry_window_days", "winback_window_days"}
    for seg in d["segments"]:
        assert set(seg) == {"name", "market_size", "initial", "acquisition", "churn",
                            "purchases", "development", "problems", "needs", "proposition",
                            "cost_to_serve_per_year", "gross_margin"}
        assert set(seg["initial"]) == {"lead", "new", "active", "developed", "at_risk",
                                       "lapsed"}
        assert type(seg["market_size"]) is int
        assert all(type(v) is int for v in seg["initial"].values())
        for block in ("acquisition", "churn", "purchases", "development", "problems"):
            assert all(type(v) is float for v in seg[block].values()), block
    assert d["segments"][0]["purchases"]["per_year"] == 12.0  # an int in the YAML


def test_engine_dict_builds_a_simulation(baseline):
    sim = crmsim._core.Simulation(baseline.scaled(1000).with_days(3).engine_dict(), seed=1)
    assert sim.n_agents == 1000 and sim.horizon == 3 and sim.n_segments == 3


#: Marketing defaults of engine/include/crmsim/marketing.hpp and scenario.hpp.
ENGINE_MARKETING_DEFAULTS = {
    ("fit_effects", "acquisition"): 1.0, ("fit_effects", "churn"): 1.0,
    ("fit_effects", "spend"): 0.5, ("analytics", "score_accuracy"): 0.8,
    ("contact_policy", "window_days"): 30,
}


def test_marketing_defaults_match_the_engine():
    root = load_schema()
    for (block, field), value in ENGINE_MARKETING_DEFAULTS.items():
        assert root["properties"][block]["properties"][field]["default"] == value
    defs = root["$defs"]
    assert defs["proposition"]["properties"]["price_competitiveness"]["default"] == 0.5
    assert defs["channel"]["properties"]["reach"]["default"] == 1.0
    campaign = defs["campaign"]["properties"]
    assert campaign["measurement_days"]["default"] == 30
    assert campaign["schedule"]["properties"]["every_days"]["default"] == 1
    assert campaign["targeting"]["properties"]["max_score"]["default"] == 1.0
    segment = defs["segment"]["properties"]
    assert segment["gross_margin"]["default"] == 1.0
    assert segment["needs"]["properties"]["price"]["default"] == 1.0
