"""Public exception types of crmsim.

Every error a user can cause on purpose (a bad scenario file, a bad argument)
is a :class:`CrmsimError`, so that callers and the CLI can tell user errors
from bugs.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CrmsimError", "ScenarioError", "ResultsFileError", "CalibrationError",
           "InvariantError", "MemoryLimitError"]


class CrmsimError(Exception):
    """Base class of the errors crmsim raises on purpose."""


class ScenarioError(CrmsimError, ValueError):
    """A scenario that cannot be run.

    ``errors`` lists every problem found, one message each, in the form
    ``"baseline.yaml: segments[1].churn.annual_rate: must be between 0 and 1, got 1.7"``;
    ``str(error)`` is those messages, one per line. It is a ValueError so that
    code catching bad values in general catches it too.
    """

    def __init__(self, errors: Iterable[str] | str):
        messages = [errors] if isinstance(errors, str) else list(errors)
        if not messages:
            # An error with nothing in it would hide the bug that raised it.
            raise ValueError("ScenarioError needs at least one message")
        self.errors: list[str] = messages
        super().__init__("\n".join(messages))

    def __reduce__(self):
        # Pickle (e.g. across Dask workers) with the message list, not the joined text.
        return (type(self), (self.errors,))


class ResultsFileError(CrmsimError):
    """A results file or checkpoint that cannot be read or written.

    The message names the file and what is wrong: missing, not HDF5, an
    HDF5 file that is not a crmsim result, written by a newer crmsim
    (format version), truncated, or a folder that cannot be written to.
    ``path`` is the file's path as given.
    """

    def __init__(self, message: str, path: str | None = None):
        self.path = path
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (str(self), self.path))


class CalibrationError(CrmsimError, ValueError):
    """A transaction log that cannot be calibrated (crmsim.calibrate).

    The message names the problem: a missing column, dates or amounts that
    cannot be read, negative amounts, too few repeat buyers to fit, or a
    likelihood without a maximum.
    """


class InvariantError(CrmsimError, RuntimeError):
    """An engine invariant broke: a bug in crmsim, or engine state corrupted from outside.

    Only runs with checks on look (environment variable ``CRMSIM_CHECKS=1``,
    or an engine built with the CMake option ``CRMSIM_CHECKS=ON``); the
    message names the day, the segment or campaign, the invariant and the
    values, e.g. ``invariant 'closed market' broken at the end of day 12,
    segment 'young': the 7 states add up to 30,010 people, market_size is
    30,011``. Please report it with the scenario and seed.
    """


class MemoryLimitError(CrmsimError, MemoryError):
    """A run that would not fit in this machine's memory, refused before anything is allocated.

    The message gives the estimate and the memory, e.g. ``4,000,000,000
    agents for 730 days need about 216 GB; this machine has 25 GB (...)``.
    """
