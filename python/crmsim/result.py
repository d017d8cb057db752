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
        (enquiries, acquisitions, ... , purchases); ``revenue`` of the day in
        currency units. Day 0 is the initial population (flows are 0).
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

    @property
    def agents(self) -> dict[str, np.ndarray]:
        """Per-person columns at the end of the run: read-only numpy views, no copy.

        segment (u8 index into scenario.segments), state (u8: 0 prospect, 1 lead,
        2 new, 3 active, 4 developed, 5 at_risk, 6 lapsed), products (u8),
        flags (u8; bit 0: last acquired through an enquiry), state_since and
        acquired_day (i32 simulation days), purchase_rate and churn_hazard
        (f32, per day), revenue_cents (i64, lifetime revenue in cents). The
        views keep the run's memory alive.
        """
        return self._sim.agents

    # -- reports and files --------------------------------------------------

    def summary(self) -> str:
        """A plain-text summary for planners: customers, flows, churn and revenue, per segment."""
        from .summary import summary_text

        return summary_text(self)

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Writes :attr:`kpis` as CSV (atomically: a complete file or none)."""
        write_atomically(path, lambda temp: self.kpis.to_csv(temp))

    def to_parquet(self, path: str | os.PathLike[str]) -> None:
        """Writes :attr:`kpis` as Parquet (needs pyarrow; atomically: a complete file or none)."""
        write_atomically(path, lambda temp: self.kpis.to_parquet(temp))

    def save(self, path: str | os.PathLike[str], agents: bool = True) -> None:
        """Writes the run as an HDF5 results file; :func:`crmsim.load` reads it back.

        The file has every KPI table, the scenario and provenance, and (with
        ``agents``) the agent columns at the end of the run as a snapshot. It
        is written under a temporary name and renamed when complete. The event
        log is not included: it is written only during a run (``run(out=...,
        events=...)``). A loaded result is saved as a copy of its file.
        Layout: docs/results-format.md.
        Raises ResultsFileError if the file cannot be written.
        """
        from .results_file import save_result

        save_result(self, path, agents=agents)

    @cached_property
    def events(self) -> pd.DataFrame | None:
        """The event log of the results file, if the run kept one (``run(..., events=share)``).

        One row per event: day, agent, segment, kind (enquiry, acquisition,
        lead_conversion, lead_expiry, welcomed, development, problem, recovery,
        defection, win_back, return_to_market) and campaign (NaN when organic).
        None when there is no log.
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
    for name in engine_columns:
        if name not in states and name != "revenue_cents":
            data[name] = values[:, at[name]].copy()
    # Cents are exact in the engine; currency units read better in a table.
    data["revenue"] = values[:, at["revenue_cents"]] / 100.0
    return pd.DataFrame(data, index=index)
