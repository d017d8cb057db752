"""File paths written inside scenario files, resolved safely.

A scenario may one day name other files (a word-of-mouth network's edge
list, a transaction log for calibration). Such a path is read relative to
the folder of the scenario file, and it may not lead out of that folder
(``../../etc/passwd``, an absolute path, a symbolic link pointing elsewhere)
unless the caller allows absolute paths explicitly: a scenario received from
someone else cannot make crmsim read arbitrary files. Every feature that
reads a path from a scenario goes through :func:`resolve_scenario_path`.
"""

from __future__ import annotations

import os

from .errors import ScenarioError

__all__ = ["resolve_scenario_path"]


def resolve_scenario_path(scenario_file: str | os.PathLike[str] | None, value: object,
                          allow_absolute: bool = False, field: str = "path") -> str:
    """The absolute, real path of the file that ``value`` names in a scenario.

    scenario_file: the scenario file the value comes from; relative paths are
        read from its folder. None (a scenario built from text or a dict) reads
        them from the current folder.
    value: the path as written in the scenario.
    allow_absolute: accept absolute paths, and relative ones that lead out of
        the scenario's folder. Off by default.
    field: the field path, for messages (``network.edges``).

    Raises ScenarioError naming the scenario file and the field when the
    value is not a path, is absolute, or leads out of the scenario's folder
    (symbolic links are followed before the check). The file itself need not
    exist yet.
    """
    source = os.fspath(scenario_file) if scenario_file is not None else "<scenario>"
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(f"{source}: {field}: must be a file path, got {value!r}")
    if "\x00" in value:
        raise ScenarioError(f"{source}: {field}: must be a file path, got a path with a NUL "
                            "character")
    base = os.path.dirname(os.path.abspath(source)) if scenario_file is not None else os.getcwd()
    base = os.path.realpath(base)
    if os.path.isabs(value):
        if not allow_absolute:
            raise ScenarioError(
                f"{source}: {field}: must be a path relative to the scenario's folder, got the "
                f"absolute path {value!r} (absolute paths are allowed only when the caller "
                "says so: allow_absolute=True)")
        return os.path.realpath(value)
    resolved = os.path.realpath(os.path.join(base, value))
    if not allow_absolute and os.path.commonpath([base, resolved]) != base:
        raise ScenarioError(
            f"{source}: {field}: {value!r} leads out of the scenario's folder {base!r} (to "
            f"{resolved!r}); keep the file next to the scenario or below it")
    return resolved
