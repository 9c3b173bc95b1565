"""Test helpers: a raw-socket SSE client and a minimal hub-only ASGI app.

The client speaks HTTP/1.1 over ``asyncio.open_connection`` so tests control exactly what is read
(and can stop reading, for the slow-consumer test). The SSE parser is a tiny local one (the
spec-exact decoder in ``monitor.core.sse`` belongs to another part and is not required here).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from monitor.server.hub import Hub, HubSettings
from monitor.server.log import EventLog, MemoryLog
from monitor.server.stream import StreamEndpoint
from tests.waiting import until  # re-exported: the server tests import it from here

__all__ = ["HubApp", "RawSSE", "SSEEvent", "parse_blocks", "until"]


@dataclass
class SSEEvent:
    """One dispatched SSE block (comments are kept as type ``:comment``)."""

    type: str
    data: str
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """``data`` parsed as JSON."""
        return json.loads(self.data)


def parse_blocks(buffer: bytes) -> tuple[list[SSEEvent], bytes]:
    """Split complete ``\\n\\n``-terminated blocks off ``buffer``; return events and the rest."""
    events: list[SSEEvent] = []
    while b"\n\n" in buffer:
        block, buffer = buffer.split(b"\n\n", 1)
        ev = SSEEvent(type="message", data="")
        data: list[str] = []
        seen = False
        for line in block.decode().split("\n"):
            if line.startswith(":"):
                ev.type = ":comment"
                seen = True
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
                seen = True
            elif name == "event":
                ev.type = value
            elif name == "id":
                ev.id = value
            elif name == "retry":
                ev.retry = int(value)
                seen = True
        ev.data = "\n".join(data)
        if seen:
            events.append(ev)
    return events, buffer


@dataclass
class RawSSE:
    """A raw HTTP/1.1 SSE client (chunked transfer decoding included)."""

    url: str
    path: str = "/api/tasks/stream"
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _buf: bytes = b""
    _pending: list[SSEEvent] = field(default_factory=list)
    closed_by_server: bool = False

    async def open(self, timeout: float = 5.0) -> RawSSE:
        """Connect, send the GET and read the status line and headers."""
        parts = urlsplit(self.url)
        async with asyncio.timeout(timeout):
            self._reader, self._writer = await asyncio.open_connection(parts.hostname, parts.port)
            lines = [f"GET {self.path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: text/event-stream"]
            lines += [f"{k}: {v}" for k, v in self.headers.items()]
            self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await self._writer.drain()
            head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        for line in header_lines:
            if ":" in line:
                k, v = line.split(":", 1)
                self.response_headers[k.strip().lower()] = v.strip()
        return self

    async def _read_chunk(self) -> bytes | None:
        assert self._reader is not None
        if self.response_headers.get("transfer-encoding") != "chunked":
            data = await self._reader.read(65536)
            return data or None
        size_line = await self._reader.readuntil(b"\r\n")
        size = int(size_line.strip(), 16)
        if size == 0:
            return None
        data = await self._reader.readexactly(size + 2)
        return data[:-2]

    async def next_event(self, timeout: float = 5.0, *, comments: bool = False) -> SSEEvent | None:
        """The next event (None when the server ends the stream)."""
        async with asyncio.timeout(timeout):
            while True:
                while self._pending:
                    ev = self._pending.pop(0)
                    if comments or ev.type != ":comment":
                        return ev
                try:
                    chunk = await self._read_chunk()
                except (asyncio.IncompleteReadError, ConnectionError):
                    chunk = None
                if chunk is None:
                    self.closed_by_server = True
                    return None
                events, self._buf = parse_blocks(self._buf + chunk)
                self._pending.extend(events)

    async def read_body(self, timeout: float = 5.0) -> bytes:
        """The whole (non-streaming) body."""
        out = b""
        async with asyncio.timeout(timeout):
            while (chunk := await self._read_chunk()) is not None:
                out += chunk
                if "content-length" in self.response_headers and len(out) >= int(
                    self.response_headers["content-length"]
                ):
                    break
        return out

    async def close(self) -> None:
        """Close the socket."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None

    async def __aenter__(self) -> RawSSE:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class HubApp:
    """Lifespan + stream endpoint only: tests the streaming core without the task service."""

    def __init__(self, log: EventLog | None = None, *, replay_page: int = 50, **settings: Any) -> None:
        self.log = log or MemoryLog()
        self.hub = Hub(self.log, settings=HubSettings(**settings))
        self.endpoint = StreamEndpoint(self.hub, replay_page=replay_page)

    def begin_shutdown(self) -> None:
        self.hub.begin_shutdown()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await self.hub.start()
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    self.hub.begin_shutdown()
                    await self.hub.wait_idle(2.0)
                    await self.hub.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.endpoint(scope, receive, send)
