"""Shared by the benchmarks: the scenario, the machine, timing, and recording results.

Each benchmark writes machine-readable JSON to bench/out/ (ignored by git) and,
for full runs, replaces its own section of bench/RESULTS.md between the markers
``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "bench" / "out"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
BASELINE = ROOT / "scenarios" / "baseline.yaml"

#: Benchmark size: the baseline scaled to a million people, one year.
FULL_POPULATION = 1_000_000
QUICK_POPULATION = 100_000
DAYS = 365

RESULTS_HEADER = """# Benchmark results

Recorded by the scripts in `bench/` (`make bench` runs them all); each script
replaces its own section below. Machine-readable results of the latest run are
in `bench/out/` (not committed).

Throughput is **customer-days per second**: people in the simulated market
(agents, customers or not) times days simulated, divided by the wall time of
the simulation loop alone (building day 0 is reported separately).
"""


def baseline_engine_dict(population: int, days: int = DAYS, campaigns: bool = True) -> dict:
    """The engine dict of scenarios/baseline.yaml scaled to `population` people, `days` days.

    campaigns=False leaves the baseline's campaigns out: the organic lifecycle
    alone, which is what the numpy peers reproduce.
    """
    import crmsim

    scenario = crmsim.Scenario.load(BASELINE)
    if not campaigns:
        d = scenario.to_dict()
        d["campaigns"] = []
        scenario = crmsim.Scenario.from_dict(d, str(BASELINE))
    return scenario.scaled(population).with_days(days).engine_dict()


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo, with family/model when the name is generic."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown"
    name = fields.get("model name", "unknown")
    family, model = fields.get("cpu family"), fields.get("model")
    if family and model:
        name += f" (family {family}, model {model})"
    return name


def provenance(payload: dict, package: str = "crmsim") -> str:
    """The Date and Machine lines of a RESULTS.md section, from a payload with
    `date` and `machine` (machine()); `package` is the version shown beside Python's.
    The Machine line ends with ';': the section goes on with how busy the machine was."""
    m = payload["machine"]
    return (f"- Date: {payload['date']}; commit {m['commit']}; {package} {m[package]}, "
            f"Python {m['python']}\n"
            f"- Machine: {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB; {m['os']};")


def machine() -> dict:
    """What the figures were measured on."""
    import numpy

    import crmsim

    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "crmsim": crmsim.__version__,
        "commit": git_commit(),
    }


def git_commit() -> str:
    """Short commit of the working tree ("+dirty" when it has changes), or "unknown"."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return commit + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_average() -> float:
    """One-minute load average, recorded so that a noisy run can be told apart."""
    return os.getloadavg()[0]


def _busy_cpu_seconds() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def _own_cpu_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


class CpuWatch:
    """CPU time that processes other than this one used while a measurement ran.

    Benchmarks on a shared machine are only as good as its quiet: `foreign_share`
    is the share of all cores busy with other work (or stolen by the hypervisor)
    during the measurement, recorded next to each timing. A child process that
    the measurement ran and waited for (a benchmark program) counts as its own.
    """

    def __enter__(self) -> CpuWatch:
        self._busy, self._steal = _busy_cpu_seconds()
        self._own = _own_cpu_seconds()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        busy, steal = _busy_cpu_seconds()
        wall = time.perf_counter() - self._wall
        own = _own_cpu_seconds() - self._own
        foreign = max(0.0, busy - self._busy - own) + (steal - self._steal)
        self.wall_s = wall
        self.own_cpu_s = own
        self.foreign_share = foreign / (wall * (os.cpu_count() or 1)) if wall > 0 else 0.0


def wait_for_quiet(threshold: float = 0.05, window_s: float = 3.0, max_wait_s: float = 600.0,
                   ) -> float:
    """Waits until other work uses under `threshold` of the cores; returns the last share seen."""
    deadline = time.monotonic() + max_wait_s
    said = False
    while True:
        with CpuWatch() as watch:
            time.sleep(window_s)
        if watch.foreign_share < threshold or time.monotonic() > deadline:
            if watch.foreign_share >= threshold:
                print(f"machine still busy ({watch.foreign_share:.0%} of cores used by other "
                      "work); measuring anyway", flush=True)
            return watch.foreign_share
        if not said:
            print(f"waiting for a quiet machine ({watch.foreign_share:.0%} of cores used by "
                  "other work)...", flush=True)
            said = True


#: A timed run is repeated when other work took more than this share of the cores
#: beyond those the run leaves free (a 1-thread run on 2 cores leaves one free).
MAX_FOREIGN_SHARE = 0.10
#: Attempts per measurement before a noisy one is kept anyway (and shows in the tables).
ATTEMPTS = 4


def allowed_foreign_share(threads: int) -> float:
    """Share of the cores other work may use while a run with `threads` threads is timed."""
    cores = os.cpu_count() or 1
    return MAX_FOREIGN_SHARE + max(0, cores - threads) / cores


def measure_quietly(measure: Callable[[], tuple[object, CpuWatch]], threads: int,
                    attempts: int = ATTEMPTS) -> tuple[object, CpuWatch, list[dict]]:
    """Runs `measure` (using `threads` cores) until other work left it alone while timed.

    `measure` returns (anything, the CpuWatch of the timed part). Returns the
    kept attempt's result and watch, and the discarded attempts (wall seconds
    and the share of the cores other work used), for the record. At most
    `attempts` tries (a quick smoke run passes 1: it measures once, busy or not).
    """
    allowed = allowed_foreign_share(threads)
    discarded: list[dict] = []
    for attempt in range(1, attempts + 1):
        result, watch = measure()
        if watch.foreign_share <= allowed or attempt == attempts:
            return result, watch, discarded
        discarded.append({"wall_s": watch.wall_s, "foreign_share": watch.foreign_share})
        print(f"    (other work used {watch.foreign_share:.0%} of the cores: measuring again)",
              flush=True)
        wait_for_quiet(threshold=allowed / 2, max_wait_s=120)
    raise AssertionError("unreachable")


def spread(values: Sequence[float]) -> dict:
    """Median and range of repeated measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": list(values)}


def fmt_rate(x: float) -> str:
    """A rate in millions with one decimal: 75.2 M."""
    return f"{x / 1e6:,.1f} M"


def command_line() -> str:
    """How this benchmark was started, for the record."""
    script = Path(sys.argv[0]).resolve()
    try:
        script_text = str(script.relative_to(ROOT))
    except ValueError:
        script_text = str(script)
    return " ".join([".venv/bin/python", script_text, *sys.argv[1:]])


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def write_json(name: str, payload: dict) -> Path:
    """Writes bench/out/NAME.json and returns its path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def read_json(name: str) -> dict:
    """Reads bench/out/NAME.json, written by an earlier run."""
    return json.loads((OUT_DIR / f"{name}.json").read_text())


def add_record_only(parser, name: str, also: str = "") -> None:
    """Adds --record-only: rewrite the RESULTS.md section (and `also`) from the last full run."""
    parser.add_argument("--record-only", action="store_true",
                        help=f"measure nothing: rewrite the RESULTS.md section{also} from "
                             f"bench/out/{name}.json")


def measured_or_recorded(args, name: str, measure: Callable[[], dict]) -> dict:
    """The payload to report: with --record-only that of the last full run (bench/out/NAME.json);
    else measure()'s, written to bench/out/NAME.json (NAME-quick.json with --quick)."""
    if args.record_only:
        return read_json(name)
    payload = measure()
    out = write_json(name + ("-quick" if args.quick else ""), payload)
    print(f"wrote {out}")
    return payload


def update_results(name: str, markdown: str) -> None:
    """Replaces (or appends) the section of bench/RESULTS.md that belongs to `name`."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else RESULTS_HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS_MD.write_text(text)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned table for the terminal."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    out = ["  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths)))
           for r in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)
