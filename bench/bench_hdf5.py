"""What HDF5 output costs: KPI output overhead on run time, snapshot compression.

    .venv/bin/python bench/bench_hdf5.py [--population N] [--days D] [--repeats R]

1. Run time of the baseline scenario with and without a results file (KPI
   tables only, as `crmsim run --out run.h5` writes them as the run goes),
   runs interleaved (without, with, without, ...) after a warm-up; the
   overhead is the ratio of the medians. Target: under 5%.
2. An agent snapshot of every column at the end of the run: bytes in the
   file (shuffle + deflate 4) against the raw bytes of the columns, and the
   time to write it; the same for a checkpoint (deflate 1).

Replaces its own section of bench/RESULTS.md (between the bench_hdf5
markers) and writes bench/out/bench_hdf5.json. Not a test: it only measures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import crmsim
from crmsim import _core
from crmsim.results_file import RunOutputs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- bench_hdf5:start -->", "<!-- bench_hdf5:end -->"
HEADER = """# Benchmark results

Recorded by the scripts in `bench/`; each script replaces its own section
below. Machine-readable results of the latest run are in `bench/out/` (not
committed).
"""


#: Seconds spent inside the results writer (creating, writing, committing) per run.
WRITER_SECONDS: list[float] = []


def _timed(method):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            WRITER_SECONDS[-1] += time.perf_counter() - started
    return wrapper


# The writer's own time, measured directly: on a shared machine it is a
# steadier figure than the difference of two noisy run times.
RunOutputs.__init__ = _timed(RunOutputs.__init__)
RunOutputs.after_block = _timed(RunOutputs.after_block)
RunOutputs.finish = _timed(RunOutputs.finish)


def timed_run(scenario: crmsim.Scenario, out: str | None) -> float:
    """Wall seconds of one whole run (building day 0 and simulating), writing `out` if given."""
    WRITER_SECONDS.append(0.0)
    started = time.perf_counter()
    crmsim.run(scenario, seed=0, out=out)
    return time.perf_counter() - started


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}; {platform.platform()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    scenario = (crmsim.Scenario.load(ROOT / "scenarios" / "baseline.yaml")
                .scaled(args.population).with_days(args.days))
    folder = Path(tempfile.mkdtemp(prefix="crmsim-bench-hdf5-"))
    out = str(folder / "run.h5")
    load_before = os.getloadavg()[0]

    timed_run(scenario, None)  # warm-up: page cache, thread pool, CPU clocks
    without, with_file, writer = [], [], []
    for k in range(args.repeats):
        without.append(timed_run(scenario, None))
        with_file.append(timed_run(scenario, out))
        writer.append(WRITER_SECONDS[-1])
        print(f"run {k + 1}/{args.repeats}: without {without[-1]:.3f} s, "
              f"with results file {with_file[-1]:.3f} s", file=sys.stderr)
    kpi_file_bytes = os.path.getsize(out)
    overhead = statistics.median(with_file) / statistics.median(without) - 1.0
    writer_share = statistics.median(writer) / statistics.median(without)

    # Snapshot of every agent column at the end of the run.
    result = crmsim.run(scenario, seed=0)
    raw = sum(column.nbytes for column in result.agents.values())
    plain, snap = str(folder / "plain.h5"), str(folder / "snap.h5")
    result.save(plain, agents=False)
    started = time.perf_counter()
    result.save(snap, agents=True)
    snap_seconds = time.perf_counter() - started
    snapshot_bytes = os.path.getsize(snap) - os.path.getsize(plain)
    ckpt = str(folder / "run.ckpt.h5")
    started = time.perf_counter()
    _core.write_checkpoint(result._sim, ckpt, scenario.to_yaml())
    ckpt_seconds = time.perf_counter() - started
    ckpt_bytes = os.path.getsize(ckpt)
    load_after = os.getloadavg()[0]
    for name in os.listdir(folder):
        os.remove(folder / name)
    os.rmdir(folder)

    now = datetime.datetime.now(datetime.timezone.utc)
    data = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"), "commit": commit(),
        "crmsim": crmsim.__version__, "python": platform.python_version(), "machine": machine(),
        "population": args.population, "days": args.days, "repeats": args.repeats,
        "threads": result.threads,
        "without_s": without, "with_s": with_file,
        "median_without_s": statistics.median(without),
        "median_with_s": statistics.median(with_file), "overhead": overhead,
        "writer_s": writer, "median_writer_s": statistics.median(writer),
        "writer_share": writer_share,
        "kpi_file_bytes": kpi_file_bytes,
        "snapshot_raw_bytes": raw, "snapshot_file_bytes": snapshot_bytes,
        "snapshot_ratio": raw / snapshot_bytes, "snapshot_seconds": snap_seconds,
        "checkpoint_bytes": ckpt_bytes, "checkpoint_seconds": ckpt_seconds,
        "load_average": [load_before, load_after],
    }
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / "bench_hdf5.json").write_text(json.dumps(data, indent=2))
    section = render(data)
    print(section)
    write_section(section)


def render(d: dict) -> str:
    mb = lambda n: f"{n / 1e6:,.1f} MB"  # noqa: E731
    spread = lambda xs: f"{min(xs):.3f} – {max(xs):.3f}"  # noqa: E731
    snapshot_row = (f"| snapshot in the file | {mb(d['snapshot_file_bytes'])} | "
                    f"**{d['snapshot_ratio']:.2f}×** smaller | {d['snapshot_seconds']:.2f} |")
    checkpoint_row = (f"| whole checkpoint (deflate 1, with KPI tables) | "
                      f"{mb(d['checkpoint_bytes'])} | "
                      f"{d['snapshot_raw_bytes'] / d['checkpoint_bytes']:.2f}× | "
                      f"{d['checkpoint_seconds']:.2f} |")
    return f"""{START}
## HDF5 output cost and snapshot size (`bench/bench_hdf5.py`)

- Command: `.venv/bin/python bench/bench_hdf5.py`
- Date: {d['date']}; commit {d['commit']}; crmsim {d['crmsim']}, Python {d['python']}
- Machine: {d['machine']}; load average {d['load_average'][0]:.2f} before,
  {d['load_average'][1]:.2f} after (the machine is shared: other work adds noise)
- Scenario: `scenarios/baseline.yaml` scaled to {d['population']:,} people, {d['days']} days,
  seed 0, {d['threads']} threads; {d['repeats']} runs each, interleaved, after a warm-up run

**KPI output overhead** (whole `crmsim.run`, building day 0 included; the
results file has every KPI table and the daily totals, written as the run goes):

| | median s | range s | min s |
|---|---|---|---|
| no file | {d['median_without_s']:.3f} | {spread(d['without_s'])} | {min(d['without_s']):.3f} |
| `out="run.h5"` | {d['median_with_s']:.3f} | {spread(d['with_s'])} | {min(d['with_s']):.3f} |

Time inside the results writer (creating the file, appending, committing
with fsync; measured directly in each run): median **{d['median_writer_s'] * 1000:.1f} ms**,
**{d['writer_share'] * 100:.2f}%** of the median run time (target: under 5%).
Difference of the two median run times: {d['overhead'] * 100:+.1f}% (on a shared
machine this difference is mostly noise; the writer's own time is the
figure to trust). The file is {d['kpi_file_bytes'] / 1e3:,.0f} kB.

**Agent snapshot** of all {len(_core.agent_column_names)} agent columns of
{d['population']:,} agents at the end of the run (shuffle + deflate level 4):

| | bytes | ratio | write s |
|---|---|---|---|
| raw columns | {mb(d['snapshot_raw_bytes'])} | 1.00× | |
{snapshot_row}
{checkpoint_row}
{END}"""


def write_section(section: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
