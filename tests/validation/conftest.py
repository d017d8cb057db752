"""Validation against closed forms and published data: shared helpers and the report.

Each check compares simulated figures with a closed form (or published
data) and allows a tolerance of a stated number of standard errors. The
measured deviations are collected and printed after the tests (set
CRMSIM_VALIDATION_REPORT=FILE to also write them as JSON), so that every run
shows how close the engine came, not only that it passed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


@dataclass
class Row:
    check: str
    quantity: str
    simulated: float
    reference: float
    deviation: float
    tolerance: float
    ok: bool


_ROWS: list[Row] = []
_PERTURBED: list[Checker] = []


class Checker:
    """Compares simulated values with references within tolerances, and records each row."""

    def __init__(self, check: str, record: bool = True):
        self.check = check
        self.record = record
        self.rows: list[Row] = []
        if not record:  # a perturbed engine: reported by how far it misses
            _PERTURBED.append(self)

    def compare(self, quantity: str, simulated, reference, tolerance) -> None:
        for q, s, r, t in zip(np.atleast_1d(quantity), np.atleast_1d(simulated),
                              np.atleast_1d(reference), np.atleast_1d(tolerance)):
            row = Row(self.check, str(q), float(s), float(r), float(s - r), float(t),
                      bool(abs(s - r) <= t))
            self.rows.append(row)
            if self.record:
                _ROWS.append(row)

    @property
    def passed(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def worst(self) -> float:
        """Largest |deviation| / tolerance of the rows (above 1: the check fails)."""
        return max(abs(row.deviation) / row.tolerance for row in self.rows)

    def failures(self) -> str:
        return "\n".join(f"{r.quantity}: simulated {r.simulated:.6g}, reference {r.reference:.6g}, "
                         f"deviation {r.deviation:+.3g} beyond tolerance {r.tolerance:.3g}"
                         for r in self.rows if not r.ok)


@pytest.fixture
def checker():
    """checker(name) -> a Checker whose rows go to the validation report."""
    return lambda name, record=True: Checker(name, record)


def pytest_terminal_summary(terminalreporter):
    if not _ROWS:
        return
    tr = terminalreporter
    tr.section("validation: simulated vs closed form / published (tolerance: SE x factor, or the "
               "requirement)")
    tr.write_line(f"{'check':<36} {'quantity':<26} {'simulated':>12} {'reference':>12} "
                  f"{'deviation':>11} {'tolerance':>10}")
    for r in _ROWS:
        tr.write_line(f"{r.check:<36.36} {r.quantity:<26.26} {r.simulated:12.6g} "
                      f"{r.reference:12.6g} {r.deviation:+11.3g} {r.tolerance:10.3g}"
                      f"{'' if r.ok else '  FAIL'}")
    if _PERTURBED:
        tr.write_line("")
        tr.write_line("perturbed engine (or fit): largest |deviation| / tolerance "
                      "(above 1 = caught)")
        for c in _PERTURBED:
            tr.write_line(f"  {c.check:<60} {c.worst:8.1f}")
    out = os.environ.get("CRMSIM_VALIDATION_REPORT")
    if out:
        Path(out).write_text(json.dumps({
            "checks": [asdict(r) for r in _ROWS],
            "perturbed": [{"check": c.check, "worst": c.worst} for c in _PERTURBED]},
            indent=1), encoding="utf-8")
