"""Waiting in tests: on a condition inside an async test (no sleeps as synchronisation), and on a
child process to stop."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable

__all__ = ["stop_process", "until"]


def stop_process(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 10.0) -> int:
    """SIGTERM, then SIGKILL if ``proc`` has not exited within ``grace`` seconds; its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait(5)


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
