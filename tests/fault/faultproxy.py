"""A loopback TCP proxy that injects the faults a flaky network makes, chosen by a seeded RNG.

Every connection from the client is forwarded to ``127.0.0.1:<upstream_port>``. The
server-to-client direction is where the faults go: after a random number of bytes the proxy
applies one of :class:`Fault`:

* ``RST``: the client's socket is closed with ``SO_LINGER {1, 0}``, so the kernel sends a reset.
* ``FIN``: an orderly close of both sides (the client reads EOF, maybe between two events).
* ``CUT``: the bytes are forwarded up to a few bytes into the next ``data:`` line, then FIN: the
  client holds half an event that never completes.
* ``SLOW``: the next few hundred bytes go out one byte per write (then the connection goes on
  and another fault is drawn).
* ``STALL``: nothing more is forwarded and both sockets stay open (a dead NAT entry, a pulled
  cable): only the client's heartbeat watchdog can notice. The time from the stall to the
  client closing its side is recorded in :attr:`FaultProxy.stall_detections`.

A connection that cannot reach the upstream (the server is being restarted) is reset at once.
:attr:`FaultProxy.calm` stops injecting (for the tail of a run, so that the client catches up).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
import socket
import struct
import time
from collections import Counter

__all__ = ["Fault", "FaultProxy"]

#: Bytes forwarded before the next fault: from a few (inside the response headers) to a few events.
FAULT_AFTER_BYTES = (40, 2500)
#: Bytes sent one by one in a SLOW fault.
SLOW_BYTES = (50, 300)
_CHUNK = 65536


class Fault(enum.Enum):
    """What the proxy does to a connection (see the module docstring)."""

    RST = "rst"
    FIN = "fin"
    CUT = "cut mid-event"
    SLOW = "slow"
    STALL = "stall"


class _Link:
    """One proxied connection: the server's reader, the client's and the server's writers, when
    its stall began (None: not stalled), and whether it carries the event stream (its first
    request asks for ``/stream``)."""

    __slots__ = ("client", "server", "stalled_at", "stream", "up_writer")

    def __init__(
        self, server: asyncio.StreamReader, client: asyncio.StreamWriter, up_writer: asyncio.StreamWriter
    ) -> None:
        self.server, self.client, self.up_writer = server, client, up_writer
        self.stalled_at: float | None = None
        self.stream: bool | None = None


_WEIGHTS = {Fault.RST: 2, Fault.FIN: 2, Fault.CUT: 2, Fault.SLOW: 2, Fault.STALL: 1}


class FaultProxy:
    """Forwards 127.0.0.1:<port> to ``upstream_port``, injecting faults drawn from ``rng``.

    Args:
        upstream_port: The server's port (kept across its restarts).
        rng: The seeded RNG every choice is drawn from.
    """

    def __init__(self, upstream_port: int, rng: random.Random) -> None:
        self.upstream_port = upstream_port
        self.rng = rng
        self.port = 0
        self.calm = False
        self.injected: Counter[Fault] = Counter()
        self.refused = 0
        #: Seconds from a stall to the client closing the connection: event streams, other requests.
        self.stall_detections: list[float] = []
        self.other_stall_detections: list[float] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> FaultProxy:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self._server, self.port = server, server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def faults(self) -> int:
        """Faults injected so far (all kinds)."""
        return sum(self.injected.values())

    def _spawn(self, coro: object) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            self.refused += 1
            _reset(writer)
            self._writers.discard(writer)
            return
        self._writers.add(up_writer)
        link = _Link(up_reader, writer, up_writer)
        self._spawn(self._upstream(reader, up_writer, link))
        self._spawn(self._downstream(link))

    async def _upstream(
        self, client: asyncio.StreamReader, server: asyncio.StreamWriter, link: _Link
    ) -> None:
        """Client -> server, untouched; notes when the client gives up on a stalled connection."""
        with contextlib.suppress(ConnectionError, OSError):
            while data := await client.read(_CHUNK):
                if link.stream is None:
                    link.stream = b"/stream" in data.split(b"\r\n", 1)[0]
                if link.stalled_at is None:
                    server.write(data)
                    await server.drain()
        if link.stalled_at is not None:
            detections = self.stall_detections if link.stream else self.other_stall_detections
            detections.append(time.monotonic() - link.stalled_at)
        _close(server)

    async def _downstream(self, link: _Link) -> None:
        """Server -> client, with one fault after another until one ends the connection."""
        try:
            await self._forward_with_faults(link)
        except (ConnectionError, OSError):
            _close(link.client)
            _close(link.up_writer)
        finally:
            self._writers.discard(link.client)
            self._writers.discard(link.up_writer)

    def _draw(self) -> tuple[Fault, int]:
        fault = self.rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]
        return fault, self.rng.randint(*FAULT_AFTER_BYTES)

    async def _forward_with_faults(self, link: _Link) -> None:
        server, client, up_writer = link.server, link.client, link.up_writer
        fault, budget = self._draw()
        pending = b""
        while True:
            data = pending or await server.read(_CHUNK)
            pending = b""
            if not data:
                _close(client)
                return
            if self.calm or len(data) < budget:
                budget -= 0 if self.calm else len(data)
                client.write(data)
                await client.drain()
                continue
            head, data = data[:budget], data[budget:]
            client.write(head)
            await client.drain()
            if fault is Fault.SLOW:
                self.injected[fault] += 1
                pending = await self._slow(server, client, data)
                fault, budget = self._draw()
                continue
            if fault is Fault.CUT:
                data = await self._to_mid_event(server, client, data)
                if data is None:
                    return  # the server closed first: no fault made
            self.injected[fault] += 1
            if fault is Fault.RST:
                _reset(client)
                _close(up_writer)
            elif fault is Fault.STALL:
                link.stalled_at = time.monotonic()
                # Hold both sockets open and silent; the client's watchdog must notice.
                while await server.read(_CHUNK):
                    pass
                await asyncio.Event().wait()
            else:  # FIN and CUT
                _close(client)
                _close(up_writer)
            return

    async def _slow(self, server: asyncio.StreamReader, client: asyncio.StreamWriter, data: bytes) -> bytes:
        """Send SLOW_BYTES one byte per write; return what is left over."""
        count = self.rng.randint(*SLOW_BYTES)
        while count > 0:
            if not data:
                data = await server.read(_CHUNK)
                if not data:
                    return b""
            client.write(data[:1])
            await client.drain()
            data = data[1:]
            count -= 1
            await asyncio.sleep(0.001)  # pacing the bytes out, not waiting for anything
        return data

    async def _to_mid_event(
        self, server: asyncio.StreamReader, client: asyncio.StreamWriter, data: bytes
    ) -> bytes | None:
        """Forward up to a few bytes into the next ``data:`` line; None if the server closed first."""
        while True:
            at = data.find(b"data:")
            if at >= 0:
                client.write(data[: at + 7])
                await client.drain()
                return data[at + 7 :]
            client.write(data)
            await client.drain()
            data = await server.read(_CHUNK)
            if not data:
                _close(client)
                return None


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        writer.close()
