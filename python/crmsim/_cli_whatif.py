"""The ``crmsim sweep`` and ``crmsim compare`` commands.

    crmsim sweep SCENARIO --grid GRID.yaml --replications R [--scheduler tcp://host:8786]
                 [--population N] [--days N] --out sweep.parquet|sweep.h5|sweep.csv
    crmsim compare A.yaml B.yaml -r R [--population N] [--days N]
    crmsim compare A.yaml --set segments.young_urban.churn.annual_rate=0.30 -r R

GRID.yaml maps override paths to a list of values (every combination is run)
or to ``{low: .., high: ..}`` (a Latin hypercube of --samples points)::

    segments.young_urban.churn.annual_rate: [0.28, 0.30, 0.32]
    lifecycle.welcome_days: {low: 30, high: 120}

--scheduler takes a Dask scheduler address, ``local`` (a LocalCluster of
--workers processes on this machine) or ``serial`` (one run after another in
this process). sweep defaults to local, compare to serial.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["COMMANDS", "add_commands", "main"]

#: The subcommands this module adds to ``crmsim``.
COMMANDS = ("sweep", "compare")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_commands(commands: Any) -> None:
    """Adds the sweep and compare subcommands to the ``crmsim`` subparsers."""
    sweep = commands.add_parser(
        "sweep", help="run a scenario over a grid or sample of parameters, replicated",
        description="Run a scenario at every point of a parameter grid (or a Latin hypercube "
                    "sample), each point replicated with seeds S, S+1, ..., on Dask.")
    sweep.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    sweep.add_argument("--grid", required=True, metavar="GRID.yaml",
                       help="override path -> list of values, or -> {low, high} with --samples")
    sweep.add_argument("--samples", type=int, metavar="N",
                       help="points to draw from the {low, high} ranges of the grid file")
    _run_options(sweep, replications_default=1)
    sweep.add_argument("--scheduler", default="local", metavar="ADDRESS",
                       help="Dask scheduler address (tcp://host:8786), 'local' (default: a "
                            "LocalCluster on this machine) or 'serial'")
    sweep.add_argument("--out", metavar="FILE",
                       help="write the table (one row per run) to FILE.parquet, FILE.h5 "
                            "(HDF5) or FILE.csv")

    compare = commands.add_parser(
        "compare", help="compare two scenarios with paired runs (common random numbers)",
        description="Run A and B with the same seeds and report, per metric, the difference "
                    "B - A with its confidence interval.")
    compare.add_argument("a", metavar="A.yaml", help="the scenario as it is")
    compare.add_argument("b", metavar="B.yaml", nargs="?",
                         help="the alternative (default: A with the --set changes)")
    compare.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                         dest="overrides",
                         help="change a field of B, e.g. segments.young_urban.churn."
                              "annual_rate=0.30 (repeatable)")
    _run_options(compare, replications_default=20)
    compare.add_argument("--level", type=float, default=0.95, metavar="P",
                         help="confidence level of the intervals (default: 0.95)")
    compare.add_argument("--scheduler", default="serial", metavar="ADDRESS",
                         help="'serial' (default), 'local' (a LocalCluster) or a Dask "
                              "scheduler address (tcp://host:8786)")
    compare.add_argument("--out", metavar="FILE",
                         help="also write the comparison table to FILE.csv or FILE.parquet")


def _run_options(parser: argparse.ArgumentParser, replications_default: int) -> None:
    parser.add_argument("-r", "--replications", type=int, default=replications_default,
                        metavar="R", help=f"runs per point, seeds S to S+R-1 "
                                          f"(default: {replications_default})")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed of the first replication (default: 0)")
    parser.add_argument("--population", type=int, metavar="N",
                        help="rescale the total market to N people for every run")
    parser.add_argument("--days", type=int, metavar="N", help="horizon of every run in days")
    parser.add_argument("--threads", type=int, metavar="T",
                        help="engine threads per run (default: 1 on Dask, all cores serially)")
    parser.add_argument("--metric", action="append", dest="metrics", metavar="M",
                        help="metric to report, e.g. revenue:sum or customers:final "
                             "(repeatable; default: customers, acquisitions, defections, "
                             "win-backs, revenue, marketing cost)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes of a local cluster (default: one per core)")
    parser.add_argument("--retries", type=int, default=1, metavar="N",
                        help="extra tries for a task that raised on Dask (default: 1)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar on stderr (default: when stderr is a terminal)")


def main(args: argparse.Namespace) -> int:
    """Runs a parsed sweep or compare command; ScenarioError and Ctrl-C are the caller's."""
    from .sweeps import SweepWarning

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    client: Any = {"local": None}.get(args.scheduler, args.scheduler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SweepWarning)
        try:
            code = (_sweep if args.command == "sweep" else _compare)(args, client, progress)
        except (TypeError, ValueError) as e:
            from .errors import ScenarioError

            if isinstance(e, ScenarioError):
                raise
            return _fail(str(e))
    failed = False
    for w in caught:
        if issubclass(w.category, SweepWarning):
            print(f"crmsim: warning: {w.message}", file=sys.stderr)
            failed = True
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return EXIT_FAILED if failed and code == EXIT_OK else code


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"crmsim: error: {message}", file=sys.stderr)
    return code


def _sweep(args: argparse.Namespace, client: Any, progress: bool) -> int:
    import pandas as pd

    from ._yaml import read_yaml_file
    from .errors import ScenarioError
    from .sweeps import sweep

    spec = read_yaml_file(args.grid)
    if not isinstance(spec, Mapping) or not spec:
        raise ScenarioError(f"{args.grid}: must map override paths to a list of values or "
                            "to {low: .., high: ..}")
    grid, ranges = {}, {}
    for path, values in spec.items():
        if isinstance(values, Mapping):
            ranges[path] = values
        elif isinstance(values, list):
            grid[path] = values
        else:
            raise ScenarioError(f"{args.grid}: {path}: must be a list of values or "
                                f"{{low: .., high: ..}}, got {values!r}")
    if ranges and args.samples is None:
        return _fail(f"{args.grid} gives ranges ({', '.join(ranges)}): say how many points to "
                     "draw with --samples N")
    table = sweep(args.scenario, grid or None, samples=args.samples, ranges=ranges or None,
                  replications=args.replications, seed=args.seed, metrics=args.metrics,
                  population=args.population, days=args.days, threads=args.threads,
                  client=client, workers=args.workers, retries=args.retries,
                  progress=progress, out=args.out)
    params = table.attrs["parameters"]
    metric_names = [c for c in table.columns
                    if c not in {"run", "point", "replication", "seed", "status", "error",
                                 "seconds", *params}]
    ok = table[table["status"] == "ok"]
    by = ["point", *params]
    means = ok.groupby(by, sort=True)[metric_names].mean()
    means.insert(0, "runs", ok.groupby(by, sort=True).size())
    with pd.option_context("display.width", 200, "display.max_columns", 50,
                           "display.max_rows", 40, "display.float_format", _number):
        print(f"{len(table):,} runs ({len(table) - len(ok):,} failed) of "
              f"{table['point'].nunique():,} points x {args.replications} replications; "
              "mean per point:")
        print(means.reset_index(level="point", drop=True).to_string()
              if params else means.to_string())
    if args.out:
        print(f"wrote {args.out} ({len(table):,} rows: one per run)", file=sys.stderr)
    return EXIT_OK


def _compare(args: argparse.Namespace, client: Any, progress: bool) -> int:
    from ._yaml import parse_yaml_text
    from .comparison import compare, compare_text
    from .scenario import Scenario
    from .sweep_file import TABLE_FORMATS, output_format, write_table

    if args.out is not None:
        output_format(args.out, TABLE_FORMATS)
    a = Scenario.load(args.a)
    if args.b is None and not args.overrides:
        return _fail("give B.yaml, or --set PATH=VALUE changes that make B from A")
    b = Scenario.load(args.b) if args.b is not None else a
    if args.overrides:
        changes = {}
        for item in args.overrides:
            path, sep, text = item.partition("=")
            if not sep or not path.strip():
                return _fail(f"--set takes PATH=VALUE, got {item!r}")
            changes[path.strip()] = parse_yaml_text(text, f"--set {path.strip()}")
        b = b.with_overrides(changes)
    table = compare(a, b, args.replications, metrics=args.metrics, seed=args.seed,
                    population=args.population, days=args.days, threads=args.threads,
                    level=args.level, client=client, workers=args.workers,
                    retries=args.retries, progress=progress)
    if args.b is None:
        table.attrs["b"] += " with " + ", ".join(args.overrides)
    print(compare_text(table), end="")
    if args.out:
        write_table(table.reset_index(), args.out)
        print(f"wrote {args.out} ({len(table)} rows: one per metric)", file=sys.stderr)
    return EXIT_OK


def _number(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.4g}"
