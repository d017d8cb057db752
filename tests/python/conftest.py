"""Shared fixtures: paths, a small valid scenario, and small runs of the baseline."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Every run in the tests checks the engine's invariants at the end of every
# day (an InvariantError fails the test): set before crmsim is imported, and
# inherited by the CLI subprocesses and Dask workers the tests start.
# CRMSIM_CHECKS=0 in the environment runs the suite without the checks.
os.environ.setdefault("CRMSIM_CHECKS", "1")

import crmsim  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
README = ROOT / "README.md"


def readme_blocks(section: str, language: str) -> list[str]:
    """The fenced code blocks in ``language`` under the README heading ``## section``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", text[start:end], re.M | re.S)
    assert blocks, f"README.md: no {language} block under '## {section}'"
    return blocks

#: A small valid scenario as YAML text: two segments, most fields left to defaults.
SMALL_YAML = """\
name: Small test market
start_date: 2027-01-01
days: 30
segments:
  - name: young
    market_size: 1000
    initial: {new: 20, active: 200, lapsed: 10}
    acquisition: {innovation_per_year: 0.05, imitation_per_year: 0.4, enquiry_share: 0.5}
    churn: {annual_rate: 0.3, polarization: 0.3}
    purchases: {per_year: 12, spend_mean: 15.0}
  - name: old
    market_size: 500
    acquisition: {innovation_per_year: 0.02, imitation_per_year: 0.2}
    churn: {annual_rate: 0.2}
    purchases: {per_year: 12, spend_mean: 10.0}
    problems: {per_year: 1.0}
"""


@pytest.fixture
def small_dict() -> dict:
    """SMALL_YAML as a dict (start_date as text), fresh for each test."""
    import yaml

    d = yaml.safe_load(SMALL_YAML)
    d["start_date"] = d["start_date"].isoformat()
    return copy.deepcopy(d)


@pytest.fixture(scope="session")
def baseline() -> crmsim.Scenario:
    """The shipped baseline scenario, full size."""
    return crmsim.Scenario.load(BASELINE)


@pytest.fixture(scope="session")
def small_run() -> crmsim.Result:
    """The baseline at 5,000 people for 60 days, seed 1: quick, every flow present."""
    return crmsim.run(BASELINE, seed=1, days=60, population=5000)


#: For tests that read files with h5py (a dependency of crmsim, kept out of its process).
needs_h5py = pytest.mark.skipif(importlib.util.find_spec("h5py") is None,
                                reason="h5py is a dependency of crmsim: pip install h5py")


def in_fresh_python(code: str, *args: object) -> object:
    """Runs `code` in a new Python process and returns the JSON it prints.

    h5py bundles its own libhdf5, so it runs apart from the engine's.
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
