"""crmsim.sweep: planning, serial runs, and the same sweep on a real Dask LocalCluster.

The cluster has 2 worker processes with one thread each, like the default
LocalCluster on a 2-core machine. It is started once for this module and
always closed, so that no worker process outlives the tests.
"""

from __future__ import annotations

import multiprocessing
import os

import pandas as pd
import pandas.testing as pdt
import pytest
from conftest import BASELINE

import crmsim
from crmsim.sweeps import plan_points

# distributed warns when its scratch folder takes over a second to create, which
# a busy test machine can cause; that says nothing about crmsim.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Creating scratch directories is taking a surprisingly long time:UserWarning")

RUN = {"population": 2000, "days": 60, "progress": False}
CHURN = "segments.young_urban.churn.annual_rate"
WELCOME = "lifecycle.welcome_days"
GRID = {CHURN: [0.30, 0.34], WELCOME: [60, 90]}
METRICS = ["customers:final", "acquisitions:sum", "defections:sum", "revenue:sum",
           "segments.families.defections:sum"]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    # Any free port for the dashboard: 8787 may be taken by another cluster.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def serial_table(baseline):
    return crmsim.sweep(baseline, GRID, replications=2, metrics=METRICS, client="serial", **RUN)


def metric_part(table: pd.DataFrame) -> pd.DataFrame:
    return table[["run", "point", CHURN, WELCOME, "replication", "seed", *METRICS, "status"]]


def assert_identical(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal bit for bit: assert_frame_equal compares floats to a tolerance unless told not to."""
    pdt.assert_frame_equal(left, right, check_exact=True)


# -- serial ----------------------------------------------------------------


def test_the_table_has_one_row_per_run(baseline, serial_table):
    t = serial_table
    assert list(t.columns) == ["run", "point", CHURN, WELCOME, "replication", "seed", *METRICS,
                               "status", "error", "seconds"]
    assert t["run"].tolist() == list(range(8))
    assert t["point"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert t[CHURN].tolist() == [0.30] * 4 + [0.34] * 4  # the first path varies slowest
    assert t[WELCOME].tolist() == [60, 60, 90, 90] * 2
    assert t["seed"].tolist() == [0, 1] * 4  # replication r: seed 0 + r, at every point
    assert (t["status"] == "ok").all() and (t["error"] == "").all()
    assert all(t[m].dtype == "float64" for m in METRICS)
    # Row by row, the metrics are those of crmsim.run with the same overrides and seed.
    row = t.iloc[5]
    res = crmsim.run(baseline.with_overrides({CHURN: 0.34, WELCOME: 60}), seed=1,
                     population=2000, days=60)
    assert row["customers:final"] == res.kpis["customers"].iloc[-1]
    assert row["revenue:sum"] == res.kpis["revenue"].sum()
    assert row["segments.families.defections:sum"] == \
        res.segment_kpis.loc["families", "defections"].sum()
    assert t.attrs["scenario"] == baseline.name and t.attrs["replications"] == 2


def test_more_churn_loses_more_customers(serial_table):
    # Common random numbers across points: the churn effect shows run by run.
    t = serial_table.set_index(["point", "replication"])
    for welcome_point in (0, 1):
        low = t.loc[welcome_point, "defections:sum"]
        high = t.loc[welcome_point + 2, "defections:sum"]
        assert (high.to_numpy() > low.to_numpy()).all()


def test_latin_hypercube_points(baseline):
    points = plan_points(ranges={CHURN: (0.2, 0.4), WELCOME: (30, 120)}, samples=10, seed=3)
    assert len(points) == 10
    churn = sorted(p[CHURN] for p in points)
    # One draw in each tenth of the range: the Latin hypercube's promise.
    assert [int((c - 0.2) / 0.02) for c in churn] == list(range(10))
    assert all(isinstance(p[WELCOME], int) and 30 <= p[WELCOME] <= 120 for p in points)
    assert points == plan_points(ranges={CHURN: (0.2, 0.4), WELCOME: (30, 120)}, samples=10,
                                 seed=3)
    # A grid and ranges together: every grid point gets the same samples.
    both = plan_points({"days": [30, 60]}, ranges={CHURN: (0.2, 0.4)}, samples=3)
    assert [p["days"] for p in both] == [30, 30, 30, 60, 60, 60]
    assert [p[CHURN] for p in both[:3]] == [p[CHURN] for p in both[3:]]


def test_a_sampled_sweep_runs(baseline):
    t = crmsim.sweep(baseline, ranges={CHURN: {"low": 0.2, "high": 0.4}}, samples=3,
                     metrics=["customers:final"], client="serial", **RUN)
    assert len(t) == 3 and t[CHURN].between(0.2, 0.4).all() and t[CHURN].nunique() == 3


def test_without_parameters_a_sweep_replicates_the_scenario(baseline):
    t = crmsim.sweep(baseline, replications=3, client="serial", seed=7, **RUN)
    assert t["seed"].tolist() == [7, 8, 9] and (t["point"] == 0).all()


@pytest.mark.parametrize("kwargs, error, message", [
    ({"grid": {"segments.young.churn.annual_rate": [0.3]}}, crmsim.ScenarioError,
     "segments has no item named 'young' \\(did you mean 'young_urban'"),
    ({"grid": {CHURN: [0.3, 1.5, 2.0]}}, crmsim.ScenarioError,
     "must be between 0 and 1, got 1.5 .*\n.*got 2.0"),
    ({"grid": {CHURN: 0.3}}, TypeError, "must be a list of values"),
    ({"grid": {CHURN: []}}, ValueError, "empty list"),
    ({"ranges": {CHURN: (0.2, 0.4)}}, ValueError, "ranges need samples=N"),
    ({"ranges": {CHURN: (0.4, 0.2)}, "samples": 2}, ValueError, "low must be less than high"),
    ({"samples": 3}, ValueError, "samples=N needs ranges"),
    ({"metrics": ["revenu:sum"]}, ValueError, "did you mean 'revenue'"),
    ({"replications": 0}, ValueError, "replications must be at least 1"),
    ({"out": "sweep.txt"}, ValueError, "out must end in .parquet, .csv, .h5 or .hdf5, got "),
    ({"out": "no/such/folder/sweep.h5"}, ValueError, "out: folder .* does not exist"),
    ({"grid": {"days": [10, 20]}, "days": 5}, ValueError, "leave out the days= run option"),
])
def test_bad_sweeps_fail_before_any_task_is_submitted(baseline, client, monkeypatch, kwargs,
                                                      error, message):
    def no_tasks(*args, **kw):
        raise AssertionError("a task was submitted")

    monkeypatch.setattr(client, "submit", no_tasks)
    monkeypatch.setattr(client, "map", no_tasks)
    options = {**RUN, **kwargs}
    with pytest.raises(error, match=message):
        crmsim.sweep(baseline, client=client, **options)


def test_hdf5_output_without_h5py_is_refused_before_any_run(baseline, client, monkeypatch,
                                                            tmp_path):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "h5py" else find_spec(name, *a))
    monkeypatch.setattr(client, "submit", lambda *a, **kw: pytest.fail("a task was submitted"))
    with pytest.raises(ValueError, match=r"sweep\.h5' is HDF5, which crmsim writes with h5py; "
                                         r"install it \(pip install h5py\) or write \.parquet"):
        crmsim.sweep(baseline, client=client, out=tmp_path / "sweep.h5", **RUN)
    assert os.listdir(tmp_path) == []


def test_a_progress_bar_counts_the_runs(baseline, client, capsys):
    for where in ("serial", client):
        crmsim.sweep(baseline, {CHURN: [0.30, 0.34]}, replications=2, client=where,
                     **{**RUN, "days": 5, "progress": True})
        bar = capsys.readouterr().err
        assert "sweep: 100%" in bar and "4/4 [" in bar, bar


def test_a_failed_run_keeps_its_row_and_the_others(baseline):
    def fails_at_high_churn(result):
        if result.scenario.to_dict()["segments"][0]["churn"]["annual_rate"] > 0.32:
            raise RuntimeError("model blew up")
        return result.kpis["customers"].iloc[-1]

    with pytest.warns(crmsim.SweepWarning, match=r"4 of 8 runs failed.*run 4 \("
                      rf"{CHURN}=0.34, {WELCOME}=60, seed 0\): RuntimeError: model blew up"):
        t = crmsim.sweep(baseline, GRID, replications=2, client="serial",
                         metrics={"customers": fails_at_high_churn}, **RUN)
    assert t["status"].tolist() == ["ok"] * 4 + ["error"] * 4
    assert t["error"].iloc[4:].eq("RuntimeError: model blew up").all()
    assert t["customers"].iloc[:4].notna().all() and t["customers"].iloc[4:].isna().all()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_table_goes_to_a_file(baseline, tmp_path, suffix):
    path = tmp_path / f"sweep{suffix}"
    t = crmsim.sweep(baseline, {CHURN: [0.3]}, replications=2, client="serial", out=path, **RUN)
    back = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path,
                                                                         keep_default_na=False)
    pdt.assert_frame_equal(back.drop(columns="seconds"), t.drop(columns="seconds"),
                           check_dtype=suffix == ".parquet", check_exact=suffix == ".parquet")
    if suffix == ".parquet":
        assert back.attrs["scenario"] == baseline.name  # provenance travels with the file
    assert sorted(os.listdir(tmp_path)) == [path.name]


# -- on the LocalCluster -----------------------------------------------------------


def test_a_sweep_on_the_cluster_equals_the_serial_sweep(baseline, client, serial_table):
    t = crmsim.sweep(baseline, GRID, replications=2, metrics=METRICS, client=client, **RUN)
    assert_identical(metric_part(t), metric_part(serial_table))
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2


def test_a_comparison_on_the_cluster_equals_the_serial_one(baseline, client):
    alt = baseline.with_overrides({CHURN: 0.33})
    kw = {"population": 2000, "days": 60, "metrics": ["customers:final", "revenue:sum"]}
    assert_identical(crmsim.compare(baseline, alt, 3, client=client, **kw),
                     crmsim.compare(baseline, alt, 3, client="serial", **kw))


def _die_once(marker: str):
    """A metric that kills its worker process the first time any run reaches it."""

    def die_once(result):
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return float(result.seed)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(1)  # as if the machine had died: no exception, no clean-up

    return die_once


def test_a_killed_worker_does_not_lose_the_sweep(baseline, client, tmp_path, serial_table):
    marker = tmp_path / "killed"
    metrics = {m: m for m in METRICS}
    metrics["seed_again"] = _die_once(str(marker))
    t = crmsim.sweep(baseline, GRID, replications=2, metrics=metrics, client=client, **RUN)
    assert marker.exists(), "no worker was killed"
    killed = int(marker.read_text())
    assert killed not in client.run(os.getpid).values()  # that process is gone
    assert (t["status"] == "ok").all(), t["error"].tolist()
    assert_identical(metric_part(t), metric_part(serial_table))
    assert t["seed_again"].tolist() == t["seed"].astype(float).tolist()


def test_without_a_client_a_local_cluster_is_started_and_closed(baseline, serial_table):
    before = set(multiprocessing.active_children())
    t = crmsim.sweep(baseline, GRID, replications=2, metrics=METRICS, client=None, workers=2,
                     **RUN)
    assert_identical(metric_part(t), metric_part(serial_table))
    assert set(multiprocessing.active_children()) <= before  # its worker processes are gone


def test_a_scheduler_address_is_a_client_too(baseline, client, serial_table):
    t = crmsim.sweep(baseline, GRID, replications=2, metrics=METRICS,
                     client=client.scheduler.address, **RUN)
    assert_identical(metric_part(t), metric_part(serial_table))


def test_bad_clients_are_named(baseline):
    with pytest.raises(TypeError, match="client must be None, 'serial', a scheduler address"):
        crmsim.sweep(baseline, client=42, **RUN)


def test_the_baseline_path_can_be_given(serial_table):
    t = crmsim.sweep(BASELINE, GRID, replications=2, metrics=METRICS, client="serial", **RUN)
    assert_identical(metric_part(t), metric_part(serial_table))
