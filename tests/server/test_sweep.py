"""A closed stream is unregistered within about a second, not at its next keep-alive write."""

from __future__ import annotations

import socket
import time

import httpx

from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread


def _connections(url: str) -> int:
    body = httpx.get(url + "/api/connections", timeout=5).json()
    items = body.get("connections", body) if isinstance(body, dict) else body
    return len(items)


def test_closed_stream_is_swept_before_the_next_keepalive() -> None:
    cfg = ServerConfig(port=0, db=":memory:", heartbeat_interval_ms=60_000, keepalive_interval_ms=60_000)
    with ServerThread(create_app(cfg)) as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        sock.sendall(b"GET /api/tasks/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 200")
        assert _connections(srv.url) == 1
        sock.close()
        closed_at = time.monotonic()
        while _connections(srv.url) and time.monotonic() - closed_at < 5:
            time.sleep(0.05)  # polling the server's registry with a deadline, not synchronising
        gone_after = time.monotonic() - closed_at
        assert _connections(srv.url) == 0
        assert gone_after < 3.0  # the sweep runs every second; the keep-alive would take 60 s
