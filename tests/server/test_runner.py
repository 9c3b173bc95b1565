"""ServerThread: start/stop, free port, keep-alive latency, lifecycle errors."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from monitor.server.runner import ServerThread


async def plain(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    # Two writes (headers, then body), as every framework does: the Nagle trap.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_start_stop_and_url() -> None:
    server = ServerThread(plain)
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0
    with server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sk:
            sk.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sk.recv(1000).startswith(b"HTTP/1.1 200")
        with pytest.raises(RuntimeError):
            server.start()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
        pass


def test_keepalive_requests_are_not_delayed_by_nagle() -> None:
    with ServerThread(plain) as server, socket.create_connection(("127.0.0.1", server.port), timeout=5) as sk:
        times = []
        for _ in range(6):
            t0 = time.perf_counter()
            sk.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"ok"):
                data += sk.recv(1000)
            times.append(time.perf_counter() - t0)
        # Without TCP_NODELAY every request after the first takes ~40 ms (delayed ACK).
        assert sorted(times)[3] < 0.02, times


def test_two_servers_get_distinct_ports() -> None:
    with ServerThread(plain) as a, ServerThread(plain) as b:
        assert a.port != b.port
