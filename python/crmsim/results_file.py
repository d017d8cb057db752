"""HDF5 results files: what a run writes as it goes, and loading them back.

The engine writes and reads the files (C++, HDF5 C API); this module checks
arguments, drives the writer between blocks of days, and turns the engine's
file errors into :class:`crmsim.ResultsFileError`. The layout is in
docs/results-format.md. h5py is never imported here: the engine's libhdf5 is
the only one in the process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import numbers
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from . import _core
from ._atomic import write_atomically
from .errors import ResultsFileError, ScenarioError
from .scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .result import Result

__all__ = ["load", "OutputSettings", "HDF5_SUFFIXES", "TABLE_SUFFIXES"]

#: File name endings that select an HDF5 results file.
HDF5_SUFFIXES = (".h5", ".hdf5")
#: File name endings that select a KPI table written after the run.
TABLE_SUFFIXES = (".csv", ".parquet")


@contextlib.contextmanager
def file_errors() -> Iterator[None]:
    """Turns the engine's file errors into ResultsFileError (the message names the file)."""
    try:
        yield
    except (_core.IoError, _core.MemoryLimitError) as e:
        # MemoryLimitError: a dataset larger than this machine's memory (the
        # file was written elsewhere, or its header is damaged).
        message = str(e)
        path = message.split(": ", 1)[0] if ": " in message else None
        raise ResultsFileError(message, path) from None


def load(path: str | os.PathLike[str]) -> Result:
    """Reads a results file written by ``crmsim.run(..., out=...)`` or ``Result.save``.

    The Result has the same tables as the live run (``kpis``, ``segment_kpis``,
    ...); ``agents`` are the columns of the last agent snapshot ({} if the
    file has none) and ``events`` the event log (None if it has none).

    Raises ResultsFileError naming the file and the problem: missing, not
    HDF5, not a crmsim results file, a newer format version, truncated.
    """
    from .result import Result

    source = os.fspath(path)
    with file_errors():
        data = _core.ResultsFile(source)
    try:
        scenario = Scenario.from_yaml_text(data.scenario_yaml, source=f"{source} (scenario)")
    except ScenarioError as e:
        raise ResultsFileError(f"{source}: its scenario cannot be used by this crmsim: {e}",
                               source) from None
    # The tables are labelled from the scenario, so every list of names must
    # match. (Found by fuzzing: a zero byte in the stored scenario text cut
    # it after the first campaign, and Result.campaigns failed in pandas.)
    differ = [what for what, mine, theirs in (
        ("segments", scenario.segments, data.segment_names),
        ("campaigns", scenario.campaigns, data.campaign_names),
        ("channels", scenario.channels, data.channel_names),
        ("value tiers", scenario.value_tiers, data.tier_names)) if mine != list(theirs)]
    if scenario.population != data.n_agents:
        differ.append("population")
    if differ:
        raise ResultsFileError(f"{source}: its scenario does not match its tables "
                               f"({', '.join(differ)} differ); the file was changed after it "
                               "was written", source)
    result = Result(data, scenario, elapsed_seconds=data.elapsed_seconds)
    result._results_path = source
    return result


def save_result(result: Result, path: str | os.PathLike[str], agents: bool = True,
                events: bool = True) -> None:
    """Writes a finished Result as an HDF5 results file (see Result.save)."""
    target = os.fspath(path)
    source = result._sim
    if isinstance(source, _core.ResultsFile):
        # A loaded result is saved as a copy of the file it came from.
        with contextlib.suppress(OSError):
            if os.path.samefile(source.path, target):
                return
        try:
            write_atomically(target, lambda temp: shutil.copyfile(source.path, temp))
        except OSError as e:
            raise ResultsFileError(f"{target}: cannot write: {e.strerror or e}", target) from None
        return
    log = None
    if events:
        try:
            log = run_event_file(result)
        except ResultsFileError as e:
            raise ResultsFileError(f"{target}: cannot include the run's event log: {e} "
                                   "(save(..., events=False) leaves it out)", target) from None
    with file_errors():
        writer = _core.ResultsWriter(source, target, result.scenario.to_yaml(),
                                     final_snapshot=bool(agents),
                                     attributes=_file_attributes(result.scenario),
                                     events_from=log)
        writer.commit(source)


def run_event_file(result: Result) -> _core.ResultsFile | None:
    """The results file a live run wrote, read back, if the run kept an event log; else None.

    The event log is written only to that file (the engine hands events over
    as it goes), so it is read back from there. Raises ResultsFileError if
    the file cannot be read or now holds another run (a later run wrote
    the same name).
    """
    import numpy as np

    path, share = result._results_path, result._event_share
    if path is None or not share:
        return None
    with file_errors():
        data = _core.ResultsFile(path)
    sim = result._sim
    same = (data.seed == sim.seed and data.day == sim.day and data.event_share == share
            and data.scenario_yaml == result.scenario.to_yaml()
            and np.array_equal(data.kpis, sim.kpis))
    if not same:
        raise ResultsFileError(f"{path}: no longer holds this run's results (another run "
                               "wrote it since)", path)
    return data


def _file_attributes(scenario: Scenario) -> dict[str, str]:
    """Text attributes for a file's root: what a reader without the scenario wants first."""
    return {"start_date": scenario.start_date.isoformat(), "currency": scenario.currency,
            "scenario_source": scenario.source}


def events_frame(result: Result) -> pd.DataFrame | None:
    """The event log of a result as a DataFrame, or None (see Result.events)."""
    import pandas as pd

    source = result._sim
    if not isinstance(source, _core.ResultsFile):
        source = run_event_file(result)
        if source is None:
            return None
    columns = source.events
    if columns is None:
        return None
    campaigns = list(source.campaign_names)
    return pd.DataFrame({
        "day": columns["day"].astype("int64"),
        "agent": columns["agent"].astype("int64"),
        "segment": pd.Categorical.from_codes(columns["segment"].astype("int64"),
                                             categories=list(source.segment_names)),
        "kind": pd.Categorical.from_codes(columns["kind"].astype("int64"),
                                          categories=list(_core.event_kind_names)),
        # Campaign index + 1 in the file; organic events have no campaign (NaN).
        "campaign": pd.Categorical.from_codes(columns["campaign"].astype("int64") - 1,
                                              categories=campaigns),
    })


# -- what a run writes ----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class OutputSettings:
    """The files a run writes; checked by :meth:`checked`, stored in checkpoints."""

    out: str | None = None                  #: results file (.h5/.hdf5) or KPI table (.csv/.parquet)
    snapshot_every: int | None = None       #: days between agent snapshots (HDF5 only)
    snapshot_columns: tuple[str, ...] | None = None  #: agent columns in snapshots; None = all
    events: float | None = None             #: share of agents whose events are logged (HDF5 only)
    checkpoint_every: int | None = None     #: days between checkpoints
    checkpoint: str | None = None           #: checkpoint file; default <out stem>.ckpt.h5

    @property
    def hdf5(self) -> bool:
        """True when ``out`` is an HDF5 results file."""
        return self.out is not None and self.out.lower().endswith(HDF5_SUFFIXES)

    @classmethod
    def checked(cls, out: object = None, snapshot_every: object = None,
                snapshot_columns: object = None, events: object = None,
                checkpoint_every: object = None, checkpoint: object = None,
                names: dict[str, str] | None = None) -> OutputSettings:
        """The settings with paths made absolute; ValueError / TypeError naming the argument.

        ``names`` renames arguments in messages (the CLI says ``--snapshot-every``).
        """
        try:
            return cls._checked(out, snapshot_every, snapshot_columns, events,
                                checkpoint_every, checkpoint)
        except (ValueError, TypeError) as e:
            if not names:
                raise
            words = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
            message = re.sub(rf"\b({words})\b", lambda m: names[m.group(1)], str(e))
            raise type(e)(message) from None

    @classmethod
    def _checked(cls, out: object, snapshot_every: object, snapshot_columns: object,
                 events: object, checkpoint_every: object, checkpoint: object) -> OutputSettings:
        if out is not None:
            out = _path("out", out)
            if not out.lower().endswith(HDF5_SUFFIXES + TABLE_SUFFIXES):
                raise ValueError(f"out must end in {', '.join(HDF5_SUFFIXES + TABLE_SUFFIXES)}, "
                                 f"got {out!r}")
        hdf5 = out is not None and out.lower().endswith(HDF5_SUFFIXES)
        if snapshot_every is not None:
            snapshot_every = _positive_int("snapshot_every", snapshot_every)
            if not hdf5:
                raise ValueError("snapshot_every needs an HDF5 results file (out ending in .h5)")
        if snapshot_columns is not None:
            if isinstance(snapshot_columns, str) or not isinstance(snapshot_columns, Sequence):
                raise TypeError("snapshot_columns must be a list of agent column names, "
                                f"got {snapshot_columns!r}")
            known = list(_core.agent_column_names)
            unknown = [c for c in snapshot_columns if c not in known]
            if unknown:
                raise ValueError(f"snapshot_columns: unknown agent column(s) "
                                 f"{', '.join(map(repr, unknown))} (known: {', '.join(known)})")
            if snapshot_every is None:
                raise ValueError("snapshot_columns needs snapshot_every")
            snapshot_columns = tuple(snapshot_columns)
        if events is not None:
            if isinstance(events, bool) or not isinstance(events, numbers.Real):
                raise TypeError(f"events must be a share between 0 and 1, got {events!r}")
            events = float(events)
            if not 0.0 < events <= 1.0:
                raise ValueError(f"events must be a share above 0 and at most 1, got {events}")
            if not hdf5:
                raise ValueError("events needs an HDF5 results file (out ending in .h5)")
        if checkpoint is not None:
            checkpoint = _path("checkpoint", checkpoint)
            if checkpoint_every is None:
                raise ValueError("checkpoint needs checkpoint_every")
        if checkpoint_every is not None:
            checkpoint_every = _positive_int("checkpoint_every", checkpoint_every)
            if checkpoint is None:
                if out is None:
                    raise ValueError("checkpoint_every needs checkpoint (a file name) or out")
                checkpoint = os.path.splitext(out)[0] + ".ckpt.h5"
        for name, path in (("out", out), ("checkpoint", checkpoint)):
            if path is not None and not os.path.isdir(os.path.dirname(path)):
                raise ValueError(f"{name}: folder {os.path.dirname(path)!r} does not exist")
        if out is not None and checkpoint is not None and os.path.abspath(out) == checkpoint:
            raise ValueError("checkpoint and out must be different files")
        return cls(out, snapshot_every, snapshot_columns, events, checkpoint_every, checkpoint)

    def to_json(self) -> str:
        """The settings as JSON text (a checkpoint's ``resume`` attribute)."""
        d = dataclasses.asdict(self)
        if d["snapshot_columns"] is not None:
            d["snapshot_columns"] = list(d["snapshot_columns"])
        return json.dumps(d)

    @classmethod
    def from_json(cls, text: str) -> OutputSettings:
        """Settings stored by :meth:`to_json`; unknown keys are ignored."""
        d = json.loads(text)
        fields = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in fields}
        if d.get("snapshot_columns") is not None:
            d["snapshot_columns"] = tuple(d["snapshot_columns"])
        return cls(**d)


def _path(name: str, value: object) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path, got {value!r}")
    return os.path.abspath(os.fspath(value))


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number of days, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 day, got {value}")
    return int(value)


class RunOutputs:
    """Drives the results writer and the checkpoints of one run between blocks of days."""

    def __init__(self, sim: _core.Simulation, scenario: Scenario, settings: OutputSettings):
        self._scenario = scenario
        self._settings = settings
        self._yaml = scenario.to_yaml()
        self._writer = None
        if settings.hdf5:
            with file_errors():
                self._writer = _core.ResultsWriter(
                    sim, settings.out, self._yaml,
                    snapshot_every=settings.snapshot_every or 0,
                    snapshot_columns=list(settings.snapshot_columns or ()),
                    event_share=settings.events or 0.0,
                    attributes=_file_attributes(scenario))

    def next_stop(self, day: int, horizon: int) -> int:
        """The next day on which the run must stop for a snapshot or a checkpoint."""
        stop = horizon
        if self._writer is not None:
            stop = min(stop, self._writer.next_stop(day))
        every = self._settings.checkpoint_every
        if every:
            stop = min(stop, (day // every + 1) * every)
        return stop

    def after_block(self, sim: _core.Simulation) -> None:
        """Appends to the results file; writes a checkpoint when one is due."""
        with file_errors():
            if self._writer is not None:
                self._writer.write(sim)
            every = self._settings.checkpoint_every
            if every and sim.day % every == 0 and sim.day < sim.horizon:
                _core.write_checkpoint(sim, self._settings.checkpoint, self._yaml,
                                       attributes={"resume": self._settings.to_json(),
                                                   **_file_attributes(self._scenario)})

    def finish(self, sim: _core.Simulation) -> None:
        """Completes the results file (renames it onto its name)."""
        if self._writer is not None:
            with file_errors():
                self._writer.commit(sim)

    def abandon(self) -> None:
        """Removes the unfinished results file (after an error or Ctrl-C)."""
        if self._writer is not None:
            self._writer.discard()


def write_table(result: Result, settings: OutputSettings) -> None:
    """Writes the KPI table when ``out`` is .csv or .parquet (after the run)."""
    if settings.out is None or settings.hdf5:
        return
    try:
        if settings.out.lower().endswith(".csv"):
            result.to_csv(settings.out)
        else:
            result.to_parquet(settings.out)
    except OSError as e:
        raise ResultsFileError(f"{settings.out}: cannot write: {e.strerror or e}",
                               settings.out) from None
