"""Writing files atomically: readers see the old file or the whole new one, never a part."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], None]) -> None:
    """Calls ``write(temp_path)`` for a temporary file beside ``path``, then renames it to ``path``.

    The temporary file is in the same folder so that the rename is atomic
    (os.replace within one file system). On any error, including Ctrl-C, the
    temporary file is removed and ``path`` is left as it was.
    """
    target = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(target))
    # A fresh name rather than mkstemp: the writer creates the file, so it
    # gets the usual permissions (mkstemp's are owner-only).
    temp = os.path.join(folder, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
