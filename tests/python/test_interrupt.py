"""Ctrl-C: a run stops within a second however large its population, and
leaves no output file behind (HDF5, CSV, Parquet), nor a half checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import BASELINE

import crmsim
from crmsim import _core

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("out, extra", [
    ("run.h5", ["--snapshot-every", "365"]),
    ("kpis.csv", []),
    ("kpis.parquet", []),
    ("run.h5", ["--checkpoint-every", "100000"]),
])
def test_sigint_stops_the_cli_within_two_seconds_and_writes_nothing(tmp_path, out, extra):
    # 1,000,000 people for 100 years: many minutes of work, in blocks of a
    # year (about 20 seconds each here), so that waiting for the end of a
    # block would take far longer than the 2 seconds allowed.
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmsim", "run", str(BASELINE), "--population", "1000000",
         "--days", "36500", "--threads", "2", "--progress", "--out", out, *extra],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    err = bytearray()
    reader = threading.Thread(target=lambda: err.extend(proc.stderr.read()), daemon=True)
    try:
        # The progress bar appears when the population is built and the days begin.
        first = proc.stderr.read(1)
        reader.start()
        assert first, "the run ended before it started"
        time.sleep(1.0)  # well into the first block of days
        assert proc.poll() is None
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
        if reader.ident is not None:
            reader.join(timeout=10)
        proc.stderr.close()
    text = (first + bytes(err)).decode(errors="replace")
    assert proc.returncode == 130, text
    assert took < 2.0, f"exited {took:.2f} s after SIGINT"
    assert text.rstrip().endswith("crmsim: interrupted")
    assert "Traceback" not in text
    assert os.listdir(tmp_path) == [], "an interrupted run left files behind"


def test_keyboard_interrupt_reaches_python_within_a_second(baseline, tmp_path):
    out = tmp_path / "run.h5"
    sent = []

    def interrupt():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.0, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            crmsim.run(baseline, population=1_000_000, days=36_500, threads=2, out=out)
        took = time.monotonic() - sent[0]
    finally:
        timer.cancel()
    assert took < 1.0, f"KeyboardInterrupt came {took:.2f} s after SIGINT"
    assert os.listdir(tmp_path) == []


def test_a_simulation_stopped_mid_day_refuses_to_go_on(baseline):
    sim = _core.Simulation(baseline.scaled(1_000_000).with_days(36_500).engine_dict(), threads=2)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sim.advance(36_500)
    finally:
        timer.cancel()
    day = sim.day
    assert 0 < day < 36_500
    # Stopped between days it goes on; stopped inside a day it refuses.
    try:
        sim.advance(1)
        assert sim.day == day + 1
    except _core.UsageError as e:
        assert f"stopped in the middle of day {day + 1}" in str(e)
