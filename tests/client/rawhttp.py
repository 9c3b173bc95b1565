"""A scriptable HTTP/1.1 server on 127.0.0.1 for exact response-rule tests.

Each request is answered by the next scripted handler (the last one repeats). A handler gets the
parsed request and the writer, writes whatever bytes it wants (status, headers, stalls, resets)
and returns; the connection is then closed. Real sockets, real httpx on the other side: only the
server's behaviour is scripted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    handlers: dict[str, list[Handler]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.Server | None = None
    _conns: set[asyncio.Task[None]] = field(default_factory=set)
    port: int = 0

    def script(self, path: str, *handlers: Handler) -> None:
        self.handlers[path] = list(handlers)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            await asyncio.gather(*self._conns, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def wait_requests(self, n: int, timeout: float = 5.0) -> list[Request]:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.requests) >= n), timeout)
        return self.requests

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = b""
            if int(headers.get("content-length", "0") or 0):
                body = await reader.readexactly(int(headers["content-length"]))
            req = Request(method, target, headers, body)
            async with self.arrived:
                self.requests.append(req)
                self.arrived.notify_all()
            queue = self.handlers.get(req.path) or self.handlers.get("*") or [not_found]
            handler = queue.pop(0) if len(queue) > 1 else queue[0]
            await handler(req, writer)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            # Swallow cancellation too: asyncio's start_server callback calls task.exception()
            # on a finished handler, which raises for a cancelled one (and logs a traceback).
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._conns.discard(task)


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Handler:
    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        hdrs = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
        w.write(
            f"HTTP/1.1 {status} X\r\n".encode() + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()).encode()
        )
        w.write(b"\r\n" + body)

    return handler


def stream(
    *chunks: bytes,
    stall: asyncio.Event | None = None,
    content_type: str = "text/event-stream",
    headers: dict[str, str] | None = None,
) -> Handler:
    """A 200 event stream writing ``chunks`` then ending (or stalling until ``stall`` is set)."""

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        hdrs = {
            "Content-Type": content_type,
            "Cache-Control": "no-store",
            "Connection": "close",
            **(headers or {}),
        }
        w.write(b"HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()).encode() + b"\r\n")
        for chunk in chunks:
            w.write(chunk)
            await w.drain()
        if stall is not None:
            await stall.wait()

    return handler


async def not_found(req: Request, w: asyncio.StreamWriter) -> None:
    await response(404, b"no such path")(req, w)
