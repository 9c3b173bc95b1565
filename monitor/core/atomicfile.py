"""The one atomic file writer: settings, UI state and the command outbox all save through it.

Core is otherwise free of I/O; this is the exception the settings already made (a file save is
pure enough: no Qt, no network, no event loop), kept in one place so every JSON file the app
writes survives a crash mid-write the same way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic"]


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, creating the folder if needed.

    A temporary file in the same folder is written, flushed to disk (``fsync``) and renamed over
    the target (``os.replace``): readers see the old file or the new one, never half of one.

    Raises:
        OSError: If the folder cannot be created or written; the old file is then untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
