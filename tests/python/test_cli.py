"""The crmsim command line, run as a user runs it: `python -m crmsim ...` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pandas.testing as pdt
import pytest
from conftest import BASELINE

import crmsim

SMALL = ["--population", "3000", "--days", "30", "--seed", "5"]


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Runs `python -m crmsim ARGS`; stdin closed, output captured as text."""
    return subprocess.run([sys.executable, "-m", crmsim.__name__, *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_validate_ok(tmp_path):
    done = cli("validate", BASELINE)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{BASELINE}: OK (3 segments, 200,000 people, 730 days)\n"
    assert done.stderr == ""


def test_validate_reports_every_error_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASELINE.read_text()
                   .replace("annual_rate: 0.18", "annual_rate: 1.8")
                   .replace("  - name: families", "  - name: young_urban"))
    done = cli("validate", "bad.yaml", BASELINE, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        # The renamed segment is still named in the email channel's responses.
        "bad.yaml: channels[0].base_response: unknown segment 'families' (known: young_urban, "
        "seniors, default)",
        "bad.yaml: segments[1].name: duplicate segment name 'young_urban', already used by "
        "segments[0]",
        "bad.yaml: segments[2].churn.annual_rate: must be between 0 and 1, got 1.8",
    ]
    assert done.stdout == f"{BASELINE}: OK (3 segments, 200,000 people, 730 days)\n"


def test_run_prints_the_summary_and_writes_csv(tmp_path):
    done = cli("run", BASELINE, *SMALL, "--out", "kpis.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = crmsim.run(BASELINE, seed=5, days=30, population=3000)
    # The summary is the API's, except the run time.
    strip_time = lambda text: [line for line in text.splitlines() if "  Run " not in line]  # noqa: E731
    assert strip_time(done.stdout) == strip_time(expected.summary())
    assert "Customers" in done.stdout and "Revenue" in done.stdout
    assert "wrote kpis.csv (31 rows: days 0 to 30)" in done.stderr
    back = pd.read_csv(tmp_path / "kpis.csv", index_col="day", parse_dates=["date"])
    back["date"] = back["date"].astype(expected.kpis["date"].dtype)
    pdt.assert_frame_equal(back, expected.kpis, check_index_type=False)
    assert sorted(os.listdir(tmp_path)) == ["kpis.csv"]


def test_run_prints_campaign_channel_and_tier_tables():
    telco = BASELINE.parent / "telco.yaml"
    done = cli("run", telco, "--population", "20000", "--days", "90", "--seed", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for title in ("Campaigns",
                  "Campaign effect: treated against holdout, 95% confidence intervals",
                  "Channels (effect over the channel's campaigns with a holdout)",
                  "Value tiers"):
        assert title in lines, title
    expected = crmsim.run(telco, seed=3, days=90, population=20_000)
    for name, row in expected.campaigns.iterrows():
        line = next(x for x in lines if x.startswith(f"{name} ") and "%" in x)
        assert f"{row['contacted']:,}" in line
    tiers = lines[lines.index("Value tiers") + 2:]
    assert [x.split()[0] for x in tiers[:2]] == ["standard", "high_value"]


def test_run_writes_parquet(tmp_path):
    done = cli("run", BASELINE, *SMALL, "--out", tmp_path / "kpis.parquet", "--threads", "1")
    assert done.returncode == 0, done.stderr
    back = pd.read_parquet(tmp_path / "kpis.parquet")
    expected = crmsim.run(BASELINE, seed=5, days=30, population=3000).kpis
    pdt.assert_frame_equal(back, expected, check_index_type=False)


def test_run_on_a_bad_scenario_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASELINE.read_text().replace("days: 730", "days: -1"))
    done = cli("run", "bad.yaml", "--out", "kpis.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "bad.yaml: days: must be between 1 and 36500, got -1\n"
    assert done.stdout == ""
    assert os.listdir(tmp_path) == ["bad.yaml"]


@pytest.mark.parametrize("out", ["kpis.csv", "kpis.parquet", "run.h5"])
def test_run_on_a_scenario_with_several_errors_prints_them_all_and_writes_nothing(tmp_path, out):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASELINE.read_text()
                   .replace("annual_rate: 0.18", "annual_rate: 1.8")
                   .replace("start_date: 2027-01-01", "start_date: 2027-13-01")
                   .replace("currency: EUR", "currency: EUR\nseed: 3"))
    done = cli("run", "bad.yaml", "--out", out, "--progress", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    # Every problem, and nothing else: no progress bar, as nothing ran.
    assert done.stderr.splitlines() == [
        "bad.yaml: unknown field 'seed' (known fields: name, description, start_date, days, "
        "currency, lifecycle, model, segments, propositions, fit_effects, analytics, "
        "contact_policy, value_tiers, channels, campaigns)",
        "bad.yaml: segments[2].churn.annual_rate: must be between 0 and 1, got 1.8",
        "bad.yaml: start_date: must be a calendar date (YYYY-MM-DD), got '2027-13-01'",
    ]
    assert os.listdir(tmp_path) == ["bad.yaml"]


@pytest.mark.parametrize("args, message", [
    (["--out", "kpis.xlsx"],
     "crmsim: error: --out must end in .csv, .parquet, .h5 or .hdf5, got 'kpis.xlsx'"),
    (["--out", "missing/kpis.csv"], "crmsim: error: --out: folder "),
    (["--seed", "-1"], "crmsim: error: seed must be between 0 and 2**64 - 1, got -1"),
    (["--days", "0"], "crmsim: error: days must be between 1 and 36500, got 0"),
    (["--threads", "-2"], "crmsim: error: threads must be at least 0 (0 or None = all cores), "
                          "got -2"),
    (["--population", "2"], "crmsim: error: --population must be at least the number of "
                            "segments (3), got 2"),
])
def test_bad_options_exit_2_before_running(tmp_path, args, message):
    done = cli("run", BASELINE, *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == "" and os.listdir(tmp_path) == []


def test_missing_scenario_file(tmp_path):
    done = cli("run", "nope.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "nope.yaml: no such file\n")


def test_progress_flag_forces_the_bar_without_a_terminal(tmp_path):
    with_bar = cli("run", BASELINE, *SMALL, "--progress")
    without = cli("run", BASELINE, *SMALL)
    assert with_bar.returncode == without.returncode == 0
    assert "30/30" in with_bar.stderr and "day" in with_bar.stderr
    assert without.stderr == ""  # stderr is not a terminal: no bar by default


def test_version_and_usage():
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.startswith(f"crmsim {crmsim.__version__} (commit ")
    done = cli()
    assert done.returncode == 2 and "usage: crmsim" in done.stderr
    done = cli("run", BASELINE, "--days", "ten")
    assert done.returncode == 2 and "invalid int value: 'ten'" in done.stderr


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "crmsim")
    if not os.path.exists(script):
        pytest.skip("crmsim console script not installed next to this Python")
    done = subprocess.run([script, "validate", str(BASELINE)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "OK (3 segments" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_stops_a_long_run(tmp_path):
    import signal

    # 20,000 people for 100 years: a minute of work, in blocks of a year.
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmsim", "run", str(BASELINE), "--population", "20000",
         "--days", "36500", "--progress", "--out", "kpis.csv"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    try:
        # Wait for the progress bar: the run has started.
        assert proc.stderr.read(1) != ""
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.rstrip().endswith("crmsim: interrupted")
    assert "Traceback" not in err and out == ""
    assert os.listdir(tmp_path) == []
