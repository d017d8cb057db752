"""Start-up costs: `import crmsim`, and a small run from Python end to end.

    .venv/bin/python bench/bench_startup.py            # 11 fresh processes, 21 runs
    .venv/bin/python bench/bench_startup.py --quick    # 3 and 5: a smoke test

Two figures with targets in the issue, so that notebooks and sweeps of small
runs are not dominated by overhead:

- `import crmsim` in a fresh interpreter (timed inside it, interpreter start
  excluded; page cache warm after a first, untimed process): median of the
  processes; target under 0.5 s. The same process then times its first
  ``crmsim.run`` (which pays for whatever the package imports lazily).
- ``crmsim.run`` of 10,000 people for 365 days, the whole call (rescaling,
  checks, building the population, the days, the Result): median of repeated
  calls in one process; target under 0.1 s. Timed for the baseline as shipped
  (with its campaigns) given as a loaded Scenario, as a sweep or a notebook
  holds it, and given as the YAML path; and the engine's own share (building
  day 0 and the days) for the first.

Full runs update the start-up section of bench/RESULTS.md; every run writes
bench/out/bench_startup[-quick].json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict

from bench_engine import time_engine
from common import (
    BASELINE,
    ROOT,
    CpuWatch,
    add_record_only,
    baseline_engine_dict,
    command_line,
    load_average,
    machine,
    markdown_table,
    measured_or_recorded,
    now,
    provenance,
    spread,
    text_table,
    update_results,
    wait_for_quiet,
)

POPULATION = 10_000
DAYS = 365
IMPORT_TARGET_S = 0.5
RUN_TARGET_S = 0.1

#: Run in a fresh interpreter: import time, then the first run's time, as JSON.
CHILD = f"""
import json, time
t0 = time.perf_counter()
import crmsim
t1 = time.perf_counter()
crmsim.run({str(BASELINE)!r}, days={DAYS}, population={POPULATION})
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "first_run_s": t2 - t1}}))
"""


def fresh_process() -> dict:
    """Import and first-run seconds of one fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def import_profile(top: int = 8) -> list[dict]:
    """Where `import crmsim` spends its time, by top-level package (python -X importtime)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import crmsim"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    self_us: dict[str, int] = defaultdict(int)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _cumulative, name = line[len("import time:"):].split("|")
        self_us[name.strip().split(".")[0]] += int(own)
    ranked = sorted(self_us.items(), key=lambda kv: -kv[1])[:top]
    return [{"package": name, "seconds": us / 1e6} for name, us in ranked]


def timed_call(call) -> tuple[float, float]:
    """Wall seconds of `call()` and the share of the cores other work used meanwhile."""
    with CpuWatch() as watch:
        call()
    return watch.wall_s, watch.foreign_share


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 fresh processes, 5 runs; RESULTS.md untouched")
    add_record_only(parser, "bench_startup")
    args = parser.parse_args(argv)

    payload = measured_or_recorded(args, "bench_startup", lambda: measure(
        processes=3 if args.quick else 11, runs=5 if args.quick else 21, quick=args.quick))
    report(payload, record=not args.quick)
    return payload


def measure(processes: int, runs: int, quick: bool) -> dict:
    """Times imports in fresh processes and small runs in this one."""
    import crmsim

    quiet = None if quick else wait_for_quiet()
    started, load_before = now(), load_average()
    fresh_process()  # warm the page cache
    children = []
    for k in range(processes):
        children.append(fresh_process())
        print(f"  fresh process {k}: import {children[-1]['import_s']:.3f} s, "
              f"first run {children[-1]['first_run_s']:.3f} s", flush=True)

    scenario = crmsim.Scenario.load(BASELINE)
    engine_dict = baseline_engine_dict(POPULATION, DAYS)
    calls = {
        "scenario": lambda: crmsim.run(scenario, days=DAYS, population=POPULATION),
        "path": lambda: crmsim.run(str(BASELINE), days=DAYS, population=POPULATION),
        "engine": lambda: time_engine(engine_dict, 0),
    }
    for call in calls.values():
        call()  # warm-up
    times = {key: {"seconds": [], "foreign_share": []} for key in calls}
    for k in range(runs):
        for key, call in calls.items():
            seconds, foreign = timed_call(call)
            times[key]["seconds"].append(seconds)
            times[key]["foreign_share"].append(foreign)
        print(f"  run {k}: " + ", ".join(f"{key} {t['seconds'][-1]:.3f} s"
                                         for key, t in times.items()), flush=True)
    return {
        "benchmark": "bench_startup", "date": started, "command": command_line(),
        "machine": machine(), "load_average_before": load_before,
        "load_average_after": load_average(), "foreign_share_before": quiet,
        "population": POPULATION, "days": DAYS, "processes": processes, "runs": runs,
        "import_s": spread([c["import_s"] for c in children]),
        "first_run_s": spread([c["first_run_s"] for c in children]),
        "run_s": {key: {"seconds": spread(t["seconds"]), "foreign_share": t["foreign_share"]}
                  for key, t in times.items()},
        "import_profile": import_profile(),
    }


def report(payload: dict, record: bool) -> None:
    """Prints the table; with `record`, also writes the RESULTS.md section."""
    run_s = payload["run_s"]
    n = f"{payload['population']:,} people, {payload['days']} days"

    def row(label: str, s: dict, target: float | None, runs: int) -> list:
        verdict = "" if target is None else ("yes" if s["median"] < target else "**no**")
        return [label, runs, f"{s['median']:.3f}", f"{s['min']:.3f} – {s['max']:.3f}",
                "" if target is None else f"< {target:g}", verdict]

    header = ["what", "samples", "median s", "range s", "target s", "meets"]
    rows = [
        row("`import crmsim` (fresh process)", payload["import_s"], IMPORT_TARGET_S,
            payload["processes"]),
        row(f"first `crmsim.run` in that process ({n}, YAML path)", payload["first_run_s"],
            None, payload["processes"]),
        row(f"`crmsim.run(scenario, days=…, population=…)`, {n}", run_s["scenario"]["seconds"],
            RUN_TARGET_S, payload["runs"]),
        row(f"`crmsim.run(\"scenarios/baseline.yaml\", …)`, {n}", run_s["path"]["seconds"],
            RUN_TARGET_S, payload["runs"]),
        row("of which the engine: `Simulation(…)` and `advance` alone",
            run_s["engine"]["seconds"], None, payload["runs"]),
    ]
    profile = ", ".join(f"{p['package']} {p['seconds'] * 1000:.0f} ms"
                        for p in payload["import_profile"])
    print()
    print(text_table(header, [[c.replace("`", "").replace("**", "") for c in map(str, r)]
                              for r in rows]))
    print(f"\nimport time by package (python -X importtime, one process): {profile}")
    if not record:
        return

    worst = max(max(t["foreign_share"]) for t in run_s.values())
    update_results("bench_startup", f"""
## Start-up: import and a small run (`bench/bench_startup.py`)

- Command: `{payload['command']}` (also run by `make bench`)
{provenance(payload)}
  other work used at most {worst:.0%} of the cores during a timed run
- Import: timed inside {payload['processes']} fresh interpreters (interpreter start excluded,
  page cache warm). Runs: `scenarios/baseline.yaml` as shipped (with its campaigns) rescaled to
  {n}, all cores, the whole call including the Result; median of {payload['runs']} calls in
  one process after a warm-up call, the three kinds interleaved

{markdown_table(header, rows)}

Import time by package (self time, `python -X importtime`, one process): {profile}.
""")
    print("updated bench/RESULTS.md")


if __name__ == "__main__":
    main()
