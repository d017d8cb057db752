"""The README's two commands: `make demo` and `make test` install what is
missing and otherwise go straight to the work."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import readme_blocks

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


def _planned(*args):
    dry = _make("-n", *args)
    assert dry.returncode == 0, dry.stderr
    return [line for line in dry.stdout.splitlines() if line.strip()]


def test_demo_on_a_fresh_machine_bootstraps_installs_then_runs():
    # -W: as if scripts/bootstrap.sh were new, which is what a fresh clone
    # (no .venv/.bootstrapped) looks like to make.
    assert _planned("-W", "scripts/bootstrap.sh", "demo") == [
        "bash scripts/bootstrap.sh",
        "touch .venv/.bootstrapped",
        '.venv/bin/python -m pip install --quiet --no-build-isolation ".[test]"',
        "touch .venv/.crmsim-installed",
        ".venv/bin/crmsim run scenarios/baseline.yaml",
    ]


@pytest.mark.parametrize("changed", ["engine/src/rng.cpp", "python/src/bind_simulation.cpp",
                                     "python/crmsim/cli.py", "pyproject.toml"])
def test_demo_after_a_source_change_reinstalls_without_bootstrapping(changed):
    assert _planned("-W", changed, "demo") == [
        '.venv/bin/python -m pip install --quiet --no-build-isolation ".[test]"',
        "touch .venv/.crmsim-installed",
        ".venv/bin/crmsim run scenarios/baseline.yaml",
    ]


def test_test_on_a_fresh_machine_bootstraps_then_runs_cpp_and_python_tests():
    plan = _planned("-W", "scripts/bootstrap.sh", "test")
    assert plan[0] == "bash scripts/bootstrap.sh"
    assert plan.count("bash scripts/bootstrap.sh") == 1

    def first(marker):
        found = [k for k, line in enumerate(plan) if marker in line]
        assert found, f"make test does not run {marker!r}: {plan}"
        return found[0]

    first("ctest --output-on-failure")
    assert first("pip install") < first("-m pytest tests/python tests/validation")


def test_demo_prints_the_baseline_summary_the_readme_shows():
    done = _make("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Customers" in out and "Revenue" in out, out
    assert "pip install" not in out and "bootstrap" not in out
    # The README's walk-through shows the start of this output; only the
    # "Run" line (threads and seconds) depends on the machine.
    shown = readme_blocks("A walk through a scenario", "text")[0].splitlines()
    printed = out.splitlines()
    assert shown[-1] == "..."
    for line in shown[:-1]:
        if not line.startswith("  Run "):
            assert line in printed, f"README.md shows {line!r}; make demo prints:\n{out}"


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


def test_ci_calls_make_test_and_nothing_else():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    # Shell settings and moving to the checkout's root are not work of their own.
    assert commands == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "make test"]
