"""Checkpoints and resume: an interrupted run, finished from its checkpoint,
gives exactly what an uninterrupted run gives, whatever the thread counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas.testing as pdt
import pytest
from conftest import BASELINE

import crmsim
from crmsim import _core

RUN = dict(seed=9, days=120, population=20000)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    result = crmsim.run(BASELINE, threads=3, out=folder / "whole.h5", snapshot_every=40, **RUN)
    return result, crmsim.load(folder / "whole.h5")


def assert_same_run(a: crmsim.Result, b: crmsim.Result) -> None:
    pdt.assert_frame_equal(a.kpis, b.kpis)
    pdt.assert_frame_equal(a.segment_kpis, b.segment_kpis)
    for raw in ("kpis", "campaign_kpis", "measurement_buckets", "tier_kpis"):
        np.testing.assert_array_equal(getattr(a._sim, raw), getattr(b._sim, raw), err_msg=raw)
    assert a._sim.campaign_spent_micros == b._sim.campaign_spent_micros
    assert set(a.agents) == set(b.agents)
    for name in a.agents:
        np.testing.assert_array_equal(a.agents[name], b.agents[name], err_msg=name)


def test_resume_finishes_the_run_bit_identically(uninterrupted, tmp_path):
    whole, whole_file = uninterrupted
    out = tmp_path / "r.h5"
    first = crmsim.run(BASELINE, threads=1, out=out, snapshot_every=40, checkpoint_every=50, **RUN)
    assert_same_run(first, whole)  # writing checkpoints does not change the run
    checkpoint = tmp_path / "r.ckpt.h5"
    assert sorted(os.listdir(tmp_path)) == ["r.ckpt.h5", "r.h5"]
    ck = _core.Checkpoint(str(checkpoint))
    assert (ck.day, ck.seed, ck.days, ck.threads) == (100, 9, 120, 1)  # the last one before 120
    assert crmsim.Scenario.from_yaml_text(ck.scenario_yaml) == whole.scenario

    resumed = crmsim.resume(checkpoint, out=tmp_path / "resumed.h5", threads=2)
    assert_same_run(resumed, whole)
    loaded = crmsim.load(tmp_path / "resumed.h5")
    assert_same_run(loaded, whole_file)
    # Snapshots go on from the checkpoint's day, as the interrupted run recorded them.
    assert loaded._sim.written_from_day == 100
    assert loaded._sim.snapshot_days == [120]


def test_resume_by_default_writes_the_file_the_run_was_writing(uninterrupted, tmp_path):
    whole, _ = uninterrupted
    checkpoint = tmp_path / "c.h5"
    crmsim.run(BASELINE, threads=2, out=tmp_path / "kpis.csv", checkpoint_every=30,
               checkpoint=checkpoint, **RUN)
    os.remove(tmp_path / "kpis.csv")
    resumed = crmsim.resume(checkpoint)
    pdt.assert_frame_equal(resumed.kpis, whole.kpis)
    assert (tmp_path / "kpis.csv").exists()
    assert crmsim.resume(checkpoint, out=None).days == 120


def test_a_killed_cli_run_resumes_to_the_same_result(uninterrupted, tmp_path):
    whole, whole_file = uninterrupted
    command = [sys.executable, "-m", "crmsim", "run", str(BASELINE), "--seed", "9",
               "--days", "120", "--population", "20000", "--threads", "2", "--out", "r.h5",
               "--snapshot-every", "40", "--checkpoint-every", "10"]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "r.ckpt.h5").exists() and time.monotonic() < deadline:
            time.sleep(0.002)
        killed_mid_run = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert (tmp_path / "r.ckpt.h5").exists()
    assert killed_mid_run
    assert not (tmp_path / "r.h5").exists()  # only its temporary file
    done = subprocess.run([sys.executable, "-m", "crmsim", "resume", "r.ckpt.h5", "--threads",
                           "1"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr and "r.h5" in done.stderr
    back = crmsim.load(tmp_path / "r.h5")
    pdt.assert_frame_equal(back.kpis, whole.kpis)
    np.testing.assert_array_equal(back._sim.tier_kpis, whole_file._sim.tier_kpis)
    for name in whole.agents:
        np.testing.assert_array_equal(back.agents[name], whole.agents[name], err_msg=name)


def test_resume_refuses_files_that_are_not_checkpoints(small_run, tmp_path):
    small_run.save(tmp_path / "r.h5")
    with pytest.raises(crmsim.ResultsFileError,
                       match="crmsim-results file, not a crmsim-checkpoint"):
        crmsim.resume(tmp_path / "r.h5")
    (tmp_path / "x.ckpt.h5").write_text("not hdf5")
    with pytest.raises(crmsim.ResultsFileError, match="x.ckpt.h5: is not an HDF5 file"):
        crmsim.resume(tmp_path / "x.ckpt.h5")
    with pytest.raises(crmsim.ResultsFileError, match="no such file"):
        crmsim.resume(tmp_path / "missing.ckpt.h5")


def test_a_checkpoint_of_another_scenario_is_refused(tmp_path):
    scenario = crmsim.Scenario.load(BASELINE).scaled(2000).with_days(30)
    sim = _core.Simulation(scenario.engine_dict(), seed=1, threads=2)
    sim.advance(10)
    path = str(tmp_path / "c.h5")
    other = scenario.scaled(2100)  # the YAML inside says 2,100 people; the state has 2,000
    _core.write_checkpoint(sim, path, other.to_yaml())
    with pytest.raises(crmsim.ResultsFileError, match="does not match the scenario.*agents"):
        crmsim.resume(path)


def test_a_checkpoint_serves_one_resume(tmp_path):
    scenario = crmsim.Scenario.load(BASELINE).scaled(2000).with_days(30)
    sim = _core.Simulation(scenario.engine_dict(), seed=1, threads=2)
    sim.advance(10)
    path = str(tmp_path / "c.h5")
    _core.write_checkpoint(sim, path, scenario.to_yaml())
    ck = _core.Checkpoint(path)
    resumed = _core.Simulation(scenario.engine_dict(), seed=1, checkpoint=ck)
    assert resumed.day == 10 and ck.used
    with pytest.raises(_core.UsageError, match="already used"):
        _core.Simulation(scenario.engine_dict(), seed=1, checkpoint=ck)


def test_scenario_yaml_round_trips(baseline):
    assert crmsim.Scenario.from_yaml_text(baseline.to_yaml()) == baseline
    scaled = baseline.scaled(1234).with_days(77)
    assert crmsim.Scenario.from_yaml_text(scaled.to_yaml()) == scaled
