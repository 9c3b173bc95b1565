"""``monitor watch --json`` as a real subprocess, its output lines collected as they arrive."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from typing import Any

__all__ = ["Watch"]


class Watch:
    """``python -m monitor watch URL --json ARGS...``; :attr:`events` grows as lines arrive."""

    def __init__(self, url: str, *args: str) -> None:
        # --verbose: heartbeats too (the tests wait on them); data is the decoded JSON value.
        self.argv = [sys.executable, "-m", "monitor", "watch", url, "--json", "--verbose", *args]
        self.events: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self.returncode: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        """Printed events of these types, in order."""
        return [e for e in self.events if e["type"] in types]

    async def __aenter__(self) -> Watch:
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._proc.stdout is not None
        assert self._proc.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(self._proc.stdout, lambda s: self.events.append(json.loads(s)))),
            asyncio.create_task(self._read(self._proc.stderr, self.stderr.append)),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._proc is not None
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self._proc.wait(), 10)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)
        self.returncode = self._proc.returncode

    def exited(self) -> bool:
        """The watcher has exited (gave up, refused, ...)."""
        return self._proc is not None and self._proc.returncode is not None

    @staticmethod
    async def _read(stream: asyncio.StreamReader, sink: Any) -> None:
        async for raw in stream:
            sink(raw.decode("utf-8", "replace").rstrip("\n"))
