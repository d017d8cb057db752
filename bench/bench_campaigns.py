"""Throughput with campaigns switched on, against the core lifecycle alone.

Issue 3 asks that the planner scenarios with campaigns keep at least half
of the engine core's customer-days per second. Measured here, in one run,
at 1,000,000 people x 365 days with 2 threads:

- core: scenarios/baseline.yaml without its campaigns (the organic lifecycle);
- baseline: the same scenario with its e-mail campaigns;
- telco: scenarios/telco.yaml (call centre and SMS retention, win-back,
  service recovery, welcome);
- retail_bank: scenarios/retail_bank.yaml (cross-sell on e-mail, branch and
  direct mail; acquisition; value tiers).

Scenarios are timed in turn (interleaved), REPEATS times each; the median
goes to the bench_campaigns section of bench/RESULTS.md.

    .venv/bin/python bench/bench_campaigns.py [--repeats 5] [--population N] [--no-write]
"""

from __future__ import annotations

import argparse
import time

import common

SCENARIOS = ("baseline", "telco", "retail_bank")


def engine_dicts(population: int, days: int) -> dict[str, dict]:
    import crmsim

    dicts = {"core": common.baseline_engine_dict(population, days, campaigns=False)}
    for name in SCENARIOS:
        scenario = crmsim.Scenario.load(common.ROOT / "scenarios" / f"{name}.yaml")
        dicts[name] = scenario.scaled(population).with_days(days).engine_dict()
    return dicts


def time_once(engine_dict: dict, threads: int) -> tuple[float, common.CpuWatch]:
    from crmsim import _core

    sim = _core.Simulation(engine_dict, seed=0, threads=threads)
    with common.CpuWatch() as watch:
        start = time.perf_counter()
        sim.advance(engine_dict["days"])
        elapsed = time.perf_counter() - start
    return sim.n_agents * engine_dict["days"] / elapsed, watch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    dicts = engine_dicts(args.population, common.DAYS)
    common.wait_for_quiet(max_wait_s=60)
    rates: dict[str, list[float]] = {name: [] for name in dicts}
    foreign: dict[str, float] = {name: 0.0 for name in dicts}
    for d in dicts.values():  # warm-up: page in the code and the allocator
        time_once(d, args.threads)
    for repeat in range(args.repeats):
        for name, d in dicts.items():
            rate, watch, _ = common.measure_quietly(lambda d=d: time_once(d, args.threads),
                                                    args.threads)
            rates[name].append(rate)
            foreign[name] = max(foreign[name], watch.foreign_share)
            print(f"repeat {repeat + 1}: {name:<12} {common.fmt_rate(rate)} customer-days/s",
                  flush=True)

    core = common.spread(rates["core"])["median"]
    rows = []
    for name, values in rates.items():
        s = common.spread(values)
        ratio = s["median"] / core
        verdict = "" if name == "core" else ("yes" if ratio >= 0.5 else "NO")
        rows.append([name, len(values), common.fmt_rate(s["median"]),
                     f"{common.fmt_rate(s['min'])} – {common.fmt_rate(s['max'])}",
                     f"{ratio:.2f}", verdict, f"{foreign[name]:.0%}"])
    header = ["scenario", "runs", "customer-days/s (median)", "range", "÷ core",
              "at least half of core", "other work (max)"]
    print(common.text_table(header, rows))
    m = common.machine()
    payload = {"machine": m, "population": args.population, "days": common.DAYS,
               "threads": args.threads, "rates": rates}
    common.write_json("bench_campaigns", payload)
    if args.no_write:
        return
    markdown = f"""## Campaigns on, against the core lifecycle (`bench/bench_campaigns.py`)

- Command: `{common.command_line()}` (also run by `make bench`)
- Date: {common.now()}; commit {m['commit']}; crmsim {m['crmsim']}, Python {m['python']}
- Machine: {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB; {m['os']}
- {args.population:,} people, {common.DAYS} days, {args.threads} threads, seed 0; median of
  {args.repeats} runs per scenario, scenarios interleaved, after one warm-up run each;
  time of `advance` alone
- core = `scenarios/baseline.yaml` without its campaigns; the others with all their campaigns

{common.markdown_table(header, rows)}

Issue 3's target: the planner scenarios with campaigns keep at least half of the core's
customer-days per second.
"""
    common.update_results("bench_campaigns", markdown)


if __name__ == "__main__":
    main()
