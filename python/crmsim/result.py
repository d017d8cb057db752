"""Result: the KPIs and agents of a finished run, as pandas tables and numpy views.

pandas is imported only when a table is asked for, so that ``import crmsim``
and the CLI's validate command stay fast.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import _core
from ._atomic import write_atomically
from .scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = ["Result", "CUSTOMER_STATES"]

#: States in which a person is a customer (buys from us).
CUSTOMER_STATES = ("new", "active", "developed", "at_risk")


class Result:
    """The outcome of :func:`crmsim.run`.

    ``kpis`` and ``segment_kpis`` are daily tables; ``agents`` are the
    engine's per-person columns as read-only numpy views (no copy).
    """

    def __init__(self, simulation: _core.Simulation, scenario: Scenario,
                 elapsed_seconds: float):
        """Wraps a finished engine run; made by :func:`crmsim.run`, not by users."""
        self._sim = simulation
        self._scenario = scenario
        self._elapsed = float(elapsed_seconds)
        self._results_path: str | None = None  # the HDF5 file the run wrote or was loaded from
        self._event_share: float | None = None  # share of agents in its event log, if any

    # -- what was run -------------------------------------------------------

    @property
    def scenario(self) -> Scenario:
        """The scenario as run (after any population or days override)."""
        return self._scenario

    @property
    def seed(self) -> int:
        """Seed of the run's random numbers."""
        return self._sim.seed

    @property
    def threads(self) -> int:
        """Worker threads the engine used (results do not depend on it)."""
        return self._sim.threads

    @property
    def days(self) -> int:
        """Days simulated."""
        return self._sim.day

    @property
    def population(self) -> int:
        """People (agents) simulated: the total addressable market."""
        return self._sim.n_agents

    @property
    def elapsed_seconds(self) -> float:
        """Wall-clock seconds the run took (building the population and simulating)."""
        return self._elapsed

    # -- tables ---------------------------------------------------------------

    @property
    def kpi_array(self) -> np.ndarray:
        """Raw KPI values: read-only int64 view (day, segment, engine column), no copy.

        Columns are ``crmsim._core.Simulation.kpi_columns``; revenue is in cents.
        """
        return self._sim.kpis

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """Daily KPIs of the whole market: one row per day 0..days, indexed by ``day``.

        Columns: ``date`` (start_date + day); people per state at the end of
        the day (prospect, lead, new, active, developed, at_risk, lapsed) and
        ``customers`` (new + active + developed + at_risk); the day's flows
        (enquiries, acquisitions (of which campaign_acquisitions came from
        acquisition campaigns), ..., win_backs, ..., purchases); ``revenue``
        and ``marketing_cost`` (contacts, waves, incentives and discounts) of
        the day in currency units. Day 0 is the initial population (flows
        are 0). Customers change by acquisitions + win_backs - defections.
        """
        import pandas as pd

        values = self._sim.kpis.sum(axis=1)
        index = pd.RangeIndex(values.shape[0], name="day")
        return _kpi_frame(values, self._dates(values.shape[0]), index)

    @cached_property
    def segment_kpis(self) -> pd.DataFrame:
        """The columns of :attr:`kpis` per segment, indexed by (segment name, day)."""
        import numpy as np
        import pandas as pd

        raw = self._sim.kpis
        rows, n_segments, n_columns = raw.shape
        values = raw.transpose(1, 0, 2).reshape(n_segments * rows, n_columns)
        index = pd.MultiIndex.from_arrays(
            [np.repeat(np.array(self._scenario.segments, dtype=object), rows),
             np.tile(np.arange(rows, dtype=np.int64), n_segments)],
            names=["segment", "day"])
        return _kpi_frame(values, np.tile(self._dates(rows), n_segments), index)

    def _dates(self, rows: int) -> Any:
        import pandas as pd

        # Nanoseconds, pandas' classic unit: it survives Parquet and CSV round trips.
        start = pd.Timestamp(self._scenario.start_date)
        return pd.date_range(start, periods=rows, freq="D", unit="ns").to_numpy()

    # -- campaigns, channels, value tiers -------------------------------------

    @cached_property
    def _campaign_columns(self) -> dict[str, np.ndarray]:
        from .measurement import campaign_columns

        return campaign_columns(self._sim, self._scenario)

    @cached_property
    def campaigns(self) -> pd.DataFrame:
        """One row per campaign (indexed by name): activity, cost, and effect against its holdout.

        Counts over the run: eligible (people the targeting picked, summed
        over wave days), held_out (of them, in the control group), selected
        (not held out and allowed by the contact policy), contacted (within
        budget, daily cap and channel capacity), delivered, responded,
        unsubscribed; response_rate = responded / delivered.
        Money in currency units: contact_cost (contacts and wave costs),
        incentive_cost, discount (revenue given up by responders), cost
        (all three), spent (contact and incentive costs: what the budget
        covers), budget (NaN = no limit), budget_used = spent / budget.
        Measurement (each contacted and held-out person followed for the
        campaign's measurement_days): treated_/holdout_ measured, converted,
        conversion_rate, revenue_per_person (revenue is net of discounts).
        Effect (treated minus holdout, 95% intervals in _low/_high, standard
        errors in _se): incremental_conversions, incremental_revenue, roi (a
        share: 0.25 = +25%; the discount is counted once, in the cost),
        cost_per_incremental_conversion; measured_cost and
        measured_discount price the measured people. NaN where it cannot be
        measured (no holdout, nobody measured); ``note`` says why, or warns
        when an interval is less reliable. Formulas:
        :mod:`crmsim.measurement` and docs/campaigns.md.
        """
        import pandas as pd

        index = pd.Index(self._scenario.campaigns, name="campaign")
        return pd.DataFrame(self._campaign_columns, index=index)

    @cached_property
    def campaign_daily(self) -> pd.DataFrame:
        """Daily campaign counts and money, indexed by (campaign name, day 0..days).

        Columns: date, eligible, held_out, selected, contacted, delivered,
        responded, unsubscribed, contact_cost, incentive_cost, cost, discount
        (currency), and the measurement windows that closed that day:
        treated_/holdout_ measured, converted, revenue (currency).
        """
        import numpy as np
        import pandas as pd

        from .measurement import campaign_daily_columns

        _, columns = campaign_daily_columns(self._sim)
        rows = self._sim.day + 1
        names = self._scenario.campaigns
        index = pd.MultiIndex.from_arrays(
            [np.repeat(np.array(names, dtype=object), rows),
             np.tile(np.arange(rows, dtype=np.int64), len(names))],
            names=["campaign", "day"])
        data = {"date": np.tile(self._dates(rows), len(names)), **columns}
        return pd.DataFrame(data, index=index)

    @cached_property
    def channels(self) -> pd.DataFrame:
        """One row per channel (indexed by name): contacts, cost, capacity use, effect.

        campaigns (on the channel), contacts, delivered, responses,
        unsubscribes, delivery_rate, response_rate, base_response_mean
        (scenario input, mean over segments), cost and discount (currency),
        cost_per_response, capacity_per_day (NaN = unlimited), capacity_use
        (contacts / (capacity x days)), peak_day_contacts, peak_capacity_use.
        Effect, added up over the channel's measured campaigns
        (measured_campaigns of them), with 95% intervals from the summed
        variances: incremental_conversions, incremental_revenue, roi.
        """
        import pandas as pd

        from .measurement import channel_columns

        columns = channel_columns(self._sim, self._scenario, self._campaign_columns)
        index = pd.Index(self._scenario.channels, name="channel")
        return pd.DataFrame(columns, index=index)

    @cached_property
    def tiers(self) -> pd.DataFrame:
        """One row per value tier (indexed by name, lowest first): customers, revenue, margin.

        customers_mean (customers at the start of each day, averaged over
        the run), customers_end, customer_years; in currency: revenue,
        cost_to_serve (customer-days x the segment's cost_to_serve_per_year /
        365), marketing_cost (contacts, incentives and discounts of the
        tier's people), gross_margin = revenue x segment gross_margin -
        cost_to_serve - marketing_cost; revenue_share, revenue_ and
        margin_per_customer_year. A customer's tier follows its expected
        annual value, so it can change when the customer takes a second
        product. Without value_tiers in the scenario there is one tier, 'all'.
        """
        import pandas as pd

        from .measurement import tier_columns

        index = pd.Index(self._scenario.value_tiers, name="tier")
        return pd.DataFrame(tier_columns(self._sim, self._scenario), index=index)

    @cached_property
    def segment_tiers(self) -> pd.DataFrame:
        """The columns of :attr:`tiers` per segment, indexed by (segment name, tier name)."""
        import pandas as pd

        from .measurement import tier_columns

        index = pd.MultiIndex.from_product([self._scenario.segments, self._scenario.value_tiers],
                                           names=["segment", "tier"])
        return pd.DataFrame(tier_columns(self._sim, self._scenario, by_segment=True),
                            index=index)

    @property
    def campaign_spent(self) -> dict[str, float]:
        """Budget used per campaign name (contacts, waves, incentives), currency units."""
        from .measurement import MICROS

        return {name: micros / MICROS
                for name, micros in zip(self._scenario.campaigns, self._sim.campaign_spent_micros)}

    # -- agents -----------------------------------------------------------------

    @property
    def agents(self) -> dict[str, np.ndarray]:
        """Per-person columns at the end of the run: read-only numpy views, no copy.

        segment (u8 index into scenario.segments), state (u8: 0 prospect, 1 lead,
        2 new, 3 active, 4 developed, 5 at_risk, 6 lapsed), products (u8),
        flags (u8 bits: 0 acquired through an enquiry, 1 acquired or enquired
        through a campaign, 2 won back, 3 opted out of marketing, 4 in a
        campaign's holdout group, 5 converted in the current measurement
        window), state_since, acquired_day and last_purchase_day (i32
        simulation days), purchase_rate and churn_hazard (f32, per day),
        revenue_cents (i64, lifetime revenue in cents); campaign columns:
        contact_days (u16 (people, slots): days of recent contacts, 0 =
        empty), effect_campaign and effect_until (campaign index + 1 of the
        running churn or discount effect, 0 = none; its last day),
        assigned and assigned_day (campaign index + 1 of the open
        measurement window, 0 = none; the day it opened),
        window_revenue_cents (i32, revenue since then). The views keep the
        run's memory alive. For a loaded result, the columns of the file's
        last snapshot ({} without one); ResultsFileError if it cannot be read.
        """
        from .results_file import file_errors

        with file_errors():
            return self._sim.agents

    # -- reports and files --------------------------------------------------

    def summary(self) -> str:
        """A plain-text summary for planners.

        Customers, flows, churn, revenue and marketing cost, per segment; with
        campaigns, their activity and measured effect (95% intervals) and the
        channels; with value tiers or margin inputs, revenue and margin per tier.
        """
        from .summary import summary_text

        return summary_text(self)

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Writes :attr:`kpis` as CSV (atomically: a complete file or none)."""
        write_atomically(path, lambda temp: self.kpis.to_csv(temp))

    def to_parquet(self, path: str | os.PathLike[str]) -> None:
        """Writes :attr:`kpis` as Parquet (needs pyarrow; atomically: a complete file or none)."""
        write_atomically(path, lambda temp: self.kpis.to_parquet(temp))

    def save(self, path: str | os.PathLike[str], agents: bool = True,
             events: bool = True) -> None:
        """Writes the run as an HDF5 results file; :func:`crmsim.load` reads it back.

        The file has every KPI table, the scenario and provenance, (with
        ``agents``) the agent columns at the end of the run as a snapshot,
        and (with ``events``) the run's event log if it kept one
        (``run(out=..., events=share)``): the log is read back from the
        run's own results file, which must still hold this run. It is
        written under a temporary name and renamed when complete. A loaded
        result is saved as a copy of its file. Layout: docs/results-format.md.
        Raises ResultsFileError if the file cannot be written, or if the
        event log cannot be read from the run's file (``events=False``
        leaves it out).
        """
        from .results_file import save_result

        save_result(self, path, agents=agents, events=events)

    @cached_property
    def events(self) -> pd.DataFrame | None:
        """The event log of the results file, if the run kept one (``run(..., events=share)``).

        One row per event: day, agent, segment, kind (enquiry, acquisition,
        lead_conversion, lead_expiry, welcomed, development, problem, recovery,
        defection, win_back, return_to_market) and campaign (NaN when organic).
        None when there is no log. A live run's log is read from its results
        file: ResultsFileError if that file cannot be read or now holds
        another run.
        """
        from .results_file import events_frame

        return events_frame(self)

    def __repr__(self) -> str:
        return (f"<Result {self._scenario.name!r}: {self.days} days, {self.population:,} people,"
                f" seed {self.seed}, {self.threads} threads, {self._elapsed:.2f} s>")


def _kpi_frame(values: np.ndarray, dates: Any, index: Any) -> pd.DataFrame:
    """The public KPI table of engine values (rows x engine columns)."""
    import pandas as pd

    engine_columns = list(_core.Simulation.kpi_columns)
    states = list(_core.Simulation.state_names)
    at = {name: k for k, name in enumerate(engine_columns)}
    data: dict[str, Any] = {"date": dates}
    for name in states:
        data[name] = values[:, at[name]].copy()
    data["customers"] = sum(values[:, at[name]] for name in CUSTOMER_STATES)
    money = {"revenue_cents", "marketing_cost_micros"}
    for name in engine_columns:
        if name not in states and name not in money:
            data[name] = values[:, at[name]].copy()
    # Cents and micros are exact in the engine; currency units read better in a table.
    data["revenue"] = values[:, at["revenue_cents"]] / 100.0
    data["marketing_cost"] = values[:, at["marketing_cost_micros"]] / 1e6
    return pd.DataFrame(data, index=index)
