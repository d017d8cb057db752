"""Resuming a run from a checkpoint written by ``crmsim.run(..., checkpoint_every=D)``.

A checkpoint holds the full engine state (agent columns, KPI tables so far,
campaign budgets and adstock, day and seed) and the scenario as YAML. The
engine's random numbers are a pure function of (seed, agent, day), so a
resumed run is bit-identical to one that was never interrupted, whatever
the thread counts of the two halves.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from . import _core
from .errors import ResultsFileError, ScenarioError
from .results_file import HDF5_SUFFIXES, OutputSettings, file_errors
from .run import check_run_arguments, finish_run
from .scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result

__all__ = ["resume"]


class _FromCheckpoint:
    def __repr__(self) -> str:
        return "<as recorded in the checkpoint>"


#: Default of resume()'s ``out``: the file the interrupted run was writing.
FROM_CHECKPOINT = _FromCheckpoint()


def resume(checkpoint: str | os.PathLike[str], out: object = FROM_CHECKPOINT,
           threads: int | None = None, progress: bool = False) -> Result:
    """Finishes a run from its checkpoint and returns its Result.

    checkpoint: a file written by ``crmsim.run(..., checkpoint_every=D)`` or
        ``crmsim run --checkpoint-every D``.
    out: where to write the results; by default the file the interrupted run
        was writing; None for none. An HDF5 file gets the snapshots and event
        log the interrupted run was making.
    threads: worker threads (None or 0: all cores); results do not depend on it.
    progress: show a progress bar on stderr.

    The resumed run goes on writing checkpoints to the same file. Its results
    file has the whole KPI tables; snapshots and events start at the
    checkpoint's day (the attribute ``written_from_day`` says which).

    Raises ResultsFileError if the checkpoint cannot be read or does not
    match its scenario.
    """
    _, _, threads, _ = check_run_arguments(0, None, threads, None)
    path = os.fspath(checkpoint)
    started = time.perf_counter()
    with file_errors():
        ck = _core.Checkpoint(path)
    try:
        recorded = OutputSettings.from_json(ck.attributes.get("resume", "{}"))
    except (ValueError, TypeError) as e:
        raise ResultsFileError(f"{path}: its resume settings cannot be read: {e}", path) from None
    if out is FROM_CHECKPOINT:
        out = recorded.out
    # Snapshots and the event log go on as recorded when the results file is HDF5.
    hdf5 = isinstance(out, (str, os.PathLike)) and os.fspath(out).lower().endswith(HDF5_SUFFIXES)
    settings = OutputSettings.checked(
        out=out,
        snapshot_every=recorded.snapshot_every if hdf5 else None,
        snapshot_columns=recorded.snapshot_columns if hdf5 else None,
        events=recorded.events if hdf5 else None,
        checkpoint_every=recorded.checkpoint_every,
        checkpoint=path if recorded.checkpoint_every else None)
    try:
        scenario = Scenario.from_yaml_text(ck.scenario_yaml, source=f"{path} (scenario)")
    except ScenarioError as e:
        raise ResultsFileError(f"{path}: its scenario cannot be used by this crmsim: {e}",
                               path) from None
    try:
        sim = _core.Simulation(scenario.engine_dict(), seed=ck.seed, threads=threads,
                               checkpoint=ck)
    except (_core.UsageError, _core.ScenarioError, _core.InvariantError) as e:
        # A checkpoint whose state breaks an invariant was changed or damaged after it was written.
        raise ResultsFileError(f"{path}: {e}", path) from None
    return finish_run(sim, scenario, settings, progress, started)

