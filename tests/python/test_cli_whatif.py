"""`crmsim sweep` and `crmsim compare`, run as a user runs them: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pandas.testing as pdt
from conftest import BASELINE

import crmsim

SMALL = ["--population", "2000", "--days", "60"]
CHURN = "segments.young_urban.churn.annual_rate"


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Runs `python -m crmsim ARGS`; stdin closed, output captured as text."""
    return subprocess.run([sys.executable, "-m", crmsim.__name__, *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_sweep_on_a_local_cluster_writes_the_table(tmp_path):
    (tmp_path / "grid.yaml").write_text(f"{CHURN}: [0.30, 0.34]\n"
                                        "lifecycle.welcome_days: {low: 30, high: 120}\n")
    done = cli("sweep", BASELINE, "--grid", "grid.yaml", "--samples", "2", "-r", "2",
               *SMALL, "--workers", "2", "--out", "sweep.parquet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("8 runs (0 failed) of 4 points x 2 replications; "
                                  "mean per point:\n")
    assert "wrote sweep.parquet (8 rows: one per run)" in done.stderr
    table = pd.read_parquet(tmp_path / "sweep.parquet")
    expected = crmsim.sweep(BASELINE, {CHURN: [0.30, 0.34]},
                            ranges={"lifecycle.welcome_days": (30, 120)}, samples=2,
                            replications=2, population=2000, days=60, client="serial",
                            progress=False)
    pdt.assert_frame_equal(table.drop(columns="seconds"), expected.drop(columns="seconds"),
                           check_exact=True)
    assert sorted(os.listdir(tmp_path)) == ["grid.yaml", "sweep.parquet"]


def test_sweep_writes_an_hdf5_file(tmp_path):
    (tmp_path / "grid.yaml").write_text(f"{CHURN}: [0.30, 0.34]\n")
    done = cli("sweep", BASELINE, "--grid", "grid.yaml", "-r", "2", *SMALL,
               "--scheduler", "serial", "--out", "sweep.h5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote sweep.h5 (4 rows: one per run)" in done.stderr
    table = crmsim.load_sweep(tmp_path / "sweep.h5")
    expected = crmsim.sweep(BASELINE, {CHURN: [0.30, 0.34]}, replications=2, population=2000,
                            days=60, client="serial", progress=False)
    pdt.assert_frame_equal(table.drop(columns="seconds"), expected.drop(columns="seconds"),
                           check_exact=True)
    assert table.attrs["scenario_yaml"] == expected.attrs["scenario_yaml"]
    assert sorted(os.listdir(tmp_path)) == ["grid.yaml", "sweep.h5"]


def test_sweep_with_a_bad_path_fails_before_running(tmp_path):
    (tmp_path / "grid.yaml").write_text("segments.young.churn.annual_rate: [0.3]\n")
    done = cli("sweep", BASELINE, "--grid", "grid.yaml", "--scheduler", "serial",
               "--out", "sweep.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"{BASELINE}: override 'segments.young.churn.annual_rate' = 0.3: segments has no item "
        "named 'young' (did you mean 'young_urban'? names: 'young_urban', 'families', "
        "'seniors')\n")
    assert sorted(os.listdir(tmp_path)) == ["grid.yaml"]


def test_sweep_ranges_need_samples(tmp_path):
    (tmp_path / "grid.yaml").write_text(f"{CHURN}: {{low: 0.2, high: 0.4}}\n")
    done = cli("sweep", BASELINE, "--grid", "grid.yaml", "--scheduler", "serial", cwd=tmp_path)
    assert done.returncode == 2
    assert "say how many points to draw with --samples N" in done.stderr


def test_compare_with_set_prints_the_planner_table(tmp_path):
    done = cli("compare", BASELINE, "--set", f"{CHURN}=0.30", "-r", "4", *SMALL,
               "--metric", "customers:final", "--metric", "defections:sum",
               "--out", "diff.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith(f"B: Streaming subscription, baseline with {CHURN}=0.30")
    assert lines[2] == ("4 paired runs (seeds 0 to 3, common random numbers), 2,000 people, "
                        "60 days.")
    assert lines[4].split() == ["A", "B", "B", "-", "A", "95%", "interval", "change", "reading"]
    assert lines[5].startswith("customers at the end")
    assert lines[6].startswith("total defections") and lines[6].endswith("B lower")
    back = pd.read_csv(tmp_path / "diff.csv")
    assert back["metric"].tolist() == ["customers:final", "defections:sum"]


def test_compare_writes_tables_only(tmp_path):
    done = cli("compare", BASELINE, "--set", f"{CHURN}=0.30", "-r", "3", "--out", "diff.h5",
               cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "crmsim: error: out must end in .parquet or .csv, got 'diff.h5'\n"
    assert os.listdir(tmp_path) == []


def test_compare_two_files(tmp_path):
    alt = tmp_path / "alt.yaml"
    alt.write_text(BASELINE.read_text().replace("annual_rate: 0.32", "annual_rate: 0.30"))
    done = cli("compare", BASELINE, alt, "-r", "3", *SMALL, "--metric", "revenue:sum")
    assert done.returncode == 0, done.stderr
    assert "total revenue" in done.stdout


def test_compare_needs_b_or_a_change():
    done = cli("compare", BASELINE, "-r", "3")
    assert done.returncode == 2
    assert "give B.yaml, or --set PATH=VALUE" in done.stderr


def test_compare_reports_a_bad_value_like_the_loader():
    done = cli("compare", BASELINE, "--set", f"{CHURN}=1.5", "-r", "3")
    assert done.returncode == 2
    assert done.stderr == (f"{BASELINE}: segments[0].churn.annual_rate: must be between 0 and "
                           f"1, got 1.5 (override '{CHURN}')\n")


def test_help_lists_the_new_commands():
    done = cli("--help")
    assert "sweep" in done.stdout and "compare" in done.stdout
