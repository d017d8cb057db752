"""The scenarios shipped in scenarios/: valid, commented, and giving plausible campaign results."""

from __future__ import annotations

import pytest
from conftest import ROOT

import crmsim

SCENARIOS = ROOT / "scenarios"
FILES = ["baseline.yaml", "telco.yaml", "retail_bank.yaml"]

#: Plausible share of delivered contacts that respond, per channel (industry ranges).
RESPONSE = {"email": (0.005, 0.10), "sms": (0.005, 0.10), "direct_mail": (0.005, 0.05),
            "social": (0.001, 0.02), "outbound_call": (0.10, 0.30),
            "care_callback": (0.30, 0.80), "branch": (0.15, 0.45)}


@pytest.fixture(scope="module", params=FILES)
def small_result(request) -> crmsim.Result:
    """Each shipped scenario at 40,000 people for a year (capacities and budgets scaled)."""
    return crmsim.run(SCENARIOS / request.param, seed=1, population=40_000, days=365, threads=2)


@pytest.mark.parametrize("name", FILES)
def test_shipped_scenario_is_valid_and_commented(name):
    sc = crmsim.Scenario.load(SCENARIOS / name)
    assert sc.days == 730 and sc.campaigns and sc.channels
    text = (SCENARIOS / name).read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert text.count("#") > 40, "a planner needs comments to edit the file"


def test_telco_and_retail_bank_are_the_planned_markets():
    telco = crmsim.Scenario.load(SCENARIOS / "telco.yaml")
    assert len(telco.segments) == 3 and 250_000 <= telco.population <= 350_000
    assert {"outbound_call", "sms"} <= set(telco.channels)
    types = {c["type"] for c in telco.to_dict()["campaigns"]}
    assert {"retention", "win_back", "service_recovery", "welcome"} <= types
    assert any(c["capacity_per_day"] for c in telco.to_dict()["channels"])
    bank = crmsim.Scenario.load(SCENARIOS / "retail_bank.yaml")
    assert bank.value_tiers == ["bronze", "silver", "gold"]
    assert {"email", "branch", "direct_mail", "social"} <= set(bank.channels)
    campaigns = bank.to_dict()["campaigns"]
    assert {c["channel"] for c in campaigns if c["type"] == "cross_sell"} == \
        {"email", "branch", "direct_mail"}
    assert all(c["budget"] for c in campaigns if c["type"] == "acquisition")


def test_every_campaign_runs_within_its_budget(small_result):
    camp = small_result.campaigns
    assert (camp["contacted"] > 0).all(), camp["contacted"]
    limited = camp["budget"].notna()
    assert (camp.loc[limited, "spent"] <= camp.loc[limited, "budget"]).all()


def test_response_rates_are_realistic(small_result):
    for channel, row in small_result.channels.iterrows():
        low, high = RESPONSE[channel]
        assert low <= row["response_rate"] <= high, (channel, row["response_rate"])


def test_win_back_campaigns_measurably_win_people_back(small_result):
    camp = small_result.campaigns
    for name, row in camp[camp["type"] == "win_back"].iterrows():
        assert row["incremental_conversions_low"] > 0, name
        assert row["holdout_conversion_rate"] < 0.01, name


def test_telco_win_back_call_pays_back_at_full_size():
    # The full market for a year: positive but not absurd ROI, tightly measured.
    res = crmsim.run(SCENARIOS / "telco.yaml", seed=2, days=365, threads=2)
    row = res.campaigns.loc["winback_call"]
    assert 0.2 < row["roi_low"] and row["roi_high"] < 4.0, row[["roi_low", "roi", "roi_high"]]
    assert 0.10 <= row["response_rate"] <= 0.30
