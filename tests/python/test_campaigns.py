"""Campaigns in a run: budgets, caps and capacities hold; opt-outs and holdouts are never
contacted; the tables add up; results do not depend on the thread count."""

from __future__ import annotations

import copy
import os

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmsim
from crmsim import _core

OPTED_OUT, HOLDOUT = 1 << 3, 1 << 4

#: A small market where budgets, daily caps and the call centre all bind.
CONSTRAINED = {
    "name": "Constrained campaigns",
    "start_date": "2027-01-01",
    "days": 90,
    "currency": "EUR",
    "segments": [
        {"name": "young", "market_size": 6000,
         "initial": {"new": 200, "active": 2500, "developed": 300, "at_risk": 150, "lapsed": 200},
         "acquisition": {"innovation_per_year": 0.05, "imitation_per_year": 0.3,
                         "enquiry_share": 0.3},
         "churn": {"annual_rate": 0.35, "polarization": 0.3},
         "purchases": {"per_year": 12, "spend_mean": 15.0},
         "development": {"per_year": 0.1}, "problems": {"per_year": 1.0},
         "cost_to_serve_per_year": 24.0, "gross_margin": 0.6},
        {"name": "old", "market_size": 3000,
         "initial": {"active": 1200, "at_risk": 50, "lapsed": 80},
         "acquisition": {"innovation_per_year": 0.02, "imitation_per_year": 0.2},
         "churn": {"annual_rate": 0.2},
         "purchases": {"per_year": 12, "spend_mean": 30.0},
         "problems": {"per_year": 0.8},
         "cost_to_serve_per_year": 36.0},
    ],
    "propositions": [
        {"name": "card", "price_competitiveness": 0.7, "offer": {"incentive": 2.0}},
        {"name": "come_back", "offer": {"discount_share": 0.3, "duration_days": 30}},
    ],
    "value_tiers": [{"name": "low", "min_annual_value": 0},
                    {"name": "high", "min_annual_value": 250}],
    "channels": [
        {"name": "call", "cost_per_contact": 3.0, "reach": 0.6, "base_response": 0.25,
         "capacity_per_day": 35},
        {"name": "email", "cost_per_contact": 0.01, "fixed_cost_per_wave": 5.0, "reach": 0.9,
         "base_response": {"young": 0.05, "default": 0.03}, "fatigue": 0.5,
         "unsubscribe_probability": 0.05},
        {"name": "mail", "cost_per_contact": 0.8, "fixed_cost_per_wave": 20.0,
         "base_response": 0.04},
    ],
    "campaigns": [
        {"name": "service_call", "type": "service_recovery", "channel": "call",
         "trigger": {"entered_at_risk": True}, "holdout_share": 0.2, "priority": -1},
        {"name": "retention_call", "type": "retention", "channel": "call",
         "schedule": {"every_days": 7}, "effect": {"churn_reduction": 0.4, "duration_days": 60},
         "budget": 900.0, "max_contacts_per_day": 30, "holdout_share": 0.2,
         "measurement_days": 7},
        {"name": "card_email", "type": "cross_sell", "channel": "email", "proposition": "card",
         "schedule": {"start_day": 2, "every_days": 10}, "budget": 150.0,
         "holdout_share": 0.1, "measurement_days": 10},
        {"name": "win_back_mail", "type": "win_back", "channel": "mail",
         "proposition": "come_back", "trigger": {"lapsed_for_days": 7}, "budget": 300.0,
         "holdout_share": 0.1, "measurement_days": 30},
        {"name": "no_holdout_email", "type": "welcome", "channel": "email",
         "trigger": {"tenure_day": 3}, "effect": {"churn_reduction": 0.2, "duration_days": 30}},
        {"name": "later", "type": "retention", "channel": "email",
         "schedule": {"start_day": 200, "every_days": 30}},
    ],
}


@pytest.fixture(scope="module")
def constrained() -> crmsim.Scenario:
    return crmsim.Scenario.from_dict(copy.deepcopy(CONSTRAINED), "constrained")


@pytest.fixture(scope="module")
def constrained_run(constrained) -> crmsim.Result:
    return crmsim.run(constrained, seed=11, threads=2)


# -- names become indices --------------------------------------------------------


def test_engine_dict_resolves_names_and_limits(constrained):
    d = constrained.engine_dict()
    call, email = d["channels"][0], d["channels"][1]
    assert call["base_response"] == [0.25, 0.25] and email["base_response"] == [0.05, 0.03]
    assert call["capacity_per_day"] == 35 and email["capacity_per_day"] == -1
    by_name = {c["name"]: c for c in d["campaigns"]}
    assert by_name["card_email"]["channel"] == 1 and by_name["card_email"]["proposition"] == 0
    assert by_name["win_back_mail"]["proposition"] == 1
    assert by_name["service_call"]["proposition"] == -1
    assert by_name["service_call"]["trigger"] == {"kind": "entered_at_risk", "days": 0}
    assert by_name["win_back_mail"]["trigger"] == {"kind": "lapsed_for_days", "days": 7}
    assert by_name["retention_call"]["trigger"] == {"kind": "none", "days": 0}
    assert by_name["retention_call"]["schedule"] == {"start_day": 1, "end_day": 0,
                                                      "every_days": 7}
    assert by_name["card_email"]["budget"] == 150.0 and by_name["service_call"]["budget"] == -1
    assert by_name["retention_call"]["max_contacts_per_day"] == 30
    assert by_name["service_call"]["max_contacts_per_day"] == -1
    assert by_name["retention_call"]["targeting"]["states"] == []  # the type's own
    assert d["contact_policy"] == {"max_contacts": 0, "window_days": 30}
    assert [s["proposition"] for s in d["segments"]] == [-1, -1]
    assert d["segments"][0]["needs"] == {"price": 1.0, "service": 1.0, "brand": 1.0}


def test_engine_dict_resolves_targeting_names(constrained):
    d = constrained.to_dict()
    d["segments"][1]["proposition"] = "card"
    d["campaigns"][1]["targeting"] = {"states": ["active", "at_risk"], "segments": ["old"],
                                      "value_tiers": ["high"]}
    engine = crmsim.Scenario.from_dict(d).engine_dict()
    assert engine["segments"][1]["proposition"] == 0
    targeting = engine["campaigns"][1]["targeting"]
    assert targeting["segments"] == [1] and targeting["value_tiers"] == [1]
    assert targeting["states"] == ["active", "at_risk"]


def test_defaults_of_the_marketing_blocks(small_dict):
    sc = crmsim.Scenario.from_dict(small_dict)
    d = sc.to_dict()
    assert d["propositions"] == d["channels"] == d["campaigns"] == d["value_tiers"] == []
    assert d["fit_effects"] == {"acquisition": 1.0, "churn": 1.0, "spend": 0.5}
    assert d["analytics"] == {"score_accuracy": 0.8}
    assert d["contact_policy"] == {"max_contacts": None, "window_days": 30}
    assert d["segments"][0]["proposition"] is None
    assert d["segments"][0]["gross_margin"] == 1.0
    assert sc.value_tiers == ["all"] and sc.campaigns == [] and sc.channels == []


def test_scaled_scales_capacities_budgets_and_wave_costs(constrained):
    half = constrained.scaled(constrained.population // 2).to_dict()
    assert half["channels"][0]["capacity_per_day"] == 18   # 17.5, rounded half to even
    assert half["channels"][1]["capacity_per_day"] is None
    assert half["channels"][1]["fixed_cost_per_wave"] == pytest.approx(2.5)
    assert half["channels"][0]["cost_per_contact"] == 3.0          # per person: unchanged
    assert half["campaigns"][1]["budget"] == pytest.approx(450.0)
    assert half["campaigns"][1]["max_contacts_per_day"] == 15
    assert half["campaigns"][0]["budget"] is None
    tiny = constrained.scaled(20).to_dict()
    assert tiny["channels"][0]["capacity_per_day"] == 1             # a capacity stays >= 1
    assert constrained.scaled(constrained.population) == constrained


# -- limits hold ------------------------------------------------------------------


def test_budgets_are_never_exceeded_and_bind(constrained_run):
    camp = constrained_run.campaigns
    spent = constrained_run.campaign_spent
    budgets = {c["name"]: c["budget"] for c in CONSTRAINED["campaigns"] if c.get("budget")}
    for name, budget in budgets.items():
        assert spent[name] <= budget, name
        assert camp.loc[name, "spent"] == pytest.approx(spent[name], abs=1e-9)
    # The tests mean something only if budgets actually stopped contacts: either
    # people were selected but not contacted, or the campaign ended early because
    # the rest of its budget could not pay for one more day's first contact.
    daily = constrained_run.campaign_daily
    for name in ("retention_call", "card_email", "win_back_mail"):
        assert spent[name] > 0.95 * budgets[name], name
        cut = camp.loc[name, "selected"] > camp.loc[name, "contacted"]
        last_contact = daily.loc[name].query("contacted > 0").index.max()
        stopped = daily.loc[name].loc[last_contact + 1:, "eligible"].sum() == 0
        assert cut or stopped, name
    micros = constrained_run._sim.campaign_spent_micros
    for k, c in enumerate(CONSTRAINED["campaigns"]):
        if c.get("budget"):
            assert micros[k] <= round(c["budget"] * 1e6)


def test_daily_caps_and_channel_capacity_are_never_exceeded(constrained_run):
    daily = constrained_run.campaign_daily
    retention = daily.loc["retention_call", "contacted"]
    assert retention.max() == 30 and (retention <= 30).all()
    channel_of = {c["name"]: c["channel"] for c in CONSTRAINED["campaigns"]}
    per_channel = daily["contacted"].groupby(
        [daily.index.get_level_values("campaign").map(channel_of),
         daily.index.get_level_values("day")]).sum()
    calls = per_channel.loc["call"]
    assert calls.max() == 35 and (calls <= 35).all()
    channels = constrained_run.channels
    assert channels.loc["call", "peak_day_contacts"] == 35
    assert channels.loc["call", "peak_capacity_use"] == 1.0
    assert np.isnan(channels.loc["email", "capacity_use"])


def _step(scenario: crmsim.Scenario, seed: int):
    """Yields (day, simulation) after each simulated day."""
    sim = _core.Simulation(scenario.engine_dict(), seed=seed, threads=2)
    for day in range(1, scenario.days + 1):
        sim.advance(1)
        yield day, sim


def test_opted_out_people_are_never_contacted_again():
    d = copy.deepcopy(CONSTRAINED)
    d["channels"][1]["unsubscribe_probability"] = 0.3    # many opt-outs, quickly
    d["campaigns"][2].pop("budget")
    d["days"] = 50
    opted_out = None
    contacted_after_opt_out = 0
    for day, sim in _step(crmsim.Scenario.from_dict(d), seed=2):
        agents = sim.agents
        contacted_today = (agents["contact_days"] == day).any(axis=1)
        if opted_out is not None:
            contacted_after_opt_out += int((contacted_today & opted_out).sum())
        opted_out = (agents["flags"] & OPTED_OUT) != 0
    assert contacted_after_opt_out == 0
    assert opted_out.sum() > 200          # the test means something
    # Opting out is for good: the flag is set once and stays.
    unsubscribed = sim.campaign_kpis[:, :, list(sim.campaign_kpi_columns).index("unsubscribed")]
    assert opted_out.sum() == unsubscribed.sum()


def test_who_opts_out_is_not_contacted_by_a_later_campaign_the_same_day():
    # Everybody the SMS reaches opts out; the e-mail, lower in priority, runs
    # the same day on the same people and must find none of them contactable.
    d = copy.deepcopy(CONSTRAINED)
    d["channels"].append({"name": "sms", "cost_per_contact": 0.05, "reach": 1.0,
                          "base_response": 0.01, "unsubscribe_probability": 1.0})
    wave = {"type": "cross_sell", "schedule": {"start_day": 1, "every_days": 30},
            "measurement_days": 10}
    d["campaigns"] = [dict(wave, name="sms_first", channel="sms", priority=1),
                      dict(wave, name="email_second", channel="email", priority=2)]
    d["days"] = 1
    table = crmsim.run(crmsim.Scenario.from_dict(d), seed=3, threads=2).campaigns
    assert table.loc["sms_first", "contacted"] > 1000
    assert table.loc["sms_first", "unsubscribed"] == table.loc["sms_first", "contacted"]
    assert table.loc["email_second", "eligible"] == table.loc["sms_first", "eligible"]
    assert table.loc["email_second", "selected"] == 0
    assert table.loc["email_second", "contacted"] == 0


def test_holdout_people_are_never_contacted_by_their_campaign():
    d = copy.deepcopy(CONSTRAINED)
    d["campaigns"] = [dict(CONSTRAINED["campaigns"][2], holdout_share=0.3)]
    d["campaigns"][0].pop("budget")
    d["days"] = 60
    ever_held_out = ever_contacted = None
    for day, sim in _step(crmsim.Scenario.from_dict(d), seed=4):
        agents = sim.agents
        held_out = ((agents["flags"] & HOLDOUT) != 0) & (agents["assigned"] == 1)
        contacted = (agents["contact_days"] == day).any(axis=1)
        assert not (held_out & contacted).any(), day
        if ever_held_out is None:
            ever_held_out, ever_contacted = held_out.copy(), contacted.copy()
        ever_held_out |= held_out
        ever_contacted |= contacted
    assert ever_held_out.sum() > 100 and ever_contacted.sum() > 1000
    assert not (ever_held_out & ever_contacted).any()
    share = ever_held_out.sum() / (ever_held_out | ever_contacted).sum()
    assert 0.25 < share < 0.35


# -- the tables add up -----------------------------------------------------------


def test_campaign_rows_add_up(constrained_run):
    camp = constrained_run.campaigns
    assert list(camp.index) == [c["name"] for c in CONSTRAINED["campaigns"]]
    assert list(camp["type"]) == [c["type"] for c in CONSTRAINED["campaigns"]]
    daily = constrained_run.campaign_daily
    assert daily.index.names == ["campaign", "day"]
    assert len(daily) == len(camp) * 91
    summed = daily.drop(columns="date").groupby(level="campaign", sort=False).sum()
    for column in ("eligible", "held_out", "contacted", "responded", "treated_measured",
                   "holdout_converted"):
        pdt.assert_series_equal(summed[column], camp[column], check_names=False)
    pdt.assert_series_equal(summed["cost"], camp["cost"], check_names=False)
    np.testing.assert_allclose(camp["cost"],
                               camp["contact_cost"] + camp["incentive_cost"] + camp["discount"])
    np.testing.assert_allclose(camp["spent"], camp["contact_cost"] + camp["incentive_cost"])
    assert (camp["eligible"] == camp["held_out"] + camp["selected"]).all()  # no contact policy
    assert (camp["contacted"] <= camp["selected"]).all()
    assert (camp["delivered"] <= camp["contacted"]).all()
    assert (camp["responded"] <= camp["delivered"]).all()
    assert camp.loc["card_email", "incentive_cost"] == 2.0 * camp.loc["card_email", "responded"]
    assert camp.loc["win_back_mail", "discount"] > 0


def test_marketing_cost_agrees_across_tables(constrained_run):
    camp = constrained_run.campaigns
    # Segment and tier tables book what was spent (contacts, waves, incentives);
    # discounts already show there as lower revenue.
    spent = camp["spent"].sum()
    assert constrained_run.kpis["marketing_cost"].sum() == pytest.approx(spent, abs=1e-6)
    assert constrained_run.tiers["marketing_cost"].sum() == pytest.approx(spent, abs=1e-6)
    # Campaign and channel cost is the full cost of the offer, discounts included.
    total = camp["cost"].sum()
    assert total == pytest.approx(spent + camp["discount"].sum(), abs=1e-6)
    assert constrained_run.channels["cost"].sum() == pytest.approx(total, abs=1e-6)


def test_tiers_add_up_to_the_market(constrained_run):
    tiers, k = constrained_run.tiers, constrained_run.kpis
    assert list(tiers.index) == ["low", "high"]
    assert tiers["customers_end"].sum() == k["customers"].iloc[-1]
    assert tiers["revenue"].sum() == pytest.approx(k["revenue"].sum())
    assert tiers["customers_mean"].sum() == pytest.approx(k["customers"].iloc[:-1].mean())
    seg = constrained_run.segment_tiers
    assert seg.index.names == ["segment", "tier"]
    pdt.assert_series_equal(seg["revenue"].groupby(level="tier", sort=False).sum(),
                            tiers["revenue"], check_names=False)
    # Cost to serve: customer-days x the segment's yearly cost / 365.
    customer_days = (constrained_run.segment_kpis["customers"]
                     .groupby(level="segment", sort=False)
                     .apply(lambda s: s.iloc[:-1].sum()))
    expected = (customer_days * pd.Series({"young": 24.0, "old": 36.0}) / 365).sum()
    assert tiers["cost_to_serve"].sum() == pytest.approx(expected)
    young = seg.loc["young"]
    np.testing.assert_allclose(
        young["gross_margin"],
        0.6 * young["revenue"] - young["cost_to_serve"] - young["marketing_cost"])
    assert (tiers["customers_end"] > 0).all()


def test_channel_rows_add_up_their_campaigns(constrained_run):
    camp, ch = constrained_run.campaigns, constrained_run.channels
    assert list(ch.index) == ["call", "email", "mail"]
    by_channel = camp.groupby("channel", sort=False)[["contacted", "responded", "cost"]].sum()
    assert (ch["contacts"] == by_channel["contacted"].reindex(ch.index)).all()
    assert (ch["responses"] == by_channel["responded"].reindex(ch.index)).all()
    call = camp.loc[["service_call", "retention_call"]]
    assert ch.loc["call", "incremental_conversions"] == pytest.approx(
        call["incremental_conversions"].sum())
    se = np.sqrt((call["incremental_conversions_se"] ** 2).sum())
    assert ch.loc["call", "incremental_conversions_high"] == pytest.approx(
        call["incremental_conversions"].sum() + 1.959963984540054 * se)
    assert ch.loc["call", "measured_campaigns"] == 2
    # The welcome email has no holdout: the email channel counts only the cross-sell.
    assert ch.loc["email", "measured_campaigns"] == 1


def test_interval_formulas(constrained_run):
    row = constrained_run.campaigns.loc["retention_call"]
    n_t, n_h = row["treated_measured"], row["holdout_measured"]
    p_t, p_h = row["treated_conversion_rate"], row["holdout_conversion_rate"]
    assert p_t == row["treated_converted"] / n_t
    c = constrained_run.scenario.campaigns.index("retention_call")
    buckets = constrained_run._sim.measurement_buckets[c]  # (group, bucket, column)

    def cluster_variance(column):
        # Written out per group, bucket by bucket, apart from the vectorised module code.
        out = []
        for group in (0, 1):
            n_g = [float(b[0]) for b in buckets[group]]
            y_g = [float(b[column]) / (100.0 if column == 2 else 1.0) for b in buckets[group]]
            mean = sum(y_g) / sum(n_g)
            used = [(n, y) for n, y in zip(n_g, y_g) if n > 0]
            spread = sum((y - mean * n) ** 2 for n, y in used)
            out.append(len(used) / (len(used) - 1) * spread / sum(n_g) ** 2)
        return out

    # The buckets hold exactly the measured windows of the daily table.
    assert buckets[0, :, 0].sum() == n_t and buckets[1, :, 0].sum() == n_h
    conv_var = cluster_variance(1)
    half = 1.959963984540054 * n_t * np.sqrt(conv_var[0] + conv_var[1])
    assert row["incremental_conversions"] == pytest.approx((p_t - p_h) * n_t)
    assert row["incremental_conversions_low"] == pytest.approx((p_t - p_h) * n_t - half)
    assert row["incremental_conversions_high"] == pytest.approx((p_t - p_h) * n_t + half)
    # Revenue: the difference of means, with the same cluster-robust variance.
    k = list(_core.Simulation.campaign_kpi_columns)
    raw = constrained_run._sim.campaign_kpis.sum(axis=0)[c]
    rev = raw[k.index("treated_revenue_cents")] / 100, raw[k.index("holdout_revenue_cents")] / 100
    diff = rev[0] / n_t - rev[1] / n_h
    rev_var = cluster_variance(2)
    se = np.sqrt(rev_var[0] + rev_var[1])
    assert row["incremental_revenue"] == pytest.approx(diff * n_t)
    assert row["incremental_revenue_high"] == pytest.approx((diff + 1.959963984540054 * se) * n_t)
    cost = row["cost"] / row["contacted"] * n_t
    assert row["roi"] == pytest.approx((diff * n_t + row["discount"] / row["contacted"] * n_t
                                        - cost) / cost)
    lift = p_t - p_h
    expected = row["cost"] / row["contacted"] / lift if lift > 0 else np.nan
    assert row["cost_per_incremental_conversion"] == pytest.approx(expected, nan_ok=True)


def test_unmeasured_campaigns_are_nan_with_a_note(constrained_run):
    camp = constrained_run.campaigns
    for name in ("no_holdout_email", "later"):
        for column in ("incremental_conversions", "incremental_revenue", "roi",
                       "incremental_conversions_low", "holdout_conversion_rate"):
            assert np.isnan(camp.loc[name, column]), (name, column)
    assert camp.loc["no_holdout_email", "note"] == \
        "no holdout group: incremental effect not measured"
    assert camp.loc["later", "note"] == "never ran: starts on day 200"
    assert camp.loc["later", "contacted"] == 0 and camp.loc["later", "cost"] == 0
    text = constrained_run.summary()
    assert "  later: never ran: starts on day 200" in text
    assert "  no_holdout_email: no holdout group: incremental effect not measured" in text


def test_summary_reads_like_a_planner_report(constrained_run):
    text = constrained_run.summary()
    lines = text.splitlines()
    camp = constrained_run.campaigns.loc["win_back_mail"]
    header = lines.index("Campaign effect: treated against holdout, 95% confidence intervals")
    row = next(line for line in lines[header:] if line.startswith("win_back_mail "))
    low, mid, high = (camp[f"incremental_conversions{s}"] for s in ("_low", "", "_high"))
    assert f"{mid:,.0f} ({low:,.0f} to {high:,.0f})" in row
    roi = camp["roi"]
    assert f"{100 * roi:+.0f}%" in row
    for title in ("Campaigns", "Channels (effect over the channel's campaigns with a holdout)",
                  "Value tiers"):
        assert title in lines
    assert f"Marketing cost    EUR {constrained_run.kpis['marketing_cost'].sum():,.0f}" in text


def test_a_scenario_without_campaigns_has_empty_campaign_tables(small_dict):
    res = crmsim.run(crmsim.Scenario.from_dict(small_dict), seed=1, threads=1)
    text = res.summary()
    assert "Campaigns" not in text and "Value tiers" not in text
    assert res.campaigns.empty and res.channels.empty and res.campaign_daily.empty
    assert list(res.tiers.index) == ["all"]
    assert res.tiers.loc["all", "customers_end"] == res.kpis["customers"].iloc[-1]
    assert res.tiers.loc["all", "marketing_cost"] == 0


# -- determinism ------------------------------------------------------------------


def test_campaign_results_do_not_depend_on_the_thread_count(constrained):
    # 36,000 people are three engine chunks: threads really share the work.
    big = constrained.scaled(36_000).with_days(45)
    runs = {t: crmsim.run(big, seed=5, threads=t) for t in (1, 2, 8)}
    for t in (2, 8):
        for table in ("campaigns", "campaign_daily", "channels", "tiers", "segment_tiers",
                      "kpis"):
            pdt.assert_frame_equal(getattr(runs[1], table), getattr(runs[t], table),
                                   obj=f"{table} with {t} threads")
        assert runs[1].campaign_spent == runs[t].campaign_spent
        np.testing.assert_array_equal(runs[1].agents["contact_days"],
                                      runs[t].agents["contact_days"])
    assert runs[1].campaigns["contacted"].sum() > 1000


def test_same_seed_same_campaigns_different_seed_different(constrained):
    a = crmsim.run(constrained.with_days(30), seed=1, threads=1)
    b = crmsim.run(constrained.with_days(30), seed=1, threads=1)
    c = crmsim.run(constrained.with_days(30), seed=2, threads=1)
    pdt.assert_frame_equal(a.campaigns, b.campaigns)
    assert not a.campaigns["responded"].equals(c.campaigns["responded"])


# -- property: any valid campaign plan keeps its limits ------------------------------

_TRIGGERS = {
    "acquisition": [None], "brand": [None],
    "welcome": [None, ("tenure_day", 1, 60)],
    "cross_sell": [None, ("tenure_day", 1, 400), ("no_purchase_for_days", 1, 60)],
    "retention": [None, ("entered_at_risk", True, True), ("no_purchase_for_days", 1, 60)],
    "service_recovery": [None, ("entered_at_risk", True, True)],
    "win_back": [None, ("lapsed_for_days", 1, 180)],
}


@st.composite
def campaign_plans(draw):
    """The CONSTRAINED market with random channels, propositions, policy and campaigns."""
    d = copy.deepcopy(CONSTRAINED)
    d["days"] = 30
    share = st.floats(0.0, 1.0)
    maybe_count = st.one_of(st.none(), st.integers(0, 60))
    d["propositions"] = [{"name": "p", "price_competitiveness": draw(share),
                          "offer": {"discount_share": draw(share),
                                    "incentive": draw(st.floats(0, 20)),
                                    "duration_days": draw(st.integers(0, 60))}}]
    d["channels"] = [{"name": f"ch{k}", "cost_per_contact": draw(st.floats(0, 5)),
                      "fixed_cost_per_wave": draw(st.floats(0, 50)), "reach": draw(share),
                      "base_response": draw(share), "capacity_per_day": draw(maybe_count),
                      "fatigue": draw(st.floats(0, 5)),
                      "unsubscribe_probability": draw(st.floats(0, 0.2)),
                      "adstock_decay_per_day": draw(st.floats(0, 0.99))}
                     for k in range(draw(st.integers(1, 3)))]
    d["contact_policy"] = {"max_contacts": draw(st.one_of(st.none(), st.integers(1, 4))),
                           "window_days": draw(st.integers(1, 30))}
    campaigns = []
    for k in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(sorted(_TRIGGERS)))
        c = {"name": f"c{k}", "type": kind,
             "channel": f"ch{draw(st.integers(0, len(d['channels']) - 1))}",
             "proposition": draw(st.sampled_from([None, "p"])),
             "schedule": {"start_day": draw(st.integers(1, 10)),
                          "every_days": draw(st.integers(1, 10))},
             "budget": draw(st.one_of(st.none(), st.floats(0, 500))),
             "max_contacts_per_day": draw(maybe_count),
             "holdout_share": 0.0 if kind == "brand" else draw(st.floats(0, 0.9)),
             "priority": draw(st.integers(-2, 2)),
             "measurement_days": draw(st.integers(1, 40))}
        trigger = draw(st.sampled_from(_TRIGGERS[kind]))
        if trigger:
            name, lo, hi = trigger
            c["trigger"] = {name: True if lo is True else draw(st.integers(lo, hi))}
            c["schedule"]["every_days"] = 1   # triggers pick people on one exact day
        if kind == "brand":
            c["effect"] = {"brand_lift": draw(st.floats(0, 50))}
        else:
            c["effect"] = {"churn_reduction": draw(share),
                           "duration_days": draw(st.integers(1, 90))}
            if kind == "acquisition":
                c["effect"]["direct_share"] = draw(share)
        campaigns.append(c)
    d["campaigns"] = campaigns
    return crmsim.Scenario.from_dict(d)


#: Examples of the property below: 30 in `make test`; CRMSIM_FUZZ_EXAMPLES runs a longer,
#: random session (docs/reliability.md records them).
PLAN_EXAMPLES = int(os.environ.get("CRMSIM_FUZZ_EXAMPLES", "30"))


@settings(max_examples=PLAN_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize="CRMSIM_FUZZ_EXAMPLES" not in os.environ)
@given(scenario=campaign_plans(), seed=st.integers(0, 2**64 - 1))
def test_any_campaign_plan_keeps_budgets_caps_capacity_and_the_market(scenario, seed):
    res = crmsim.run(scenario, seed=seed, threads=1)
    # Contacts are worked out and applied in parallel: two threads change nothing.
    two = crmsim.run(scenario, seed=seed, threads=2)
    pdt.assert_frame_equal(res.campaigns, two.campaigns, check_exact=True)
    pdt.assert_frame_equal(res.segment_kpis, two.segment_kpis, check_exact=True)
    for name, column in res.agents.items():
        np.testing.assert_array_equal(column, two.agents[name], err_msg=name)
    d = scenario.to_dict()
    camp, daily = res.campaigns, res.campaign_daily
    micros = res._sim.campaign_spent_micros
    for k, c in enumerate(d["campaigns"]):
        if c["budget"] is not None:
            assert micros[k] <= round(c["budget"] * 1e6), c["name"]
        if c["max_contacts_per_day"] is not None:
            assert daily.loc[c["name"], "contacted"].max() <= c["max_contacts_per_day"]
    channel_of = {c["name"]: c["channel"] for c in d["campaigns"]}
    per_day = daily["contacted"].groupby(
        [daily.index.get_level_values("campaign").map(channel_of),
         daily.index.get_level_values("day")]).sum()
    for ch in d["channels"]:
        if ch["capacity_per_day"] is not None and ch["name"] in per_day.index:
            assert per_day.loc[ch["name"]].max() <= ch["capacity_per_day"]
    assert (camp["selected"] <= camp["eligible"] - camp["held_out"]).all()
    assert (camp["contacted"] <= camp["selected"]).all()
    assert (camp["delivered"] <= camp["contacted"]).all()
    assert (camp["responded"] <= camp["delivered"]).all()
    assert (camp["treated_converted"] <= camp["treated_measured"]).all()
    assert (camp["holdout_converted"] <= camp["holdout_measured"]).all()
    assert res.kpis["marketing_cost"].sum() == pytest.approx(camp["spent"].sum(), abs=1e-6)
    # The contact policy holds at the end of the run for everybody.
    policy = d["contact_policy"]
    if policy["max_contacts"] is not None:
        ring = res.agents["contact_days"].astype(np.int64)
        recent = ((ring > 0) & (res.days - ring < policy["window_days"])).sum(axis=1)
        assert recent.max() <= policy["max_contacts"]
    k = res.kpis
    assert (k[["prospect", "lead", "new", "active", "developed", "at_risk", "lapsed"]]
            .sum(axis=1) == scenario.population).all()
    assert (k["customers"].diff().iloc[1:]
            == (k["acquisitions"] + k["win_backs"] - k["defections"]).iloc[1:]).all()
