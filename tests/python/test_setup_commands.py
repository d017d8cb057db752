"""The README's two commands: `make demo` and `make test` install what is
missing and otherwise go straight to the work."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / "Makefile").exists(),
    reason="needs the source tree and make",
)


def _make(*args, timeout=600):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env,
    )


def test_demo_skips_installation_when_everything_is_there():
    # `make test` installed the package before running these tests, so a dry
    # run of `make demo` must show the scenario run and nothing else.
    dry = _make("-n", "demo")
    assert dry.returncode == 0, dry.stderr
    commands = [line for line in dry.stdout.splitlines() if line.strip()]
    assert commands == [".venv/bin/crmsim run scenarios/baseline.yaml"], dry.stdout


def test_demo_prints_the_baseline_summary():
    done = _make("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Customers" in out and "Revenue" in out, out
    assert "pip install" not in out and "bootstrap" not in out


def test_bootstrap_is_quick_and_silent_when_everything_is_installed():
    done = subprocess.run(
        ["bash", "scripts/bootstrap.sh"], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stdout, done.stdout
    assert "creating .venv" not in done.stdout, done.stdout


def test_test_target_runs_cpp_and_python_tests():
    dry = _make("-n", "test-cpp")
    assert dry.returncode == 0, dry.stderr
    assert "ctest" in dry.stdout
    dry = _make("-n", "test-python")
    assert dry.returncode == 0, dry.stderr
    assert "-m pytest tests/python" in dry.stdout


def test_ci_calls_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in commands
