"""Sweep throughput: runs per minute of a 100,000-person, one-year scenario.

Three ways to run the same sweep (the baseline rescaled to 100,000 people,
365 days, two churn rates x 8 replications = 16 runs):

- serial, all cores: one run after another in this process, each run using
  every core (the engine's default);
- serial, 1 thread: one run after another, one engine thread each;
- Dask LocalCluster: WORKERS worker processes with one thread each, one run
  per worker at a time (crmsim.sweep's default on this machine).

Each is timed REPEATS times; the cluster is started once, before timing (its
start-up time is reported apart). The tables of all three must be identical.
The results go to stdout and to the bench_sweep section of bench/RESULTS.md.

    .venv/bin/python bench/bench_sweep.py [--repeats 3] [--workers 2] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import crmsim

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- bench_sweep:start -->", "<!-- bench_sweep:end -->"

POPULATION, DAYS = 100_000, 365
GRID = {"segments.young_urban.churn.annual_rate": [0.30, 0.32]}
REPLICATIONS = 8
METRICS = ["customers:final", "defections:sum", "revenue:sum"]


def timed_sweep(scenario: crmsim.Scenario, client, threads) -> tuple[float, object]:
    started = time.perf_counter()
    table = crmsim.sweep(scenario, GRID, replications=REPLICATIONS, metrics=METRICS,
                         days=DAYS, threads=threads, client=client, progress=False)
    return time.perf_counter() - started, table


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {cores} cores usable, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; load average at start {load}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    scenario = crmsim.Scenario.load(ROOT / "scenarios" / "baseline.yaml").scaled(POPULATION)
    runs = len(next(iter(GRID.values()))) * REPLICATIONS
    where = machine()
    print(f"{runs} runs of {POPULATION:,} people x {DAYS} days; {where}", flush=True)

    started = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        startup = time.perf_counter() - started
        timed_sweep(scenario, client, None)  # warm-up: workers import crmsim
        modes = {"serial, all cores": ("serial", None),
                 "serial, 1 thread": ("serial", 1),
                 f"Dask LocalCluster, {args.workers} workers x 1 thread": (client, None)}
        seconds: dict[str, list[float]] = {name: [] for name in modes}
        run_seconds: dict[str, list[float]] = {name: [] for name in modes}
        tables = {}
        for _ in range(args.repeats):  # interleaved: drifts in machine load hit every mode
            for name, (where_to, threads) in modes.items():
                elapsed, table = timed_sweep(scenario, where_to, threads)
                seconds[name].append(elapsed)
                run_seconds[name].extend(table["seconds"])
                tables[name] = table[METRICS]
                print(f"  {name}: {elapsed:.2f} s", flush=True)
    first = next(iter(tables.values()))
    assert all(t.equals(first) for t in tables.values()), "modes gave different tables"

    per_minute = {name: [runs / s * 60 for s in values] for name, values in seconds.items()}
    medians = {name: statistics.median(v) for name, v in per_minute.items()}
    serial_name, single_name = "serial, all cores", "serial, 1 thread"
    lines = [
        "| mode | runs per minute, median | range | vs serial, all cores | vs serial, 1 thread "
        "| one run, median s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, values in per_minute.items():
        lines.append(f"| {name} | {medians[name]:.0f} | {min(values):.0f} to {max(values):.0f} "
                     f"| {medians[name] / medians[serial_name]:.2f}x "
                     f"| {medians[name] / medians[single_name]:.2f}x "
                     f"| {statistics.median(run_seconds[name]):.2f} |")
    table_md = "\n".join(lines)
    print(table_md)
    print(f"cluster start-up: {startup:.1f} s (not counted above)")
    load_end = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") \
        else "?"

    version = f"crmsim {crmsim.__version__} (commit {crmsim._core.git_commit})"
    section = f"""{START}
## Sweep throughput (bench/bench_sweep.py)

Command: `.venv/bin/python bench/bench_sweep.py --repeats {args.repeats} --workers {args.workers}`
Date: {datetime.date.today().isoformat()}, {version}.
Machine: {where}.
Sweep: the baseline rescaled to {POPULATION:,} people, {DAYS} days, {runs} runs (2 churn
rates x {REPLICATIONS} replications); {args.repeats} timed repeats per mode, interleaved; the
tables of all modes are identical. LocalCluster start-up, {startup:.1f} s, is not counted.
"One run" is the time of one simulation where it ran (on a worker, or in this process).
Load average at the end: {load_end}. On a shared machine a load above its cores
means other work competed with the benchmark, so the range matters as much as the median.

{table_md}
{END}"""
    if not args.no_write:
        write_section(section)
        print(f"updated {RESULTS.relative_to(ROOT)}")
    return 0


def write_section(section: str) -> None:
    """Replaces this script's marked section of RESULTS.md (or appends it), leaving the rest."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
