"""Peak memory of one simulation, measured in a fresh process.

Run by the benchmarks, not by hand:

    python bench/_rss_probe.py KIND  < scenario.json

KIND is ``engine``, ``numpy``, ``plain`` or ``mesa`` (Mesa is imported only
for that one). The process imports what the simulation needs, notes its peak
resident set as the baseline, builds the population and runs the whole
horizon, then prints one JSON line with both peaks in KiB. The difference is
what the simulation itself needed.

The peak is VmHWM from /proc/self/status, the high-water mark of this
process's own address space. (getrusage's ru_maxrss would not do: on Linux it
carries the parent's peak across fork/vfork and exec, so a child started by a
big benchmark process would report the parent's peak as its baseline.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from crmsim import _core

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
from numpy_lifecycle import NumpyLifecycle, PlainNumpyLifecycle  # noqa: E402


def _mesa_model(scenario: dict):
    from mesa_lifecycle import LifecycleModel

    return LifecycleModel(scenario, seed=0)


BUILDERS = {
    "engine": lambda scenario: _core.Simulation(scenario, seed=0, threads=0),
    "numpy": lambda scenario: NumpyLifecycle(scenario, seed=0),
    "plain": lambda scenario: PlainNumpyLifecycle(scenario, seed=0),
    "mesa": _mesa_model,
}


def peak_rss_kib() -> int:
    """High-water mark of this process's resident set, in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    kind = sys.argv[1]
    scenario = json.load(sys.stdin)
    np.zeros(1)  # numpy's lazy start-up belongs to the baseline
    if kind == "mesa":
        import mesa_lifecycle  # noqa: F401  (so does importing Mesa)
    baseline_kib = peak_rss_kib()
    sim = BUILDERS[kind](scenario)
    sim.advance(scenario["days"])
    peak_kib = peak_rss_kib()
    print(json.dumps({"kind": kind, "baseline_kib": baseline_kib, "peak_kib": peak_kib,
                      "agents": int(sum(s["market_size"] for s in scenario["segments"]))}))


if __name__ == "__main__":
    main()
