"""A loopback TCP proxy whose open connections can be frozen (bytes stop flowing, sockets stay open).

That is what a dead NAT entry or a pulled cable looks like to both ends: no FIN, no RST, silence.
"""

from __future__ import annotations

import asyncio
import contextlib


class _Pipe:
    def __init__(self) -> None:
        self.frozen = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.writers: list[asyncio.StreamWriter] = []


class StallingProxy:
    """Forwards 127.0.0.1:<port> to ``upstream_port``; :meth:`freeze` silences current connections."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.connections = 0
        self._pipes: list[_Pipe] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> StallingProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for pipe in self._pipes:
            for task in pipe.tasks:
                task.cancel()
            for w in pipe.writers:
                w.close()
            await asyncio.gather(*pipe.tasks, return_exceptions=True)
        await self._server.wait_closed()

    def freeze(self) -> None:
        """Stop forwarding on every connection open now (new ones flow normally)."""
        for pipe in self._pipes:
            pipe.frozen.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        pipe = _Pipe()
        pipe.writers = [writer, up_writer]
        self._pipes.append(pipe)
        pipe.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, pipe)),
            asyncio.create_task(self._pump(up_reader, writer, pipe)),
        ]

    @staticmethod
    async def _pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, pipe: _Pipe) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while not pipe.frozen.is_set():
                data = await src.read(65536)
                if not data or pipe.frozen.is_set():
                    break
                dst.write(data)
                await dst.drain()
            if pipe.frozen.is_set():
                await asyncio.Event().wait()  # hold the sockets open, silent, until cancelled
            dst.close()
