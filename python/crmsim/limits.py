"""Memory limits: how much a run needs, refused before allocating when it cannot fit.

The engine estimates (agent columns, daily tables, working memory; see
``engine/src/limits.cpp``) and refuses too large a run itself; this module
asks it first, against the memory this process may use, so that
``crmsim.run`` and the CLI stop before opening any file.
"""

from __future__ import annotations

import os

from . import _core
from .errors import MemoryLimitError

__all__ = ["machine_memory", "memory_estimate", "check_memory"]

_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or the cgroup's limit if lower.

    0 when it cannot be told (no check is made then).
    """
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # pragma: no cover  (not POSIX)
        memory = 0
    for path in _CGROUP_LIMITS:
        try:
            with open(path) as f:
                text = f.readline().strip()
        except OSError:
            continue
        if text.isdigit() and (memory <= 0 or 0 < int(text) < memory):
            memory = int(text)
    return max(0, memory)


def memory_estimate(scenario) -> dict[str, int]:
    """Bytes a run of ``scenario`` (a Scenario) needs, about, by part.

    Keys: agents, days, bytes_per_agent, agent_bytes, table_bytes (daily KPI
    tables), working_bytes (per-chunk tallies, campaign candidate lists),
    total_bytes. Allocates nothing.
    """
    try:
        return dict(_core.estimate_memory(scenario.engine_dict()))
    except _core.ScenarioError as e:
        raise scenario.engine_error(e) from e


def check_memory(scenario, limit: int | None = None) -> None:
    """Raises MemoryLimitError when a run of ``scenario`` needs more than ``limit`` bytes.

    limit: None = this machine's memory (:func:`machine_memory`). The message
    gives the estimate, the memory and what holds it.
    """
    machine = limit is None
    limit = machine_memory() if machine else int(limit)
    if limit <= 0:
        return
    try:
        _core.check_memory(scenario.engine_dict(), limit, machine=machine)
    except _core.MemoryLimitError as e:
        raise MemoryLimitError(f"{scenario.source}: {e}") from None
    except _core.ScenarioError as e:
        raise scenario.engine_error(e) from e
