"""Run ``python -m monitor watch`` as a real subprocess (shared by the watch tests)."""

from __future__ import annotations

import asyncio
import os
import sys

__all__ = ["run_watch"]


async def run_watch(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    """Run ``monitor watch ARGS`` to its end; return (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor",
        "watch",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
