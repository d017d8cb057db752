"""Running many simulations: one after another, or as tasks on Dask distributed.

Sweeps and comparisons describe their runs as RunSpecs, then hand them here.
Each Dask task runs one whole simulation (the engine releases the GIL) and
sends back only the run's metrics, a few numbers, never the agents. The same
function runs a spec serially and on a worker, so a sweep's numbers do not
depend on where it ran.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import CrmsimError
from .metrics import MetricSpec, evaluate
from .scenario import Scenario

__all__ = ["RunSpec", "Outcome", "run_one", "execute", "default_workers"]


@dataclass(frozen=True)
class RunSpec:
    """One simulation to run: a validated scenario, its seed and run options."""

    index: int
    scenario: Scenario
    seed: int
    days: int | None
    population: int | None
    threads: int | None
    metrics: MetricSpec


@dataclass
class Outcome:
    """What came back for one RunSpec: metrics, or the error that stopped it."""

    values: dict[str, float]
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def run_one(spec: RunSpec) -> Outcome:
    """Runs one spec and reduces it to its metrics (on a Dask worker or in this process).

    A crmsim error (a scenario or argument the engine refuses) is the same on
    every try, so it comes back as a failed Outcome and is not retried; any
    other exception propagates, so that Dask can retry the task.
    """
    from .run import run

    started = time.perf_counter()
    try:
        result = run(spec.scenario, seed=spec.seed, days=spec.days, threads=spec.threads,
                     population=spec.population)
        values = evaluate(result, spec.metrics)
    except (CrmsimError, ValueError, TypeError) as e:
        return Outcome({}, time.perf_counter() - started, _error_text(e))
    return Outcome(values, time.perf_counter() - started)


def default_workers() -> int:
    """Worker processes of the LocalCluster a sweep starts: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover  (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def execute(specs: Sequence[RunSpec], client: Any = None, *, workers: int | None = None,
            retries: int = 1, progress: bool = True, desc: str = "runs") -> list[Outcome]:
    """Runs every spec and returns their outcomes in spec order.

    client: "serial" (one after another in this process), None (a LocalCluster
    of ``workers`` processes with one thread each, started and closed here),
    a scheduler address such as "tcp://host:8786", a dask.distributed Client,
    or a Cluster object. retries: how many more times Dask tries a task that
    raised (a task whose worker died is rescheduled by the scheduler anyway,
    up to its ``allowed-failures``). A run that still fails comes back with
    its error text; the others are kept.
    """
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a whole number of at least 0, got {retries!r}")
    if isinstance(client, str) and client == "serial":
        return _serial(specs, progress, desc)
    from distributed import Client, LocalCluster

    if client is None:
        n = default_workers() if workers is None else workers
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"workers must be a whole number of at least 1, got {workers!r}")
        # Any free port for the scheduler's HTTP server (dashboard): the fixed
        # default, 8787, clashes with any other cluster on the machine.
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as own:
            return _distributed(specs, own, retries, progress, desc)
    if isinstance(client, Client):
        return _distributed(specs, client, retries, progress, desc)
    if isinstance(client, str) or hasattr(client, "scheduler_address"):
        with Client(client) as own:
            return _distributed(specs, own, retries, progress, desc)
    raise TypeError("client must be None, 'serial', a scheduler address such as "
                    f"'tcp://host:8786', a dask.distributed Client or a Cluster, got {client!r}")


def _bar(total: int, progress: bool, desc: str) -> Any:
    # Plain tqdm (text on stderr) works in terminals and notebooks without ipywidgets.
    from tqdm import tqdm

    return tqdm(total=total, unit="run", desc=desc, file=sys.stderr, disable=not progress)


def _serial(specs: Sequence[RunSpec], progress: bool, desc: str) -> list[Outcome]:
    out = []
    with _bar(len(specs), progress, desc) as bar:
        for spec in specs:
            try:
                out.append(run_one(spec))
            except Exception as e:  # noqa: BLE001  (reported in the table, like a Dask task)
                out.append(Outcome({}, 0.0, _error_text(e)))
            bar.update(1)
    return out


def _distributed(specs: Sequence[RunSpec], client: Any, retries: int, progress: bool,
                 desc: str) -> list[Outcome]:
    from distributed import as_completed

    batch = uuid.uuid4().hex[:12]
    futures = []
    position = {}
    for i, spec in enumerate(specs):
        # Unique keys: two sweeps on one cluster never share results; pure=False
        # because a spec is cheap to hash but the key must not depend on it.
        future = client.submit(run_one, spec, key=f"crmsim-run-{batch}-{spec.index}",
                               retries=retries, pure=False)
        futures.append(future)
        position[future.key] = i
    out: list[Outcome | None] = [None] * len(specs)
    try:
        with _bar(len(specs), progress, desc) as bar:
            for future in as_completed(futures):
                i = position[future.key]
                if future.status == "finished":
                    out[i] = future.result()
                elif future.status == "error":
                    out[i] = Outcome({}, 0.0, _error_text(future.exception()))
                else:  # cancelled, e.g. by someone else on a shared cluster
                    out[i] = Outcome({}, 0.0, f"the task was {future.status}")
                future.release()
                bar.update(1)
    except BaseException:
        client.cancel(futures)
        raise
    return [o for o in out if o is not None]


def _error_text(error: BaseException) -> str:
    text = str(error).strip() or repr(error)
    return f"{type(error).__name__}: {text}"
