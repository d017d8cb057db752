"""Scenarios of the btyd and sbg models: validation messages, engine fields, determinism,
scaling, overrides, checkpoints and results files."""

from __future__ import annotations

import copy

import numpy as np
import pandas.testing as pdt
import pytest

import crmsim
from crmsim import ScenarioError

BTYD = {
    "name": "BG/NBD shop", "start_date": "2027-01-01", "days": 120,
    "model": {"kind": "btyd", "period_days": 7},
    "segments": [
        {"name": "loyal", "market_size": 30_011, "initial": {"active": 20_000},
         "entries": [{"day": 3, "customers": 4000}, {"day": 40, "customers": 5000}],
         "btyd": {"r": 0.8, "alpha": 2.0, "a": 0.8, "b": 2.4,
                  "spend": {"p": 6.25, "q": 3.74, "gamma": 15.44}}},
        {"name": "casual", "market_size": 17_003, "initial": {"active": 17_003},
         "btyd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}},
    ]}

SBG = {
    "name": "Contracts", "start_date": "2027-01-01", "days": 400,
    "model": {"kind": "sbg", "period_days": 30},
    "segments": [
        {"name": "regular", "market_size": 25_000, "initial": {"active": 20_000},
         "entries": [{"day": 17, "customers": 5000}],
         "sbg": {"alpha": 0.704, "beta": 1.182, "fee": 12.5}},
        {"name": "steady", "market_size": 9_999, "initial": {"active": 9_999},
         "sbg": {"churn": 0.05, "fee": 9.0}},
    ]}


def problems(d: dict) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        crmsim.Scenario.from_dict(d, source="s.yaml")
    return e.value.errors


def changed(base: dict, **segment_changes) -> dict:
    d = copy.deepcopy(base)
    d["segments"][0].update(segment_changes)
    return d


# -- validation ----------------------------------------------------------------------------


def test_defaults_and_engine_fields():
    sc = crmsim.Scenario.from_dict(BTYD)
    assert sc.model == "btyd"
    seg = sc.to_dict()["segments"][0]
    assert seg["btyd"]["dropout_multiplier"] == 1.0
    assert "acquisition" not in seg  # no lifecycle blocks are invented in the scenario
    e = sc.engine_dict()
    assert e["model"] == {"kind": "btyd", "period_days": 7}
    assert e["segments"][0]["entries"] == [{"day": 3, "customers": 4000},
                                           {"day": 40, "customers": 5000}]
    assert e["segments"][1]["btyd"]["spend"] is None
    assert e["segments"][0]["churn"]["annual_rate"] == 0.0  # neutral lifecycle blocks
    assert crmsim.Scenario.from_dict(sc.to_dict()) == sc
    assert crmsim.Scenario.from_yaml_text(sc.to_yaml()) == sc
    lifecycle = crmsim.Scenario.from_dict({k: v for k, v in BTYD.items() if k != "model"} | {
        "segments": [{"name": "a", "market_size": 10, "acquisition": {
            "innovation_per_year": 0.1, "imitation_per_year": 0.1},
            "churn": {"annual_rate": 0.1}, "purchases": {"per_year": 1, "spend_mean": 1}}]})
    assert lifecycle.model == "lifecycle"
    assert lifecycle.to_dict()["model"] == {"kind": "lifecycle", "period_days": 1}


@pytest.mark.parametrize("d, expected", [
    (changed(BTYD, btyd=None) | {}, "s.yaml: segments[0].btyd: must be a mapping of fields"),
    ({**BTYD, "model": {"kind": "bgnbd"}},
     "s.yaml: model.kind: must be one of 'lifecycle', 'btyd', 'sbg', got 'bgnbd'"),
    (changed(BTYD, churn={"annual_rate": 0.2}),
     "s.yaml: segments[0].churn: is not used by model 'btyd'; leave it out (the model's "
     "parameters are in btyd)"),
    (changed(BTYD, sbg={"churn": 0.1}),
     "s.yaml: segments[0].sbg: is used only with model.kind 'sbg', the scenario's model is "
     "'btyd' (set model.kind or leave sbg out)"),
    (changed(BTYD, initial={"active": 10, "new": 5}),
     "s.yaml: segments[0].initial.new: must be 0 with model 'btyd', got 5 (customers start "
     "active; later first purchases or sign-ups go in entries)"),
    (changed(BTYD, market_size=1000),
     "s.yaml: segments[0].entries: initial.active and entries must add up to at most "
     "market_size (1000), got 29000"),
    (changed(BTYD, entries=[{"day": 0, "customers": 1}]),
     "s.yaml: segments[0].entries[0].day: must be between 1 and 36500, got 0"),
    (changed(BTYD, btyd={"r": 0.2, "alpha": 0, "a": 1, "b": 1}),
     "s.yaml: segments[0].btyd.alpha: must be greater than 0, got 0"),
    (changed(BTYD, btyd={"r": 0.2, "alpha": 1, "a": 1}),
     "s.yaml: segments[0].btyd: missing required field 'b'"),
    ({**BTYD, "campaigns": [{"name": "x"}]},
     "s.yaml: campaigns: campaigns are not simulated by model 'btyd'; leave them out or use "
     "model.kind 'lifecycle'"),
    (changed(SBG, sbg={"alpha": 0.7, "beta": 1.2, "churn": 0.1}),
     "s.yaml: segments[0].sbg: give alpha and beta, or churn, not both"),
    (changed(SBG, sbg={"alpha": 0.7}),
     "s.yaml: segments[0].sbg: missing required field 'beta' (alpha and beta go together)"),
    (changed(SBG, sbg={"fee": 3.0}),
     "s.yaml: segments[0].sbg: needs alpha and beta (Beta-distributed churn) or churn (the same "
     "for everybody)"),
    (changed(SBG, sbg=None) | {},
     "s.yaml: segments[0].sbg: must be a mapping of fields, got an empty value"),
])
def test_model_fields_get_exact_messages(d, expected):
    found = problems(d)
    assert any(m.startswith(expected) for m in found), found


def test_a_bad_model_kind_is_the_only_message():
    assert problems({**BTYD, "model": {"kind": "bgnbd"}}) == [
        "s.yaml: model.kind: must be one of 'lifecycle', 'btyd', 'sbg', got 'bgnbd'"]


def test_model_blocks_are_required_by_their_model():
    d = copy.deepcopy(BTYD)
    del d["segments"][1]["btyd"]
    assert problems(d) == ["s.yaml: segments[1]: missing required field 'btyd' "
                           "(model.kind is 'btyd')"]
    lifecycle = copy.deepcopy(BTYD)
    del lifecycle["model"]
    found = problems(lifecycle)
    assert "s.yaml: segments[0]: missing required field 'acquisition'" in found
    assert ("s.yaml: segments[0].btyd: is used only with model.kind 'btyd', the scenario's "
            "model is 'lifecycle' (set model.kind or leave btyd out)") in found
    assert ("s.yaml: segments[0].entries: is used only with model.kind 'btyd' or 'sbg', the "
            "scenario's model is 'lifecycle' (set model.kind or leave entries out)") in found
    lifecycle = copy.deepcopy(SBG)
    lifecycle["model"] = {"period_days": 30}
    assert any(m.startswith("s.yaml: model.period_days: must be 1 with model.kind 'lifecycle'")
               for m in problems(lifecycle))


def test_the_engine_guards_model_fields_itself():
    e = crmsim.Scenario.from_dict(BTYD).engine_dict()
    e["segments"][0]["btyd"]["a"] = -1.0
    with pytest.raises(crmsim._core.ScenarioError, match=r"segments\[0\]\.btyd\.a: must be a "
                                                          r"finite number > 0, got -1"):
        crmsim._core.Simulation(e)
    e = crmsim.Scenario.from_dict(SBG).engine_dict()
    e["segments"][0]["entries"][0]["day"] = 0
    with pytest.raises(crmsim._core.ScenarioError, match=r"entries\[0\]\.day: must be between 1 "
                                                          r"and 36500"):
        crmsim._core.Simulation(e)


def test_a_shorter_run_leaves_later_entries_out():
    sc = crmsim.Scenario.from_dict(BTYD).with_days(20)   # the entries of day 40 never happen
    res = crmsim.run(sc, seed=1)
    assert res.kpis["acquisitions"].sum() == 4000
    assert res.segment_kpis.loc["loyal"].loc[20, "prospect"] == 6_011


# -- running -----------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [BTYD, SBG], ids=["btyd", "sbg"])
def test_thread_counts_give_bit_identical_runs(d):
    sc = crmsim.Scenario.from_dict(d)
    runs = [crmsim.run(sc, seed=5, threads=t) for t in (1, 2, 8)]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].kpi_array, other.kpi_array)
        for name in ("state", "revenue_cents", "last_purchase_day", "churn_hazard"):
            np.testing.assert_array_equal(runs[0].agents[name], other.agents[name])
    chunked = crmsim._core.Simulation(sc.engine_dict(), seed=5, threads=3, chunk_size=777)
    chunked.advance(sc.days)
    np.testing.assert_array_equal(runs[0].kpi_array, chunked.kpis)
    assert not np.array_equal(runs[0].kpi_array, crmsim.run(sc, seed=6).kpi_array)


def test_btyd_states_and_flows_add_up():
    res = crmsim.run(crmsim.Scenario.from_dict(BTYD), seed=1)
    k = res.segment_kpis.loc["loyal"]
    assert (k["prospect"] + k["active"] + k["lapsed"] == 30_011).all()
    assert k.loc[2, "prospect"] == 10_011 and k.loc[3, "acquisitions"] == 4000
    assert k.loc[40, "acquisitions"] == 5000 and k["acquisitions"].sum() == 9000
    assert (k["active"].diff().iloc[1:] == (k["acquisitions"] - k["defections"]).iloc[1:]).all()
    assert k["purchases"].sum() > 0 and k["revenue"].sum() > 0
    assert (k["lapsed"].diff().iloc[1:] == k["defections"].iloc[1:]).all()
    casual = res.segment_kpis.loc["casual"]
    assert casual["revenue"].sum() == 0 and casual["purchases"].sum() > 0  # no spend model
    for column in ("lead", "new", "developed", "at_risk", "enquiries", "win_backs", "welcomed"):
        assert res.kpis[column].sum() == 0, column
    # Traits: lambda per day and the dropout probability.
    agents = res.agents
    loyal = agents["segment"] == 0
    assert abs(agents["purchase_rate"][loyal].mean() * 7 - 0.8 / 2.0) < 0.01
    assert abs(agents["churn_hazard"][loyal].mean() - 0.8 / 3.2) < 0.01


def test_sbg_renews_on_anniversaries_and_charges_fees():
    res = crmsim.run(crmsim.Scenario.from_dict(SBG), seed=1)
    k = res.segment_kpis.loc["regular"]
    moves = k.index[(k["defections"] + k["purchases"]) > 0].to_numpy()
    # Customers of day 0 renew on days 30, 60, ...; the sign-ups of day 17 on 17, 47, 77, ...
    assert set(moves) <= set(range(30, 401, 30)) | set(range(17, 401, 30))
    assert k.loc[17, "acquisitions"] == 5000 and k.loc[17, "purchases"] == 5000
    assert k.loc[30, "purchases"] + k.loc[30, "defections"] == 20_000
    assert np.isclose(k["revenue"].sum(), 12.5 * k["purchases"].sum())
    steady = res.segment_kpis.loc["steady"]
    assert abs(steady.loc[30, "defections"] / 9_999 - 0.05) < 0.015


def test_what_ifs_move_only_what_they_should():
    sc = crmsim.Scenario.from_dict(BTYD)
    better = sc.with_overrides({"segments.loyal.btyd.dropout_multiplier": 0.5})
    a, b = crmsim.run(sc, seed=3), crmsim.run(better, seed=3)
    # Common random numbers: the same customers, the same purchase days until they differ.
    np.testing.assert_array_equal(a.agents["purchase_rate"], b.agents["purchase_rate"])
    assert b.kpis["defections"].sum() < a.kpis["defections"].sum()
    assert b.kpis["purchases"].sum() > a.kpis["purchases"].sum()
    casual_a, casual_b = a.segment_kpis.loc["casual"], b.segment_kpis.loc["casual"]
    pdt.assert_frame_equal(casual_a, casual_b)


def test_population_scales_entries_too():
    sc = crmsim.Scenario.from_dict(BTYD).scaled(4_701)
    seg = sc.to_dict()["segments"][0]
    assert seg["market_size"] + sc.to_dict()["segments"][1]["market_size"] == 4_701
    placed = seg["initial"]["active"] + sum(e["customers"] for e in seg["entries"])
    assert placed == round(29_000 * seg["market_size"] / 30_011)
    assert [e["day"] for e in seg["entries"]] == [3, 40]


def test_model_runs_resume_from_checkpoints_bit_identically(tmp_path):
    sc = crmsim.Scenario.from_dict(SBG)
    whole = crmsim.run(sc, seed=2, threads=2)
    crmsim.run(sc, seed=2, threads=1, out=tmp_path / "r.h5", checkpoint_every=100)
    resumed = crmsim.resume(tmp_path / "r.ckpt.h5", out=tmp_path / "again.h5", threads=3)
    np.testing.assert_array_equal(whole.kpi_array, resumed.kpi_array)
    loaded = crmsim.load(tmp_path / "again.h5")
    assert loaded.scenario == sc
    np.testing.assert_array_equal(whole.kpi_array, loaded.kpi_array)


def test_model_runs_log_entries_and_defections(tmp_path):
    sc = crmsim.Scenario.from_dict(BTYD)
    crmsim.run(sc, seed=1, out=tmp_path / "e.h5", events=1.0)
    events = crmsim.load(tmp_path / "e.h5").events
    res = crmsim.run(sc, seed=1)
    kinds = events["kind"].value_counts()
    assert kinds["acquisition"] == res.kpis["acquisitions"].sum()
    assert kinds["defection"] == res.kpis["defections"].sum()
