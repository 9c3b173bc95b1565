"""Waiting on a condition inside an async test (no sleeps as synchronisation)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["until"]


async def until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    """Wait until ``predicate()`` is true, checking every 10 ms; fail after ``timeout``.

    The 10 ms turn only yields to the tasks under test (events arrive as callbacks); the deadline
    bounds the wait.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
