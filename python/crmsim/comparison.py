"""Paired what-if comparisons: B instead of A, how much better, and how sure are we?

    alt = sc.with_overrides({"segments.young_urban.churn.annual_rate": 0.30})
    table = crmsim.compare(sc, alt, replications=20, population=50_000, days=365)
    print(crmsim.compare_text(table))

Run r of A and run r of B both use seed ``seed + r``. The engine draws its
random numbers by (seed, purpose, agent, day), so the two runs see the same
luck wherever they do the same thing, and their difference shows the effect
of the change with little noise (common random numbers). The table gives,
per metric, the means, the paired difference with its confidence interval,
the interval independent seeds would have given, and how much pairing
reduced the variance (formulas: crmsim._stats).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from . import _stats
from . import metrics as _metrics
from ._execute import RunSpec, execute
from .errors import CrmsimError
from .run import MAX_SEED, check_run_arguments
from .scenario import Scenario
from .sweeps import probe_metrics, warn_failures

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["compare", "compare_text", "plot_comparison"]


def compare(a: Scenario | str | os.PathLike[str], b: Scenario | str | os.PathLike[str],
            replications: int = 20, *,
            metrics: Any = None,
            seed: int = 0,
            population: int | None = None,
            days: int | None = None,
            threads: int | None = None,
            level: float = 0.95,
            client: Any = "serial",
            workers: int | None = None,
            retries: int = 1,
            progress: bool = False,
            return_runs: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Runs A and B with the same seeds and compares them metric by metric.

    a, b: Scenarios or scenario file paths (B is often
        ``a.with_overrides({...})``).
    replications: pairs of runs (at least 2); pair r uses seed ``seed + r``.
    metrics: as for :func:`crmsim.sweep` (default: customers at the end,
        totals of acquisitions, defections, win-backs, revenue, marketing cost).
    population, days, threads: run options for every run.
    level: confidence level of the intervals (0.95: 95%).
    client: "serial" (default: one run after another, each using all
        cores), None (a LocalCluster of ``workers`` processes, started and
        closed here), or a dask.distributed Client / scheduler address.
    return_runs: also return the per-run table (one row per run).

    Returns a DataFrame indexed by metric with columns mean_a, mean_b,
    difference (mean of B - A over pairs), relative (difference / mean_a),
    low and high (paired interval), unpaired_low and unpaired_high
    (Welch interval of independent runs, for reference), sd_a, sd_b,
    sd_difference, variance_reduction ((var A + var B) / var(B - A)),
    width_ratio (unpaired / paired interval width), replications, and
    verdict ('higher', 'lower' or 'unclear': B against A, by whether the
    paired interval excludes 0). ``table.attrs`` records names, seeds and
    options. Pairs where a run failed are left out, with a SweepWarning.
    """
    import pandas as pd

    seed, days, threads, population = check_run_arguments(seed, days, threads, population)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise ValueError("replications must be a whole number of at least 2 (an interval "
                         f"needs two pairs), got {replications!r}")
    if seed + replications - 1 > MAX_SEED:
        raise ValueError(f"seed + replications - 1 must be at most 2**64 - 1, got seed {seed}")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (0.95 for 95%), got {level!r}")
    a = a if isinstance(a, Scenario) else Scenario.load(a)
    b = b if isinstance(b, Scenario) else Scenario.load(b)
    spec = probe_metrics(a, metrics, population=population, days=days)
    probe_metrics(b, spec, population=population, days=days)  # B must have A's metrics too
    if threads == 0:
        threads = None if isinstance(client, str) and client == "serial" else 1

    specs = [RunSpec(k * replications + r, scenario, seed + r, days, population, threads, spec)
             for k, scenario in enumerate((a, b)) for r in range(replications)]
    outcomes = execute(specs, client, workers=workers, retries=retries, progress=progress,
                       desc="compare")
    runs = pd.DataFrame([
        {"run": s.index, "scenario": "AB"[s.index // replications],
         "replication": s.seed - seed, "seed": s.seed,
         **{m: o.values.get(m, math.nan) for m in spec},
         "status": "ok" if o.ok else "error", "error": o.error, "seconds": o.seconds}
        for s, o in zip(specs, outcomes)])
    warn_failures(runs, ["scenario"])

    ok = runs[runs["status"] == "ok"]
    side_a = ok[ok["scenario"] == "A"].set_index("replication")
    side_b = ok[ok["scenario"] == "B"].set_index("replication")
    both = side_a.index.intersection(side_b.index)
    if len(both) < 2:
        raise CrmsimError(f"only {len(both)} of {replications} pairs of runs succeeded; "
                          "a comparison needs at least 2 (see the warning for the first error)")
    rows = {}
    for name in spec:
        row = _stats.paired_row(side_a.loc[both, name].to_numpy(),
                                side_b.loc[both, name].to_numpy(), level)
        row["verdict"] = ("higher" if row["low"] > 0 else
                          "lower" if row["high"] < 0 else "unclear")
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[*_stats.COLUMNS, "verdict"])
    table.index.name = "metric"
    table.attrs.update({
        "a": a.name, "b": b.name, "a_source": a.source, "b_source": b.source,
        "seed": seed, "replications": replications, "pairs": len(both), "level": level,
        "population": population if population is not None else a.population,
        "days": days if days is not None else a.days,
    })
    return (table, runs) if return_runs else table


def compare_text(table: pd.DataFrame, labels: tuple[str, str] = ("A", "B")) -> str:
    """A comparison table in planner language: what changes, by how much, how sure."""
    at = table.attrs
    la, lb = labels
    level = at.get("level", 0.95)
    pct = f"{level * 100:g}%"
    lines = []
    if "a" in at:
        lines.append(f"{la}: {at['a']} ({at['a_source']})")
        lines.append(f"{lb}: {at['b']} ({at['b_source']})")
        seeds = f"seeds {at['seed']} to {at['seed'] + at['replications'] - 1}"
        lines.append(f"{at['pairs']} paired runs ({seeds}, common random numbers), "
                     f"{at['population']:,} people, {at['days']:,} days.")
        lines.append("")
    header = ["", la, lb, f"{lb} - {la}", f"{pct} interval", "change", "reading"]
    body = []
    for metric, row in table.iterrows():
        change = (f"{row['relative'] * 100:+.2f}%" if math.isfinite(row["relative"]) else "")
        reading = {"higher": f"{lb} higher", "lower": f"{lb} lower",
                   "unclear": "no clear difference"}[row["verdict"]]
        body.append([_metrics.describe(str(metric)), _fmt(row["mean_a"]), _fmt(row["mean_b"]),
                     _fmt(row["difference"], sign=True),
                     f"{_fmt(row['low'], sign=True)} to {_fmt(row['high'], sign=True)}",
                     change, reading])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    for r in [header, *body]:
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:-1], widths[1:-1])]
        cells.append(r[-1])
        lines.append("  ".join(cells).rstrip())
    ratios = [x for x in table["width_ratio"] if math.isfinite(x)]
    lines.append("")
    if ratios:
        lo, hi = min(ratios), max(ratios)
        span = f"{lo:.1f}x" if round(lo, 1) == round(hi, 1) else f"{lo:.1f}x to {hi:.1f}x"
        lines.append(f"Pairing made the intervals {span} narrower than independent runs "
                     "would have.")
    lines.append(f"'No clear difference': the {pct} interval includes 0; more replications "
                 "narrow it.")
    return "\n".join(lines) + "\n"


def plot_comparison(table: pd.DataFrame, ax: Any = None, unpaired: bool = True) -> Any:
    """A chart of each metric's difference B - A, in % of A, with its interval.

    Grey bars show the unpaired interval (independent seeds) for reference.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.5 * len(table) + 1.2))
    base = table["mean_a"].to_numpy(dtype=float)
    # A metric that is 0 in A (nothing to scale by) gets no point on the chart.
    scale = np.full_like(base, np.nan)
    np.divide(100.0, np.abs(base), out=scale, where=base != 0)
    y = np.arange(len(table))[::-1]
    mid = table["difference"].to_numpy(dtype=float) * scale
    if unpaired:
        lo = table["unpaired_low"].to_numpy(dtype=float) * scale
        hi = table["unpaired_high"].to_numpy(dtype=float) * scale
        ax.hlines(y, lo, hi, color="0.8", linewidth=6, label="independent seeds")
    lo = table["low"].to_numpy(dtype=float) * scale
    hi = table["high"].to_numpy(dtype=float) * scale
    ax.errorbar(mid, y, xerr=[mid - lo, hi - mid], fmt="o", color="C0", capsize=4,
                label="paired (common random numbers)")
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, [_metrics.describe(str(m)) for m in table.index])
    level = table.attrs.get("level", 0.95)
    ax.set_xlabel(f"B - A, % of A ({level * 100:g}% intervals)")
    ax.legend(loc="best", fontsize="small")
    return ax


def _fmt(x: float, sign: bool = False) -> str:
    if not math.isfinite(x):
        return str(x)
    s = "+" if sign else ""
    if abs(x) >= 1000:
        return f"{x:{s},.0f}"
    if abs(x) >= 10:
        return f"{x:{s},.1f}"
    return f"{x:{s}.3g}"
