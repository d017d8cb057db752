"""The ``crmsim`` command line: run, resume and validate scenarios.

Exit codes: 0 success, 1 the run failed (e.g. the output could not be
written, a checkpoint could not be read, an invariant broke), 2 a user error
(bad scenario, bad option, a run too large for this machine's memory;
nothing was run or written), 130 interrupted with Ctrl-C (nothing written).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import _cli_whatif, _core
from .checkpoint import FROM_CHECKPOINT, resume
from .errors import CrmsimError, MemoryLimitError, ResultsFileError, ScenarioError
from .results_file import OutputSettings
from .run import check_run_arguments, run
from .scenario import Scenario

__all__ = ["main", "build_parser"]

#: Output formats by file extension.
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".h5": "hdf5", ".hdf5": "hdf5"}

#: Option names of the file settings, for error messages.
FILE_OPTIONS = {"out": "--out", "snapshot_every": "--snapshot-every",
                "snapshot_columns": "--snapshot-columns", "events": "--events",
                "checkpoint_every": "--checkpoint-every", "checkpoint": "--checkpoint"}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crmsim`` command."""
    parser = argparse.ArgumentParser(
        prog="crmsim",
        description="Customer-lifecycle simulation for campaign and channel what-if planning.")
    parser.add_argument("--version", action="version",
                        version=f"crmsim {_core.__version__} (commit {_core.git_commit})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run_cmd = commands.add_parser(
        "run", help="simulate a scenario and print a summary",
        description="Simulate a scenario file and print a summary of the run.")
    run_cmd.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    run_cmd.add_argument("--days", type=int, metavar="N",
                         help="horizon in days (default: the scenario's days)")
    run_cmd.add_argument("--seed", type=int, default=0, metavar="S",
                         help="random seed, 0 to 2**64-1 (default: 0)")
    run_cmd.add_argument("--threads", type=int, metavar="T",
                         help="worker threads (default: all cores; results do not depend on it)")
    run_cmd.add_argument("--population", type=int, metavar="N",
                         help="rescale the total market to N people (keeps the segment mix)")
    run_cmd.add_argument("--out", metavar="FILE",
                         help="write the results to FILE.h5 (HDF5, as the run goes) or the "
                              "daily KPIs to FILE.csv or FILE.parquet")
    run_cmd.add_argument("--snapshot-every", type=int, metavar="N",
                         help="HDF5 only: snapshot the agent columns every N days")
    run_cmd.add_argument("--snapshot-columns", metavar="COLS",
                         help="HDF5 only: comma-separated agent columns to snapshot "
                              "(default: all)")
    run_cmd.add_argument("--events", type=float, metavar="SHARE",
                         help="HDF5 only: log the lifecycle events of this share of agents "
                              "(0 to 1)")
    run_cmd.add_argument("--checkpoint-every", type=int, metavar="D",
                         help="write a checkpoint every D days (finish with crmsim resume)")
    run_cmd.add_argument("--checkpoint", metavar="FILE",
                         help="checkpoint file (default: next to --out, as NAME.ckpt.h5)")
    run_cmd.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                         help="show a progress bar on stderr (default: when stderr is a terminal)")

    resume_cmd = commands.add_parser(
        "resume", help="finish a run from its checkpoint",
        description="Finish an interrupted run from its checkpoint; the result is "
                    "bit-identical to a run that was never interrupted.")
    resume_cmd.add_argument("checkpoint", metavar="CHECKPOINT", help="checkpoint file (.ckpt.h5)")
    resume_cmd.add_argument("--out", metavar="FILE",
                            help="write the results here (default: the file the interrupted "
                                 "run was writing)")
    resume_cmd.add_argument("--threads", type=int, metavar="T",
                            help="worker threads (default: all cores; results do not depend "
                                 "on it)")
    resume_cmd.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                            help="show a progress bar on stderr (default: when stderr is a "
                                 "terminal)")

    validate_cmd = commands.add_parser(
        "validate", help="check scenario files without running them",
        description="Check scenario files against the schema; print every problem found.")
    validate_cmd.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                              help="scenario YAML file(s)")
    _cli_whatif.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line with ``argv`` (default: sys.argv[1:]); returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.scenarios)
        if args.command == "resume":
            return _resume(args)
        if args.command in _cli_whatif.COMMANDS:
            return _cli_whatif.main(args)
        return _run(args)
    except ResultsFileError as e:
        return _fail(str(e), EXIT_FAILED)
    except ScenarioError as e:
        for message in e.errors:
            print(message, file=sys.stderr)
        return EXIT_USAGE
    except MemoryLimitError as e:
        return _fail(str(e), EXIT_USAGE)
    except CrmsimError as e:
        return _fail(str(e), EXIT_FAILED)
    except KeyboardInterrupt:
        print("crmsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"crmsim: error: {message}", file=sys.stderr)
    return code


def _validate(paths: list[str]) -> int:
    code = EXIT_OK
    for path in paths:
        try:
            sc = Scenario.load(path)
        except ScenarioError as e:
            for message in e.errors:
                print(message, file=sys.stderr)
            code = EXIT_USAGE
            continue
        n = len(sc.segments)
        print(f"{path}: OK ({n} segment{'s' if n != 1 else ''}, {sc.population:,} people, "
              f"{sc.days:,} days)")
    return code


def _run(args: argparse.Namespace) -> int:
    # Everything that can be checked is checked before the (possibly long) run.
    try:
        check_run_arguments(args.seed, args.days, args.threads, args.population)
    except (TypeError, ValueError) as e:
        return _fail(str(e))
    out_format = None
    if args.out is not None:
        out_format = OUTPUT_FORMATS.get(os.path.splitext(args.out)[1].lower())
        if out_format is None:
            endings = list(OUTPUT_FORMATS)
            return _fail(f"--out must end in {', '.join(endings[:-1])} or {endings[-1]}, "
                         f"got {args.out!r}")
        folder = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(folder):
            return _fail(f"--out: folder {folder!r} does not exist")
    columns = None
    if args.snapshot_columns is not None:
        columns = [c.strip() for c in args.snapshot_columns.split(",") if c.strip()]
    try:
        settings = OutputSettings.checked(args.out, args.snapshot_every, columns, args.events,
                                          args.checkpoint_every, args.checkpoint,
                                          names=FILE_OPTIONS)
    except (TypeError, ValueError) as e:
        return _fail(str(e))
    scenario = Scenario.load(args.scenario)
    if args.population is not None and args.population < len(scenario.segments):
        return _fail(f"--population must be at least the number of segments "
                     f"({len(scenario.segments)}), got {args.population}")
    progress = sys.stderr.isatty() if args.progress is None else args.progress

    # The files are written by run(): HDF5 as the run goes, tables at the end.
    result = run(scenario, seed=args.seed, days=args.days, threads=args.threads,
                 population=args.population, progress=progress, out=settings.out,
                 snapshot_every=settings.snapshot_every,
                 snapshot_columns=settings.snapshot_columns, events=settings.events,
                 checkpoint_every=settings.checkpoint_every, checkpoint=settings.checkpoint)
    print(result.summary(), end="")
    if args.out is not None:
        print(f"wrote {args.out} ({result.days + 1:,} rows: days 0 to {result.days:,})",
              file=sys.stderr)
    return EXIT_OK


def _resume(args: argparse.Namespace) -> int:
    try:
        check_run_arguments(0, None, args.threads, None)
    except (TypeError, ValueError) as e:
        return _fail(str(e))
    out = FROM_CHECKPOINT if args.out is None else args.out
    if args.out is not None and os.path.splitext(args.out)[1].lower() not in OUTPUT_FORMATS:
        endings = list(OUTPUT_FORMATS)
        return _fail(f"--out must end in {', '.join(endings[:-1])} or {endings[-1]}, "
                     f"got {args.out!r}")
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    try:
        result = resume(args.checkpoint, out=out, threads=args.threads, progress=progress)
    except (TypeError, ValueError) as e:
        return _fail(str(e))
    print(result.summary(), end="")
    written = getattr(result, "_out", None)
    if written is not None:
        print(f"wrote {written} ({result.days + 1:,} rows: days 0 to {result.days:,})",
              file=sys.stderr)
    return EXIT_OK
