"""Fuzzing results files and checkpoints from Python: a damaged file is read
or refused with a crmsim.ResultsFileError, and what is read can be used
(tables, event log, agents); never another exception.

The engine's readers are fuzzed in C++ as well (tests/fuzz, many more
inputs); this covers what the Python layer adds on top: the scenario text
stored in the file, the names, the tables as DataFrames, the categories of
the event log, resuming. Each input goes through a fresh file.
"""

from __future__ import annotations

import os

import pytest
from conftest import BASELINE
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import crmsim

EXAMPLES = int(os.environ.get("CRMSIM_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize="CRMSIM_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])


#: The seed files as bytes, filled once per module (kept out of the examples'
#: arguments, so that a failing example prints short).
SEEDS: dict[str, bytes] = {}


@pytest.fixture(scope="module", autouse=True)
def _seeds(tmp_path_factory):
    """A results file with snapshots and events, and a checkpoint."""
    folder = tmp_path_factory.mktemp("seeds")
    crmsim.run(BASELINE, seed=2, days=30, population=600, out=folder / "r.h5",
               snapshot_every=10, events=1.0, checkpoint_every=15)
    SEEDS["results"] = (folder / "r.h5").read_bytes()
    SEEDS["checkpoint"] = (folder / "r.ckpt.h5").read_bytes()


EDITS = st.lists(
    st.tuples(st.sampled_from(["flip", "byte", "zero", "truncate"]),
              st.integers(0, 2**31), st.integers(0, 255)),
    min_size=1, max_size=6)


def _damage(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, where, value in edits:
        if not out:
            break
        # Half of the edits near the start, where the file's structure is.
        at = where % min(len(out), 4096) if where % 2 else where % len(out)
        if kind == "flip":
            out[at] ^= 1 << (value % 8)
        elif kind == "byte":
            out[at] = value
        elif kind == "zero":
            out[at:at + 1 + value] = bytes(len(out[at:at + 1 + value]))
        else:
            del out[at:]
    return bytes(out)


@FUZZ
@given(edits=EDITS)
def test_a_damaged_results_file_loads_or_is_refused(edits, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "r.h5"
    path.write_bytes(_damage(SEEDS["results"], edits))
    try:
        res = crmsim.load(path)
        # Everything a planner reads from a loaded result.
        tables = [res.kpis, res.segment_kpis, res.campaigns, res.campaign_daily, res.channels,
                  res.tiers, res.events]
        agents = res.agents
        assert len(tables[0]) == res.days + 1
        assert all(len(column) == res.population for column in agents.values())
    except crmsim.ResultsFileError as e:
        assert str(path) in str(e)
        event("refused")
        return
    event("loaded")


@FUZZ
@given(edits=EDITS)
def test_a_damaged_checkpoint_resumes_or_is_refused(edits, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "r.ckpt.h5"
    path.write_bytes(_damage(SEEDS["checkpoint"], edits))
    try:
        res = crmsim.resume(path, out=None, threads=1)
    except crmsim.ResultsFileError as e:
        assert str(path) in str(e)
        event("refused")
        return
    assert res.days == 30
    event("resumed")
