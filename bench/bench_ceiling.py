"""The engine against its physical limit: a pass that only streams the agent columns.

    .venv/bin/python bench/bench_ceiling.py            # 1M people x 365 days, 5 runs each
    .venv/bin/python bench/bench_ceiling.py --quick    # 100k people, 2 runs: a smoke test

The ceiling is bench/cpp/streaming_pass.cpp (built here with CMake into
build/bench, Release, CRMSIM_BUILD_BENCH=ON): it allocates the engine's agent
columns (crmsim::AgentArrays, the engine's bytes per agent) and every day reads
and writes each column once, in the engine's chunks on a TBB arena, at 1 and
2 threads. Against it runs the engine on the core lifecycle
(scenarios/baseline.yaml without campaigns) at the same size, 2 threads.
Programs are interleaved run by run; a run is repeated (up to 4 attempts)
when other work used more than 10% of the cores beyond those it leaves free.
The figure of merit is engine time / streaming time at 2 threads (the issue's
target: at most 4).

Full runs update the ceiling section of bench/RESULTS.md; every run writes
bench/out/bench_ceiling[-quick].json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench_engine import time_engine
from common import (
    ATTEMPTS,
    DAYS,
    FULL_POPULATION,
    QUICK_POPULATION,
    ROOT,
    CpuWatch,
    add_record_only,
    baseline_engine_dict,
    command_line,
    fmt_rate,
    load_average,
    machine,
    markdown_table,
    measure_quietly,
    measured_or_recorded,
    now,
    provenance,
    spread,
    text_table,
    update_results,
    wait_for_quiet,
)

BUILD_DIR = ROOT / "build" / "bench"
PROGRAM = BUILD_DIR / "crmsim_streaming_pass"
#: Agents per work item: the engine's default (RunOptions::chunk_size).
CHUNK_SIZE = 16384
#: The engine's threads, and the streaming pass's.
ENGINE_THREADS = 2
STREAM_THREADS = (1, 2)
#: The issue's target for engine time / streaming time.
TARGET = 4.0


def build() -> None:
    """Configures build/bench (Release, CRMSIM_BUILD_BENCH=ON) and builds the streaming pass."""
    for command in (["cmake", "-S", str(ROOT), "-B", str(BUILD_DIR), "-DCMAKE_BUILD_TYPE=Release",
                     "-DCRMSIM_BUILD_BENCH=ON", "-DCRMSIM_BUILD_TESTS=OFF",
                     "-DCRMSIM_BUILD_PYTHON=OFF"],
                    ["cmake", "--build", str(BUILD_DIR), "--target", PROGRAM.name]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"building the streaming pass failed: {' '.join(command)}")


def contact_slots(scenario: dict) -> int:
    """Contact days kept per agent, as engine/src/limits.cpp sizes them."""
    return max(4, int(scenario.get("contact_policy", {}).get("max_contacts", 0)))


def time_stream(population: int, days: int, threads: int, slots: int
                ) -> tuple[dict, CpuWatch]:
    """One run of the streaming pass: its JSON report and the CpuWatch of the process."""
    with CpuWatch() as watch:
        done = subprocess.run([str(PROGRAM), str(population), str(days), str(threads),
                               str(CHUNK_SIZE), str(slots)],
                              capture_output=True, text=True, check=True)
    return json.loads(done.stdout), watch


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_POPULATION:,} people and 2 runs; RESULTS.md untouched")
    parser.add_argument("--repeats", type=int, help="runs of each program (default 5; quick 2)")
    add_record_only(parser, "bench_ceiling")
    args = parser.parse_args(argv)

    def build_and_measure() -> dict:
        build()
        return measure(quick=args.quick, repeats=args.repeats or (2 if args.quick else 5))

    payload = measured_or_recorded(args, "bench_ceiling", build_and_measure)
    report(payload, record=not args.quick)
    return payload


def measure(quick: bool, repeats: int) -> dict:
    """Times the streaming pass and the engine, interleaved; returns the record of it all."""
    population = QUICK_POPULATION if quick else FULL_POPULATION
    scenario = baseline_engine_dict(population, DAYS, campaigns=False)
    customer_days = population * DAYS
    slots = contact_slots(scenario)

    quiet = None if quick else wait_for_quiet()
    started, load_before = now(), load_average()
    # Warm-up: page cache, TBB, CPU clocks.
    time_engine(scenario, ENGINE_THREADS)
    stream, _ = time_stream(population, DAYS, ENGINE_THREADS, slots)

    attempts = 1 if quick else ATTEMPTS
    keys = [f"stream-{t}" for t in STREAM_THREADS] + [f"engine-{ENGINE_THREADS}"]
    runs = {k: {"seconds": [], "foreign_share": [], "discarded": []} for k in keys}
    engine_bytes = None
    for _ in range(repeats):
        for t in STREAM_THREADS:
            report_, watch, discarded = measure_quietly(
                lambda t=t: time_stream(population, DAYS, t, slots), threads=t, attempts=attempts)
            run = runs[f"stream-{t}"]
            run["seconds"].append(report_["seconds"])
            run["foreign_share"].append(watch.foreign_share)
            run["discarded"] += discarded
            print(f"  streaming pass, {t} thread{'s' if t > 1 else ''}: "
                  f"{report_['seconds']:.3f} s "
                  f"({fmt_rate(customer_days / report_['seconds'])} customer-days/s, "
                  f"other work {watch.foreign_share:.0%})", flush=True)
        (_, engine_bytes), watch, discarded = measure_quietly(
            lambda: time_engine(scenario, ENGINE_THREADS), threads=ENGINE_THREADS,
            attempts=attempts)
        run = runs[f"engine-{ENGINE_THREADS}"]
        run["seconds"].append(watch.wall_s)
        run["foreign_share"].append(watch.foreign_share)
        run["discarded"] += discarded
        print(f"  engine, {ENGINE_THREADS} threads: advance {watch.wall_s:.3f} s "
              f"({fmt_rate(customer_days / watch.wall_s)} customer-days/s, "
              f"other work {watch.foreign_share:.0%})", flush=True)
    if engine_bytes != stream["bytes_per_agent"]:
        raise SystemExit(f"the streaming pass streams {stream['bytes_per_agent']} bytes per "
                         f"agent, the engine holds {engine_bytes}: rebuild or update "
                         "bench/cpp/streaming_pass.cpp")

    results = {}
    for key, run in runs.items():
        results[key] = {"seconds": spread(run["seconds"]),
                        "customer_days_per_s": spread([customer_days / s
                                                       for s in run["seconds"]]),
                        "foreign_share": run["foreign_share"], "discarded": run["discarded"]}
    engine_s = results[f"engine-{ENGINE_THREADS}"]["seconds"]["median"]
    for t in STREAM_THREADS:
        results[f"stream-{t}"]["engine_over_this"] = (
            engine_s / results[f"stream-{t}"]["seconds"]["median"])
    return {
        "benchmark": "bench_ceiling", "date": started, "command": command_line(),
        "machine": machine(), "load_average_before": load_before,
        "load_average_after": load_average(), "foreign_share_before": quiet,
        "scenario": {"source": "scenarios/baseline.yaml", "campaigns": False,
                     "population": population, "days": DAYS, "seed": 0},
        "repeats": repeats, "chunk_size": CHUNK_SIZE, "bytes_per_agent": engine_bytes,
        "engine_threads": ENGINE_THREADS, "stream_threads": list(STREAM_THREADS),
        "results": results,
    }


def report(payload: dict, record: bool) -> None:
    """Prints the table of a measurement; with `record`, also writes its RESULTS.md section."""
    results = payload["results"]
    engine_threads = payload["engine_threads"]
    engine_key = f"engine-{engine_threads}"
    ratio = results[f"stream-{engine_threads}"]["engine_over_this"]
    header = ["program", "threads", "time s (median)", "range s", "customer-days/s (median)",
              "engine time ÷ this", "other work (max)"]
    rows = []
    for t in payload["stream_threads"]:
        r = results[f"stream-{t}"]
        rows.append(["streaming pass (bench/cpp/streaming_pass.cpp)", t,
                     f"{r['seconds']['median']:.3f}",
                     f"{r['seconds']['min']:.3f} – {r['seconds']['max']:.3f}",
                     fmt_rate(r["customer_days_per_s"]["median"]),
                     f"{r['engine_over_this']:.2f}×", f"{max(r['foreign_share']):.0%}"])
    r = results[engine_key]
    rows.append(["crmsim engine, core lifecycle (advance)", engine_threads,
                 f"{r['seconds']['median']:.3f}",
                 f"{r['seconds']['min']:.3f} – {r['seconds']['max']:.3f}",
                 fmt_rate(r["customer_days_per_s"]["median"]), "1.00×",
                 f"{max(r['foreign_share']):.0%}"])
    print()
    print(text_table(header, rows))
    verdict = "meets" if ratio <= TARGET else "misses"
    print(f"\nengine time / streaming time at {engine_threads} threads: {ratio:.2f}× "
          f"({verdict} the target of at most {TARGET:g}×)")
    if not record:
        return

    sc = payload["scenario"]
    worst = max(max(r["foreign_share"]) for r in results.values())
    update_results("bench_ceiling", f"""
## Engine against the memory-traffic ceiling (`bench/bench_ceiling.py`)

- Command: `{payload['command']}` (also run by `make bench`)
{provenance(payload)}
  other work used at most {worst:.0%} of the cores during any timed run
- Ceiling: `bench/cpp/streaming_pass.cpp` (Release, `CRMSIM_BUILD_BENCH=ON`) allocates the
  engine's agent columns (`crmsim::AgentArrays`, {payload['bytes_per_agent']} bytes per agent,
  the engine's `Simulation.bytes_per_agent`) for {sc['population']:,} agents and, for
  {sc['days']} days, reads and writes every column once a day (an increment), in chunks of
  {payload['chunk_size']:,} agents on a TBB arena as the engine does; its time excludes
  allocation
- Engine: `scenarios/baseline.yaml` without its campaigns (the core lifecycle) scaled to
  {sc['population']:,} people, {sc['days']} days, seed 0, {engine_threads} threads; time of
  `advance` alone
- Runs: median of {payload['repeats']} each, programs interleaved, after one warm-up run

{markdown_table(header, rows)}

**Engine time / streaming time at {engine_threads} threads: {ratio:.2f}×** (target: at most
{TARGET:g}×; {verdict} it).
""")
    print("updated bench/RESULTS.md")


if __name__ == "__main__":
    main()
