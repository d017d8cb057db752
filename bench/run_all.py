"""Runs every benchmark in bench/ (what `make bench` does), each in a fresh process.

    .venv/bin/python bench/run_all.py           # full runs; they update bench/RESULTS.md
    .venv/bin/python bench/run_all.py --quick   # smoke test: small, RESULTS.md untouched

Every ``bench/bench_*.py`` is run, in name order. A full run takes several
minutes on two cores and should be made on a quiet machine. In a quick run a
benchmark runs with the arguments in QUICK_ARGS, and one without an entry there
is skipped (it has no way to run small without overwriting its recorded
results). Exits non-zero if any benchmark fails, after running the others.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

#: Arguments for a quick smoke run: 100k people or fewer repeats, RESULTS.md untouched.
QUICK_ARGS = {
    "bench_campaigns.py": ["--population", "100000", "--repeats", "1", "--no-write"],
    "bench_ceiling.py": ["--quick"],
    "bench_engine.py": ["--quick"],
    "bench_peers.py": ["--quick"],
    "bench_scaling.py": ["--quick"],
    "bench_startup.py": ["--quick"],
    "bench_sweep.py": ["--repeats", "1", "--no-write"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small populations, RESULTS.md untouched")
    args = parser.parse_args(argv)

    failed = []
    for script in sorted(BENCH.glob("bench_*.py")):
        name = script.name
        if args.quick and name not in QUICK_ARGS:
            print(f"== {name}: skipped (no quick mode)\n", flush=True)
            continue
        extra = QUICK_ARGS[name] if args.quick else []
        print(f"== {' '.join([name, *extra])}", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script), *extra], cwd=BENCH.parent).returncode
        print(f"== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
              f"in {time.perf_counter() - started:.0f} s\n", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
