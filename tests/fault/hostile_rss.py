"""Peak RSS of ``monitor watch`` under each hostile stream of issue 13 (docs/reliability.md).

Run: ``python -m tests.fault.hostile_rss [NAME...]`` (one line per stream; names select streams by
substring). For each stream a
scripted raw HTTP server (:mod:`tests.client.rawhttp`) on 127.0.0.1 serves the hostile bytes and
then one ``sentinel`` event, and keeps the connection open; ``python -m monitor watch URL`` runs
as a child process. Once the child printed the sentinel (it read everything) or came back for a
second request (it gave up on the first stream, as it must for an endless line), its peak RSS is
read from ``VmHWM`` in ``/proc/<pid>/status``, and it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.client.rawhttp import RawServer, Request

__all__ = ["HOSTILE_STREAMS", "HostileStream", "measure", "peak_rss_kib"]

ROOT = Path(__file__).resolve().parents[2]
_SENTINEL = b"id: sentinel\nevent: message\ndata: sentinel\n\n"


def _gzip(parts: list[tuple[bytes, int]]) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [co.compress(block) for block, times in parts for _ in range(times)]
    out.append(co.flush())
    return b"".join(out)


@dataclass(frozen=True)
class HostileStream:
    """One stream: its name, the body after the headers (built lazily), and extra headers."""

    name: str
    body: Callable[[], bytes]
    gzip: bool = False


_MIB = 1 << 20
_DEEP = b"[" * 100_000 + b"]" * 100_000

HOSTILE_STREAMS: tuple[HostileStream, ...] = (
    HostileStream(
        "baseline: 3 events", lambda: b"id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n" + _SENTINEL
    ),
    HostileStream(
        "gzip bomb: 16 MiB of newlines (16 KB on the wire)",
        lambda: _gzip([(b"\n" * _MIB, 16), (_SENTINEL, 1)]),
        gzip=True,
    ),
    HostileStream(
        "gzip bomb: 64 MiB of newlines (64 KB on the wire)",
        lambda: _gzip([(b"\n" * _MIB, 64), (_SENTINEL, 1)]),
        gzip=True,
    ),
    HostileStream(
        "gzip bomb: one 128 MiB line (130 KB on the wire)",
        lambda: _gzip([(b"data: ", 1), (b"x" * _MIB, 128), (b"\n\n" + _SENTINEL, 1)]),
        gzip=True,
    ),
    HostileStream(
        "nested JSON: 100,000 deep (task_progress data)",
        lambda: b'id: 1\nevent: task_progress\ndata: {"id":"a","progress":' + _DEEP + b"}\n\n" + _SENTINEL,
    ),
    HostileStream("huge retry: 100,000 digits", lambda: b"retry: " + b"9" * 100_000 + b"\n\n" + _SENTINEL),
    HostileStream(
        "endless line: 64 MiB without a newline (uncompressed)",
        lambda: b"data: " + b"x" * (64 * _MIB) + b"\n\n" + _SENTINEL,
    ),
)


def peak_rss_kib(pid: int) -> int:
    """``VmHWM`` (peak resident set) of a live process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc status")


async def measure(hostile: HostileStream, timeout: float = 240.0) -> tuple[int, str]:
    """Peak RSS (KiB) of ``monitor watch`` reading ``hostile``, and how the reading ended."""
    body = hostile.body()
    hold = asyncio.Event()

    async def handler(_req: Request, w: asyncio.StreamWriter) -> None:
        headers = "Content-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n"
        if hostile.gzip:
            headers += "Content-Encoding: gzip\r\n"
        w.write(b"HTTP/1.1 200 OK\r\n" + headers.encode() + b"\r\n")
        for at in range(0, len(body), 1 << 16):
            w.write(body[at : at + (1 << 16)])
            await w.drain()
        await hold.wait()  # keep the stream open: the child must not leave on its own

    async with RawServer() as srv:
        srv.script("/api/tasks/stream", handler)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor",
            "watch",
            "--no-polling",
            f"{srv.url}/api/tasks/stream",
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        printed = asyncio.ensure_future(_read_until(proc.stdout, b"sentinel"))
        came_back = asyncio.ensure_future(srv.wait_requests(2, timeout))
        try:
            done, _ = await asyncio.wait(
                {printed, came_back}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                raise TimeoutError(
                    f"{hostile.name}: monitor watch neither read it all nor gave up in {timeout} s"
                )
            how = "read to the end" if printed in done and printed.result() else "gave up, reconnected"
            return peak_rss_kib(proc.pid), how
        finally:
            for fut in (printed, came_back):
                fut.cancel()
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            hold.set()


async def _read_until(stream: asyncio.StreamReader, marker: bytes) -> bool:
    while line := await stream.readline():
        if marker in line:
            return True
    return False


async def _main(names: list[str]) -> None:
    for hostile in HOSTILE_STREAMS:
        if names and not any(name in hostile.name for name in names):
            continue
        started = time.monotonic()
        kib, how = await measure(hostile)
        took = time.monotonic() - started
        print(f"{hostile.name:<55} peak RSS {kib / 1024:7.1f} MiB  ({how}, {took:.1f} s)", flush=True)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
