"""Engine throughput (customer-days per second) at 1 and 2 threads, and memory per agent.

    .venv/bin/python bench/bench_engine.py            # 1M people x 365 days, 5 runs each
    .venv/bin/python bench/bench_engine.py --quick    # 100k people, 2 runs: a smoke test

The scenario is scenarios/baseline.yaml as shipped (campaigns included) scaled
to the population, for 365 days. Each run builds a fresh Simulation (timed as
"init") and advances it over the whole horizon (timed as "advance";
throughput uses this alone).
Thread counts are interleaved run by run so that drift in the machine's speed
touches them alike, and a run is repeated (up to 4 attempts) when other work
used more than 10% of the cores beyond those the run leaves free; the tables
show the largest share of the cores other work used in a kept run.
Memory is the growth of peak RSS in a fresh process over a baseline taken
after imports, divided by the number of agents.

Full runs update the engine section of bench/RESULTS.md; every run writes
bench/out/bench_engine[-quick].json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import (
    DAYS,
    FULL_POPULATION,
    QUICK_POPULATION,
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

from crmsim import _core

PROBE = Path(__file__).resolve().parent / "_rss_probe.py"


def peak_memory(kind: str, scenario: dict) -> dict:
    """Peak RSS growth of one run of `kind` in a fresh process, in bytes per agent."""
    done = subprocess.run([sys.executable, str(PROBE), kind], input=json.dumps(scenario),
                          capture_output=True, text=True, check=True)
    probe = json.loads(done.stdout)
    growth = (probe["peak_kib"] - probe["baseline_kib"]) * 1024
    return {**probe, "bytes_per_agent": growth / probe["agents"]}


def time_engine(scenario: dict, threads: int, seed: int = 0
                ) -> tuple[tuple[float, int], CpuWatch]:
    """(init seconds, bytes per agent) of one full run, and the CpuWatch of its advance."""
    with CpuWatch() as init:
        sim = _core.Simulation(scenario, seed=seed, threads=threads)
    with CpuWatch() as advance:
        sim.advance(scenario["days"])
    return (init.wall_s, sim.bytes_per_agent), advance


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_POPULATION:,} people and 2 runs; RESULTS.md untouched")
    parser.add_argument("--repeats", type=int, help="runs per thread count (default 5; quick 2)")
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    add_record_only(parser, "bench_engine")
    args = parser.parse_args(argv)

    payload = measured_or_recorded(args, "bench_engine", lambda: measure(
        quick=args.quick, repeats=args.repeats or (2 if args.quick else 5),
        thread_counts=[int(t) for t in args.threads.split(",")]))
    report(payload, record=not args.quick)
    return payload


def measure(quick: bool, repeats: int, thread_counts: list[int]) -> dict:
    """Times the engine and measures its memory; returns the record of it all."""
    population = QUICK_POPULATION if quick else FULL_POPULATION
    scenario = baseline_engine_dict(population, DAYS)
    customer_days = population * DAYS
    started, load_before = now(), load_average()

    quiet = None if quick else wait_for_quiet()
    time_engine(scenario, max(thread_counts))  # warm-up: page cache, TBB, CPU clocks
    runs = {t: {"init_s": [], "advance_s": [], "foreign_share": [], "discarded": []}
            for t in thread_counts}
    for _ in range(repeats):
        for t in thread_counts:
            (init, bytes_per_agent), watch, discarded = measure_quietly(
                lambda t=t: time_engine(scenario, t), threads=t)
            runs[t]["discarded"] += discarded
            runs[t]["init_s"].append(init)
            runs[t]["advance_s"].append(watch.wall_s)
            runs[t]["foreign_share"].append(watch.foreign_share)
            print(f"  threads={t}: init {init:.3f} s, advance {watch.wall_s:.3f} s "
                  f"({fmt_rate(customer_days / watch.wall_s)} customer-days/s, "
                  f"other work {watch.foreign_share:.0%})", flush=True)

    results = {}
    for t, r in runs.items():
        rates = [customer_days / s for s in r["advance_s"]]
        results[t] = {"threads": t, "init_s": spread(r["init_s"]),
                      "advance_s": spread(r["advance_s"]),
                      "customer_days_per_s": spread(rates),
                      "foreign_share": r["foreign_share"], "discarded": r["discarded"]}
    memory = peak_memory("engine", scenario)
    base = results[thread_counts[0]]["customer_days_per_s"]["median"]
    for t in thread_counts:
        results[t]["speedup_vs_first"] = results[t]["customer_days_per_s"]["median"] / base

    return {
        "benchmark": "bench_engine", "date": started, "command": command_line(),
        "machine": machine(), "load_average_before": load_before,
        "foreign_share_before": quiet,
        "load_average_after": load_average(),
        "scenario": {"source": "scenarios/baseline.yaml", "campaigns": True,
                     "population": population, "days": DAYS, "seed": 0,
                     "segments": len(scenario["segments"])},
        "repeats": repeats, "threads": [results[t] for t in thread_counts],
        "memory": {"peak_rss_bytes_per_agent": memory["bytes_per_agent"],
                   "engine_bytes_per_agent": bytes_per_agent, "probe": memory},
    }


def report(payload: dict, record: bool) -> None:
    """Prints the tables of a measurement; with `record`, also writes its RESULTS.md section."""
    results = payload["threads"]
    first = results[0]["threads"]
    memory = payload["memory"]
    header = ["threads", "customer-days/s (median)", "range", "advance s", "init s",
              f"vs {first} thread", "other work (max)"]
    rows = []
    for r in results:
        rate = r["customer_days_per_s"]
        rows.append([r["threads"], fmt_rate(rate["median"]),
                     f"{fmt_rate(rate['min'])} – {fmt_rate(rate['max'])}",
                     f"{r['advance_s']['median']:.3f}", f"{r['init_s']['median']:.3f}",
                     f"{r['speedup_vs_first']:.2f}×", f"{max(r['foreign_share']):.0%}"])
    print()
    print(text_table(header, rows))
    print(f"\npeak RSS growth: {memory['peak_rss_bytes_per_agent']:.1f} bytes/agent; "
          f"Simulation.bytes_per_agent = {memory['engine_bytes_per_agent']}")
    if not record:
        return

    population = payload["scenario"]["population"]
    worst = max(max(r["foreign_share"]) for r in results)
    ratio = " ".join(f"{r['threads']}-thread/{first}-thread {r['speedup_vs_first']:.2f}×"
                     for r in results[1:])
    update_results("bench_engine", f"""
## Engine throughput and memory (`bench/bench_engine.py`)

- Command: `{payload['command']}` (also run by `make bench`)
{provenance(payload)}
  other work used at most {worst:.0%} of the cores during any timed run (a 1-thread run
  leaves the second core free, so up to 60% is allowed there before a run is repeated)
- Scenario: `scenarios/baseline.yaml` as shipped (3 segments, 3 email campaigns) scaled to
  {population:,} people, {payload['scenario']['days']} days, seed 0
- Runs: median of {payload['repeats']} per thread count, thread counts interleaved, after
  one warm-up run

{markdown_table(header, rows)}

Scaling: {ratio} (ideal {results[-1]['threads'] / first:.0f}×).

Memory: peak RSS grows by **{memory['peak_rss_bytes_per_agent']:.1f} bytes per agent** over
a process that has imported crmsim ({population:,} agents, whole run, fresh process). The
agent columns account for {memory['engine_bytes_per_agent']} of them
(`Simulation.bytes_per_agent`); the rest is the KPI tables, chunk tallies and thread stacks.
""")
    print("updated bench/RESULTS.md")


if __name__ == "__main__":
    main()
