"""Running a scenario: argument checks, the engine in blocks of days, a progress bar."""

from __future__ import annotations

import contextlib
import operator
import os
import sys
import time
from collections.abc import Iterator
from typing import Union

from . import _core
from .errors import InvariantError, MemoryLimitError
from .limits import check_memory
from .result import Result
from .results_file import OutputSettings, RunOutputs, write_table
from .scenario import Scenario

__all__ = ["run", "check_run_arguments"]

#: Largest seed: the engine keys its random numbers with an unsigned 64-bit seed.
MAX_SEED = 2**64 - 1
#: Longest horizon the engine accepts, in days (100 years).
MAX_DAYS = 36_500

ScenarioLike = Union[Scenario, str, "os.PathLike[str]"]


def _whole(name: str, value: object) -> int:
    """``value`` as an int, or a TypeError naming the argument (bools are not numbers here)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be a whole number, got {value!r}") from None


def check_run_arguments(seed: object = 0, days: object = None, threads: object = None,
                        population: object = None) -> tuple[int, int | None, int, int | None]:
    """Checks run()'s numeric arguments; returns them as ints (threads None -> 0).

    Raises TypeError or ValueError naming the argument. The CLI calls it to
    reject bad options before reading the scenario.
    """
    seed = _whole("seed", seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and 2**64 - 1, got {seed}")
    if days is not None:
        days = _whole("days", days)
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}, got {days}")
    threads = 0 if threads is None else _whole("threads", threads)
    if threads < 0:
        raise ValueError(f"threads must be at least 0 (0 or None = all cores), got {threads}")
    if population is not None:
        population = _whole("population", population)
        if population < 1:
            raise ValueError(f"population must be at least 1, got {population}")
    return seed, days, threads, population


def run(scenario: ScenarioLike, seed: int = 0, days: int | None = None,
        threads: int | None = None, population: int | None = None,
        progress: bool = False, *, out: str | os.PathLike[str] | None = None,
        snapshot_every: int | None = None, snapshot_columns: list[str] | None = None,
        events: float | None = None, checkpoint_every: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None) -> Result:
    """Simulates a scenario and returns its Result.

    scenario: a Scenario, or the path of a scenario YAML file.
    seed: root of all random draws, 0 to 2**64 - 1; the same seed gives the
        same result on any machine and for any thread count.
    days: horizon in days, overriding the scenario's ``days``.
    threads: worker threads; None or 0 uses all cores. Results do not depend on it.
    population: rescale the total market to this many people (see Scenario.scaled).
    progress: show a progress bar on stderr, in days.

    Files (layout: docs/results-format.md):

    out: an HDF5 results file (``.h5``/``.hdf5``), written as the run goes
        under ``<out>.tmp-<pid>`` and renamed onto ``out`` when complete; or a
        KPI table (``.csv``/``.parquet``) written at the end. Read it back
        with :func:`crmsim.load`.
    snapshot_every: days between agent snapshots in the results file (day 0,
        N, 2N, ... and the last day).
    snapshot_columns: agent columns to snapshot (default all; see
        ``crmsim._core.agent_column_names``).
    events: share of agents (0 to 1, chosen by a hash of agent id and seed)
        whose lifecycle events go to the results file's event log.
    checkpoint_every: days between checkpoints of the full engine state, for
        :func:`crmsim.resume`; written to ``checkpoint`` (default: next to
        ``out``, as ``<out stem>.ckpt.h5``), each atomically.

    Raises ScenarioError for a bad scenario (nothing is run), ValueError or
    TypeError for bad arguments, MemoryLimitError for a run that would not
    fit in this machine's memory (refused before anything is allocated, with
    the estimate), ResultsFileError when a file cannot be written (the
    unfinished results file is removed), InvariantError when checks are on
    (``CRMSIM_CHECKS=1``) and the engine breaks an invariant. Ctrl-C
    (KeyboardInterrupt) stops the run within a fraction of a second and
    leaves no file behind.
    """
    seed, days, threads, population = check_run_arguments(seed, days, threads, population)
    settings = OutputSettings.checked(out, snapshot_every, snapshot_columns, events,
                                      checkpoint_every, checkpoint)
    if not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    if population is not None:
        scenario = scenario.scaled(population)
    if days is not None:
        scenario = scenario.with_days(days)

    check_memory(scenario)
    started = time.perf_counter()
    with engine_errors(scenario):
        sim = _core.Simulation(scenario.engine_dict(), seed=seed, threads=threads)
    return finish_run(sim, scenario, settings, progress, started)


@contextlib.contextmanager
def engine_errors(scenario: Scenario) -> Iterator[None]:
    """Turns the engine's errors about a run into crmsim's public exception types."""
    try:
        yield
    except _core.ScenarioError as e:
        raise scenario.engine_error(e) from e
    except _core.InvariantError as e:
        raise InvariantError(f"{scenario.source}: {e}") from None
    except _core.MemoryLimitError as e:
        raise MemoryLimitError(f"{scenario.source}: {e}") from None


def finish_run(sim: _core.Simulation, scenario: Scenario, settings: OutputSettings,
               progress: bool, started: float) -> Result:
    """Runs ``sim`` to its horizon writing the files of ``settings``; returns the Result."""
    outputs = RunOutputs(sim, scenario, settings)
    try:
        with engine_errors(scenario):
            _advance_to_horizon(sim, scenario.name, progress, outputs)
        outputs.finish(sim)
    except BaseException:
        outputs.abandon()  # no half file under the final name, no temporary file left
        raise
    result = Result(sim, scenario, elapsed_seconds=time.perf_counter() - started)
    if settings.hdf5:
        result._results_path = settings.out
        result._event_share = settings.events
    result._out = settings.out  # the file written, for the CLI's message
    write_table(result, settings)
    return result


def _advance_to_horizon(sim: _core.Simulation, name: str, progress: bool,
                        outputs: RunOutputs | None = None) -> None:
    # Blocks of about 1/100 of the horizon, so that the bar moves. Ctrl-C
    # does not wait for a block to end: advance() runs the engine on a
    # helper thread and stops it within one chunk of agents (bind_simulation.cpp).
    block = max(1, sim.horizon // 100)
    bar = None
    if progress:
        # Plain tqdm, not tqdm.auto: text on stderr works in terminals and
        # notebooks alike without needing ipywidgets.
        from tqdm import tqdm

        bar = tqdm(total=sim.horizon, initial=sim.day, unit="day", desc=name, file=sys.stderr,
                   leave=True)
    try:
        while sim.day < sim.horizon:
            step = min(block, sim.horizon - sim.day)
            if outputs is not None:
                # Stop on snapshot and checkpoint days; the files are written between blocks.
                step = min(step, outputs.next_stop(sim.day, sim.horizon) - sim.day)
            sim.advance(step)
            if outputs is not None:
                outputs.after_block(sim)
            if bar is not None:
                bar.update(step)
    finally:
        if bar is not None:
            bar.close()

