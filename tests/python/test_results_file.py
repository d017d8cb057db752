"""HDF5 results files: run(out=...), Result.save, crmsim.load, and reading them with h5py.

h5py bundles its own libhdf5, so it never runs in this process (where the
engine's libhdf5 is loaded): the h5py checks run in a fresh Python.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pandas.testing as pdt
import pytest
from conftest import BASELINE, in_fresh_python

import crmsim
from crmsim import _core
from crmsim.results_file import RunOutputs

needs_h5py = pytest.mark.skipif(importlib.util.find_spec("h5py") is None,
                                reason="h5py is a dependency of crmsim: pip install h5py")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A run writing run.h5 with snapshots every 20 days and a full event log."""
    folder = tmp_path_factory.mktemp("written")
    out = folder / "run.h5"
    result = crmsim.run(BASELINE, seed=4, days=50, population=4000, threads=2, out=out,
                        snapshot_every=20, events=1.0)
    return result, out


def test_run_writes_the_file_as_it_goes_and_load_gives_the_same_tables(written):
    live, out = written
    assert sorted(os.listdir(out.parent)) == ["run.h5"]  # no temporary file left
    back = crmsim.load(out)
    pdt.assert_frame_equal(back.kpis, live.kpis)
    pdt.assert_frame_equal(back.segment_kpis, live.segment_kpis)
    assert back.scenario == live.scenario
    assert (back.seed, back.threads, back.days, back.population) == (4, 2, 50, 4000)
    assert back.summary().splitlines()[3:] == live.summary().splitlines()[3:]
    assert back.elapsed_seconds > 0
    np.testing.assert_array_equal(back.kpi_array, live.kpi_array)


def test_loaded_agents_are_the_last_snapshot(written):
    live, out = written
    back = crmsim.load(out)
    assert back._sim.snapshot_days == [0, 20, 40, 50]  # every 20 days and the last day
    assert list(back.agents) == list(_core.agent_column_names)
    for name, column in live.agents.items():
        np.testing.assert_array_equal(back.agents[name], column, err_msg=name)
        assert back.agents[name].dtype == column.dtype
        assert not back.agents[name].flags.writeable
    day20 = back._sim.snapshot(20)
    assert day20["state"].shape == (4000,)
    assert not np.array_equal(day20["state"], back.agents["state"])


def test_event_log_agrees_with_the_kpi_flows(written):
    live, out = written
    events = live.events
    assert events is not None
    assert list(events.columns) == ["day", "agent", "segment", "kind", "campaign"]
    assert list(events["segment"].cat.categories) == live.scenario.segments
    assert events["day"].between(1, 50).all()
    per_day = events.groupby(["day", "kind"], observed=False).size().unstack(fill_value=0)
    flows = live.kpis.loc[1:]
    assert (per_day["defection"] == flows["defections"]).all()
    assert (per_day["acquisition"] + per_day["lead_conversion"] == flows["acquisitions"]).all()
    assert (per_day["enquiry"] == flows["enquiries"]).all()
    pdt.assert_frame_equal(crmsim.load(out).events, events)


def test_a_run_without_a_file_has_no_event_log(small_run):
    assert small_run.events is None


def test_save_and_load_round_trip(small_run, tmp_path):
    path = tmp_path / "saved.h5"
    small_run.save(path)
    back = crmsim.load(path)
    pdt.assert_frame_equal(back.kpis, small_run.kpis)
    pdt.assert_frame_equal(back.segment_kpis, small_run.segment_kpis)
    for name, column in small_run.agents.items():
        np.testing.assert_array_equal(back.agents[name], column, err_msg=name)
    assert back.events is None
    small_run.save(tmp_path / "no_agents.h5", agents=False)
    assert crmsim.load(tmp_path / "no_agents.h5").agents == {}
    # A loaded result saves as a copy of its file.
    back.save(tmp_path / "copy.h5")
    assert (tmp_path / "copy.h5").read_bytes() == path.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["copy.h5", "no_agents.h5", "saved.h5"]


def test_save_over_an_existing_file_replaces_it_whole(small_run, tmp_path):
    path = tmp_path / "r.h5"
    path.write_text("an older file")
    small_run.save(path, agents=False)
    assert crmsim.load(path).days == 60


@needs_h5py
def test_h5py_and_pandas_read_the_tables(written):
    live, out = written
    found = in_fresh_python("""
        import json, sys
        import h5py, pandas as pd
        with h5py.File(sys.argv[1], "r") as f:
            attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}
            seg = f["/kpis/segments"]
            daily = pd.DataFrame({k: f["/kpis/daily"][k][:] for k in f["/kpis/daily"]})
            print(json.dumps({
                "attrs": {k: (v if isinstance(v, (int, float, str)) else str(v))
                          for k, v in attrs.items()},
                "segments_shape": list(seg.shape), "segments_dtype": str(seg.dtype),
                "columns": list(seg.attrs["columns"]), "units": list(seg.attrs["units"]),
                "filters": [seg.compression, bool(seg.shuffle)],
                "chunked": seg.chunks is not None,
                "names": f["/names/segments"].asstr()[:].tolist(),
                "states": f["/names/states"].asstr()[:].tolist(),
                "daily_customers": (daily["active"] + daily["new"]).tolist(),
                "daily_day": daily["day"].tolist(),
                "revenue_total": int(seg[:, :, list(seg.attrs["columns"]).index(
                    "revenue_cents")].sum()),
                "tiers_shape": list(f["/kpis/tiers"].shape),
                "snapshots": sorted(f["/snapshots"].keys()),
                "snapshot_state": f["/snapshots/day_00050/state"][:10].tolist(),
                "events": {k: len(f["/events"][k]) for k in f["/events"]},
                "event_kinds": list(f["/events"].attrs["kinds"]),
            }))
    """, out)
    attrs = found["attrs"]
    assert attrs["format"] == "crmsim-results"
    assert attrs["format_version"] == _core.results_format_version == 1
    assert attrs["crmsim_version"] == crmsim.__version__
    assert attrs["git_commit"] == _core.git_commit
    assert (attrs["seed"], attrs["days"], attrs["threads"], attrs["agents"]) == (4, 50, 2, 4000)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attrs["start_time"])
    assert attrs["start_date"] == "2027-01-01"
    assert crmsim.Scenario.from_yaml_text(attrs["scenario_yaml"]) == live.scenario
    assert found["segments_shape"] == [51, 3, len(_core.Simulation.kpi_columns)]
    assert found["segments_dtype"] == "int64"
    assert found["columns"] == list(_core.Simulation.kpi_columns)
    assert found["units"][found["columns"].index("revenue_cents")] == "cents"
    assert found["filters"] == ["gzip", True] and found["chunked"]
    assert found["names"] == live.scenario.segments
    assert found["states"] == list(_core.Simulation.state_names)
    assert found["daily_day"] == list(range(51))
    assert found["daily_customers"] == (live.kpis["active"] + live.kpis["new"]).tolist()
    assert found["revenue_total"] == round(live.kpis["revenue"].sum() * 100)
    assert found["tiers_shape"][:2] == [51, 3]
    assert found["snapshots"] == ["day_00000", "day_00020", "day_00040", "day_00050"]
    assert found["snapshot_state"] == live.agents["state"][:10].tolist()
    assert set(found["events"].values()) == {len(live.events)}
    assert found["event_kinds"] == list(_core.event_kind_names)


def test_the_crmsim_package_never_loads_h5py(written):
    _, out = written
    found = in_fresh_python("""
        import json, sys
        import crmsim
        crmsim.load(sys.argv[1]).agents
        print(json.dumps("h5py" in sys.modules))
    """, out)
    assert found is False


# -- bad input -----------------------------------------------------------------

def load_error(path) -> str:
    with pytest.raises(crmsim.ResultsFileError) as info:
        crmsim.load(path)
    message = str(info.value)
    assert os.path.basename(str(path)) in message
    return message


def test_bad_files_give_clear_errors_and_hdf5_prints_nothing(small_run, tmp_path, capfd):
    assert "no such file" in load_error(tmp_path / "missing.h5")
    (tmp_path / "notes.h5").write_text("day,customers\n0,100\n")
    assert "not an HDF5 file" in load_error(tmp_path / "notes.h5")
    assert "is a folder" in load_error(tmp_path)
    good = tmp_path / "good.h5"
    small_run.save(good)
    data = good.read_bytes()
    (tmp_path / "truncated.h5").write_bytes(data[: len(data) // 2])
    assert "truncated" in load_error(tmp_path / "truncated.h5")
    (tmp_path / "stub.h5").write_bytes(data[:1000])
    assert "truncated" in load_error(tmp_path / "stub.h5")
    out, err = capfd.readouterr()
    assert err == "" and out == ""  # HDF5's own error stack is silenced


def test_a_scenario_text_cut_short_is_refused(written, tmp_path):
    # Found by fuzzing crmsim.load: a zero byte in the stored scenario text
    # ends it there (HDF5 strings are C strings); what was left still loaded
    # as a scenario with fewer campaigns, and Result.campaigns failed in pandas.
    # The engine now checks the text against a digest kept in a checksummed
    # header.
    _, out = written
    data = out.read_bytes()
    second = crmsim.load(out).scenario.campaigns[1]
    at = data.find(f"- name: {second}\n".encode())
    assert at > 0
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[:at] + b"\0" + data[at + 1:])
    assert "its scenario text (attribute 'scenario_yaml') does not match the digest" in \
        load_error(cut)


@needs_h5py
def test_without_a_digest_the_scenario_must_still_match_the_tables(written, tmp_path):
    # Files written before the digest existed: the names of every table are
    # compared with the scenario's.
    _, out = written
    data = out.read_bytes()
    second = crmsim.load(out).scenario.campaigns[1]
    at = data.find(f"- name: {second}\n".encode())
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[:at] + b"\0" + data[at + 1:])
    in_fresh_python("""
        import sys, h5py
        with h5py.File(sys.argv[1], "r+") as f:
            del f.attrs["scenario_yaml_fnv1a64"]
        print("{}")
    """, cut)
    assert "its scenario does not match its tables (campaigns" in load_error(cut)


def test_a_checkpoint_is_not_a_results_file(tmp_path):
    crmsim.run(BASELINE, seed=1, days=20, population=2000, out=tmp_path / "r.h5",
               checkpoint_every=10)
    message = load_error(tmp_path / "r.ckpt.h5")
    assert "crmsim-checkpoint" in message and "resume" in message


@needs_h5py
def test_foreign_and_newer_files_are_refused(small_run, tmp_path):
    small_run.save(tmp_path / "newer.h5", agents=False)
    in_fresh_python("""
        import json, sys
        import h5py, numpy as np
        with h5py.File(sys.argv[1], "w") as f:
            f["x"] = np.arange(3)
            f.attrs["format"] = "somebody-else"
        with h5py.File(sys.argv[2], "w") as f:
            f["x"] = np.arange(3)
        with h5py.File(sys.argv[3], "r+") as f:
            f.attrs["format_version"] = np.int64(7)
        print("null")
    """, tmp_path / "other.h5", tmp_path / "plain.h5", tmp_path / "newer.h5")
    assert "not a crmsim-results file" in load_error(tmp_path / "other.h5")
    assert "not a crmsim file" in load_error(tmp_path / "plain.h5")
    message = load_error(tmp_path / "newer.h5")
    assert "format version 7" in message and "upgrade crmsim" in message


# -- arguments and failures --------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    ({"out": "r.txt"}, ValueError, "out must end in .h5, .hdf5, .csv, .parquet"),
    ({"out": "missing/r.h5"}, ValueError, "out: folder"),
    ({"out": "r.csv", "snapshot_every": 5}, ValueError, "snapshot_every needs an HDF5"),
    ({"out": "r.h5", "snapshot_every": 0}, ValueError, "at least 1 day"),
    ({"out": "r.h5", "snapshot_every": 5, "snapshot_columns": ["nope"]}, ValueError,
     "unknown agent column(s) 'nope'"),
    ({"out": "r.h5", "snapshot_columns": ["state"]}, ValueError, "needs snapshot_every"),
    ({"out": "r.h5", "events": 1.5}, ValueError, "events must be a share"),
    ({"out": "r.h5", "events": True}, TypeError, "events must be a share"),
    ({"events": 0.5}, ValueError, "events needs an HDF5"),
    ({"checkpoint_every": 5}, ValueError, "checkpoint_every needs checkpoint"),
    ({"out": "r.h5", "checkpoint": "c.h5"}, ValueError, "checkpoint needs checkpoint_every"),
])
def test_bad_file_arguments_are_refused_before_running(tmp_path, monkeypatch, kwargs, error,
                                                       message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=re.escape(message)):
        crmsim.run(BASELINE, days=5, population=1000, **kwargs)
    assert os.listdir(tmp_path) == []


def test_an_error_during_the_run_leaves_no_file(small_run, tmp_path, monkeypatch):
    out = tmp_path / "r.h5"
    small_run.save(out, agents=False)
    before = out.read_bytes()
    calls = []

    def failing(self, sim):
        calls.append(sim.day)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, sim)

    original = RunOutputs.after_block
    monkeypatch.setattr(RunOutputs, "after_block", failing)
    with pytest.raises(KeyboardInterrupt):
        crmsim.run(BASELINE, days=200, population=2000, out=out, snapshot_every=10)
    assert len(calls) == 3
    assert sorted(os.listdir(tmp_path)) == ["r.h5"]  # the temporary file is gone
    assert out.read_bytes() == before                 # the earlier file is untouched


def test_cli_writes_hdf5_with_snapshots_and_events(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "crmsim", "run", str(BASELINE), "--population", "3000",
         "--days", "30", "--seed", "5", "--out", "r.h5", "--snapshot-every", "10",
         "--snapshot-columns", "state,revenue_cents", "--events", "0.5"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "wrote r.h5 (31 rows: days 0 to 30)" in done.stderr
    back = crmsim.load(tmp_path / "r.h5")
    expected = crmsim.run(BASELINE, seed=5, days=30, population=3000)
    pdt.assert_frame_equal(back.kpis, expected.kpis)
    assert list(back.agents) == ["state", "revenue_cents"]
    assert back._sim.snapshot_days == [0, 10, 20, 30]
    assert 0 < len(back.events)
    assert sorted(os.listdir(tmp_path)) == ["r.h5"]


@pytest.mark.parametrize("args, message", [
    (["--out", "r.csv", "--events", "0.5"], "--events needs an HDF5 results file (--out ending"),
    (["--checkpoint-every", "5"], "--checkpoint-every needs --checkpoint"),
    (["--out", "r.h5", "--snapshot-every", "5", "--snapshot-columns", "nope"],
     "--snapshot-columns: unknown agent column(s) 'nope'"),
])
def test_cli_refuses_bad_file_options_with_option_names(tmp_path, args, message):
    done = subprocess.run([sys.executable, "-m", "crmsim", "run", str(BASELINE), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.startswith(f"crmsim: error: {message}"), done.stderr
    assert os.listdir(tmp_path) == []
