"""Parameter sweeps: many variants of a scenario, replicated, run on Dask distributed.

    table = crmsim.sweep(sc, grid={"segments.young_urban.churn.annual_rate": [0.28, 0.32]},
                         replications=10)                 # LocalCluster of worker processes
    table = crmsim.sweep(sc, ranges={"lifecycle.welcome_days": (30, 120)}, samples=50,
                         client=dask_client)              # Latin hypercube, any Dask cluster

The result is a tidy table, one row per run. Replication r of every point
uses seed ``seed + r``, so all points share their random numbers (common
random numbers): differences between points are paired, like in
:func:`crmsim.compare`.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import metrics as _metrics
from ._execute import RunSpec, execute
from .errors import ScenarioError
from .run import MAX_SEED, check_run_arguments
from .scenario import Scenario
from .sweep_file import output_format, write_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["sweep", "plan_points", "SweepWarning"]

#: Columns of a sweep table other than its parameters and metrics.
RUN_COLUMNS = ("run", "point", "replication", "seed")
STATUS_COLUMNS = ("status", "error", "seconds")


class SweepWarning(UserWarning):
    """Some runs of a sweep or comparison failed; their rows say why (status 'error')."""


def sweep(scenario: Scenario | str | os.PathLike[str],
          grid: Mapping[str, Sequence[Any]] | None = None, *,
          samples: int | None = None,
          ranges: Mapping[str, Any] | None = None,
          replications: int = 1,
          seed: int = 0,
          metrics: Any = None,
          population: int | None = None,
          days: int | None = None,
          threads: int | None = None,
          client: Any = None,
          workers: int | None = None,
          retries: int = 1,
          progress: bool = True,
          out: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Runs a scenario at many parameter points, ``replications`` times each; one row per run.

    scenario: a Scenario or the path of a scenario file.
    grid: override path -> list of values; every combination is a point
        (the first path varies slowest).
    ranges, samples: override path -> (low, high), and how many points to
        draw: a Latin hypercube (scipy.stats.qmc, seeded by ``seed``) over
        the ranges; a range whose ends are both whole numbers draws whole
        numbers from low to high inclusive. Combined with a grid, every grid
        point gets the same samples.
    replications: runs per point; replication r uses seed ``seed + r``.
    metrics: what to keep of each run (see crmsim.metrics): a list of texts
        such as ['customers:final', 'revenue:sum'], or a mapping name -> text
        or function of a Result. Default: customers at the end and totals of
        acquisitions, defections, win-backs, revenue and marketing cost.
    population, days: run options for every run (rescaled market, horizon);
        overrides apply first, then the population is rescaled.
    threads: engine threads per run; None: all cores when serial, 1 on Dask
        (the cluster runs one simulation per worker thread). Results never
        depend on it.
    client: None starts a LocalCluster of ``workers`` processes (default:
        one per core) with one thread each, and closes it at the end; a
        dask.distributed Client (or a scheduler address, or a Cluster) runs
        on that cluster; "serial" runs one after another in this process.
    retries: extra tries Dask gives a task that raised.
    progress: show a progress bar of runs done on stderr.
    out: also write the table to this .parquet, .csv or .h5/.hdf5 file
        (atomically; crmsim.load_sweep reads .parquet and .h5 back).

    Returns a pandas DataFrame with columns run, point, one per parameter
    path, replication, seed, one per metric, status ('ok' or 'error'),
    error (the exception text of a failed run, '' otherwise) and seconds
    (time of the run on its worker). A failed run keeps its row (metrics
    NaN) and a SweepWarning says how many failed; the other runs are kept.
    Bad paths, values, metrics or options raise before any run starts.
    """
    import pandas as pd

    plan = _plan(scenario, grid=grid, samples=samples, ranges=ranges,
                 replications=replications, seed=seed, metrics=metrics,
                 population=population, days=days, threads=threads, client=client, out=out)
    outcomes = execute(plan.specs, client, workers=workers, retries=retries,
                       progress=progress, desc="sweep")

    rows = []
    for spec, point, outcome in zip(plan.specs, plan.spec_points, outcomes):
        row: dict[str, Any] = {"run": spec.index, "point": point,
                               **plan.points[point], "replication": spec.seed - plan.seed,
                               "seed": spec.seed}
        for name in plan.metrics:
            row[name] = outcome.values.get(name, math.nan)
        row.update(status="ok" if outcome.ok else "error", error=outcome.error,
                   seconds=outcome.seconds)
        rows.append(row)
    columns = ["run", "point", *plan.paths, "replication", "seed", *plan.metrics,
               *STATUS_COLUMNS]
    table = pd.DataFrame(rows, columns=columns)
    for name in plan.metrics:
        table[name] = table[name].astype("float64")
    table.attrs.update(plan.provenance())
    warn_failures(table, plan.paths)
    if out is not None:
        write_table(table, out)
    return table


def warn_failures(table: pd.DataFrame, paths: Sequence[str], stacklevel: int = 3) -> None:
    """A SweepWarning naming the first failed run and its parameters, when any run failed."""
    failed = table[table["status"] != "ok"]
    if failed.empty:
        return
    first = failed.iloc[0]
    params = ", ".join(f"{p}={_plain(first[p])!r}" for p in paths) or "no parameters"
    warnings.warn(f"{len(failed)} of {len(table)} runs failed; their rows have status 'error'. "
                  f"First: run {first['run']} ({params}, seed {first['seed']}): "
                  f"{first['error']}", SweepWarning, stacklevel=stacklevel)


# -- planning: everything is checked here, before any run --------------------


class _Plan:
    """The runs of a sweep and what describes them."""

    def __init__(self, **kw: Any):
        self.__dict__.update(kw)

    def provenance(self) -> dict:
        """The table's attrs: what was run, by which crmsim; plain JSON values only."""
        import json

        from . import _core

        design = {"grid": self.grid, "ranges": self.ranges, "samples": self.samples}
        return {
            "crmsim_version": _core.__version__,
            "git_commit": _core.git_commit,
            "scenario": self.scenario.name,
            "scenario_source": self.scenario.source,
            "scenario_yaml": self.scenario.to_yaml(),
            # Values as JSON has them (a date as its text), so that every file format keeps them.
            **json.loads(json.dumps(design, default=str)),
            "seed": self.seed,
            "replications": self.replications,
            "population": self.population,
            "days": self.days,
            "metrics": [m if isinstance(m, str) else "<function>"
                        for m in self.metrics.values()],
            "parameters": list(self.paths),
        }


def _plan(scenario: Any, *, grid: Any, samples: Any, ranges: Any, replications: Any,
          seed: Any, metrics: Any, population: Any, days: Any, threads: Any, client: Any,
          out: Any) -> _Plan:
    seed, days, threads, population = check_run_arguments(seed, days, threads, population)
    replications = _count("replications", replications, 1)
    if seed + replications - 1 > MAX_SEED:
        raise ValueError(f"seed + replications - 1 must be at most 2**64 - 1, got seed {seed}")
    if out is not None:
        output_format(out)
    if not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    points = plan_points(grid, samples=samples, ranges=ranges, seed=seed)
    paths = list(points[0]) if points else []
    if days is not None and "days" in paths:
        raise ValueError("the sweep varies 'days': leave out the days= run option")
    variants = variants_of(scenario, points)
    metric_spec = probe_metrics(variants[0], metrics, population=population, days=days)
    if threads == 0:
        # None: all cores in this process; one thread per task on Dask workers.
        threads = None if isinstance(client, str) and client == "serial" else 1
    specs, spec_points = [], []
    for p, variant in enumerate(variants):
        for r in range(replications):
            specs.append(RunSpec(len(specs), variant, seed + r, days, population, threads,
                                 metric_spec))
            spec_points.append(p)
    return _Plan(scenario=scenario, points=points, paths=paths, specs=specs,
                 spec_points=spec_points, metrics=metric_spec, seed=seed,
                 replications=replications, population=population, days=days,
                 grid=_grid(grid), ranges=_ranges(ranges),
                 samples=None if samples is None else int(samples))


def plan_points(grid: Mapping[str, Sequence[Any]] | None = None, *, samples: int | None = None,
                ranges: Mapping[str, Any] | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """The parameter points of a sweep: grid combinations x Latin hypercube samples.

    Each point is a dict override path -> value; with neither grid nor
    ranges there is one point with no overrides.
    """
    grid = _grid(grid)
    ranges = _ranges(ranges)
    both = set(grid) & set(ranges)
    if both:
        raise ValueError(f"{sorted(both)[0]!r} is in both grid and ranges: give it in one")
    if ranges and samples is None:
        raise ValueError("ranges need samples=N: how many points to draw")
    if samples is not None and not ranges:
        raise ValueError("samples=N needs ranges={path: (low, high)} to draw from")
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    if not ranges:
        return combos
    drawn = _latin_hypercube(ranges, _count("samples", samples, 1), seed)
    return [{**combo, **sample} for combo in combos for sample in drawn]


def variants_of(scenario: Scenario, points: list[dict[str, Any]]) -> list[Scenario]:
    """The scenario with each point's overrides; every problem is raised before any run.

    Paths are checked once (with each path's first value); values are then
    checked point by point, and each distinct message is reported once.
    """
    if not points or not points[0]:
        return [scenario] * max(1, len(points))
    scenario.with_overrides({path: value for path, value in points[0].items()})
    variants, problems = [], []
    for point in points:
        try:
            variants.append(scenario.with_overrides(point))
        except ScenarioError as e:
            problems.extend(m for m in e.errors if m not in problems)
    if problems:
        raise ScenarioError(problems)
    return variants


def probe_metrics(scenario: Scenario, metrics: Any, *, population: int | None,
                  days: int | None) -> _metrics.MetricSpec:
    """Checks the metrics on a one-day run of a small copy of ``scenario``; returns them.

    A metric that names a missing column, segment or campaign fails here,
    in well under a second, instead of in every task.
    """
    from .run import run

    spec = _metrics.normalize(metrics)
    size = min(population or scenario.population, 1000)
    size = max(size, len(scenario.segments))
    probe = run(scenario, seed=0, days=1, threads=1, population=size)
    return _metrics.check(probe, spec)


def _grid(grid: Any) -> dict[str, list[Any]]:
    if grid is None:
        return {}
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a mapping path -> list of values, got {grid!r}")
    out = {}
    for path, values in grid.items():
        if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
            raise TypeError(f"grid[{path!r}] must be a list of values, got {values!r}; "
                            f"for one value write [{values!r}]")
        values = [_plain(v) for v in values]
        if not values:
            raise ValueError(f"grid[{path!r}] is an empty list: give at least one value")
        out[str(path)] = values
    return out


def _ranges(ranges: Any) -> dict[str, tuple[Any, Any]]:
    if ranges is None:
        return {}
    if not isinstance(ranges, Mapping):
        raise TypeError(f"ranges must be a mapping path -> (low, high), got {ranges!r}")
    out = {}
    for path, bounds in ranges.items():
        if isinstance(bounds, Mapping) and set(bounds) == {"low", "high"}:
            bounds = (bounds["low"], bounds["high"])
        if (isinstance(bounds, (str, bytes, Mapping)) or not hasattr(bounds, "__len__")
                or len(bounds) != 2):
            raise TypeError(f"ranges[{path!r}] must be (low, high) or {{low: .., high: ..}}, "
                            f"got {bounds!r}")
        lo, hi = (_plain(b) for b in bounds)
        for b in (lo, hi):
            if isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(b):
                raise TypeError(f"ranges[{path!r}] must be two finite numbers, got {bounds!r}")
        if not lo < hi:
            raise ValueError(f"ranges[{path!r}]: low must be less than high, got {lo!r}, {hi!r}")
        out[str(path)] = (lo, hi)
    return out


def _latin_hypercube(ranges: dict[str, tuple[Any, Any]], n: int, seed: int) -> list[dict]:
    import inspect

    from scipy.stats import qmc

    # scipy >= 1.15 names the generator argument rng; older versions call it seed.
    arg = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
    unit = qmc.LatinHypercube(d=len(ranges), **{arg: seed}).random(n)
    points = []
    for row in unit:
        point = {}
        for u, (path, (lo, hi)) in zip(row, ranges.items()):
            if isinstance(lo, int) and isinstance(hi, int):
                point[path] = min(hi, lo + math.floor(float(u) * (hi - lo + 1)))
            else:
                point[path] = lo + float(u) * (hi - lo)
        points.append(point)
    return points


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, so that tables and messages show plain values."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()  # numpy scalar -> bool, int, float or str
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _count(name: str, value: Any, lowest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if value < lowest:
        raise ValueError(f"{name} must be at least {lowest}, got {value}")
    return int(value)
