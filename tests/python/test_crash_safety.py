"""A run killed with SIGKILL while writing its results file leaves an earlier
file of that name intact and never a half file under the final name."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import BASELINE

import crmsim

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def test_sigkill_mid_run_leaves_the_earlier_file_intact(small_run, tmp_path):
    out = tmp_path / "out.h5"
    small_run.save(out, agents=False)
    earlier = out.read_bytes()

    # 50,000 people for 100 years with a snapshot every 30 days: minutes of
    # work, so it is surely killed mid-way.
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmsim", "run", str(BASELINE), "--population", "50000",
         "--days", "36500", "--threads", "1", "--out", "out.h5", "--snapshot-every", "30"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL)
    temp = tmp_path / f"out.h5.tmp-{proc.pid}"
    try:
        # Wait until the temporary file exists and has grown past a few snapshots.
        deadline = time.monotonic() + 90
        sizes = []
        while time.monotonic() < deadline and proc.poll() is None:
            if temp.exists():
                sizes.append(temp.stat().st_size)
                if sizes[-1] > 1_000_000 and sizes[-1] > sizes[0]:
                    break
            time.sleep(0.01)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert sizes and sizes[-1] > sizes[0], "the temporary file did not grow"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    # The final name still holds the earlier file, byte for byte, and loads.
    assert out.read_bytes() == earlier
    assert crmsim.load(out).days == 60
    # Nothing else appeared under the final name; the killed run's temporary
    # file is the only other file.
    assert sorted(os.listdir(tmp_path)) == sorted(["out.h5", temp.name])

    # The leftover temporary file is refused clearly (in a separate process,
    # in case a half-written file could crash HDF5): never mistaken for a result.
    done = subprocess.run(
        [sys.executable, "-c",
         "import json, sys, crmsim\n"
         "try:\n    crmsim.load(sys.argv[1]); print(json.dumps('loaded'))\n"
         "except crmsim.ResultsFileError as e:\n    print(json.dumps(str(e)))\n",
         str(temp)], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    message = json.loads(done.stdout)
    assert message != "loaded"
    assert temp.name in message


def test_a_full_disk_fails_cleanly_and_never_replaces_the_earlier_file(small_run, tmp_path):
    out = tmp_path / "out.h5"
    small_run.save(out, agents=False)
    earlier = out.read_bytes()
    # A file size limit stands in for a full disk: writes past 200 kB fail
    # (EFBIG) in the child process, as they would with ENOSPC.
    done = subprocess.run(
        [sys.executable, "-c",
         "import json, resource, signal, sys, crmsim\n"
         "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
         "resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))\n"
         "try:\n"
         "    crmsim.run(sys.argv[1], days=60, population=20000, out=sys.argv[2],\n"
         "               snapshot_every=5)\n"
         "    print(json.dumps('written'))\n"
         "except crmsim.ResultsFileError as e:\n"
         "    print(json.dumps(str(e)))\n",
         str(BASELINE), str(out)], capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # HDF5 printed nothing
    message = json.loads(done.stdout)
    assert message != "written"
    assert "out.h5" in message and "cannot" in message
    assert out.read_bytes() == earlier
    assert os.listdir(tmp_path) == ["out.h5"]  # the temporary file was removed
