"""Pause Python's cyclic GC while a bulk of long-lived objects is built.

A 100,000-task snapshot creates millions of objects that all stay alive. While they are built,
every full collection walks the growing heap again, which doubled the time to validate and to
apply such a snapshot (measured in docs/performance.md, C5). Nothing cyclic needs freeing in
between, and the app freezes the heap right after a large snapshot anyway.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused(active: bool = True) -> Iterator[None]:
    """Disable the cyclic GC inside the block when ``active`` (restored on exit, also on error).

    Args:
        active: Pause only when this is true (callers pass "the bulk is large").
    """
    pause = active and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.enable()
