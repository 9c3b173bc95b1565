"""Stand-in servers as child processes on 127.0.0.1, and a proxy that can cut their connections.

Every stand-in prints one ``REQ {"method", "url", "lastEventId"}`` line per request on stdout
(node servers through ``node/request_log.js``, Python ones through :func:`log_request`), so a test
counts requests and reads the query and cursor a client really sent. A child is started on a
port chosen here, so it can be killed and started again on the same port (a server restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.client.tcpproxy import StallingProxy

__all__ = [
    "CuttingProxy",
    "Request",
    "ServerProcess",
    "asgi_request_log",
    "free_port",
    "log_request",
    "python_server",
]

HERE = Path(__file__).parent
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_request(method: str, target: str, last_event_id: str | None) -> None:
    """Print the ``REQ`` line a Python stand-in writes per request."""
    line = json.dumps({"method": method, "url": target, "lastEventId": last_event_id})
    print("REQ " + line, flush=True)


def asgi_request_log(app: Any) -> Any:
    """Wrap an ASGI app so it logs every HTTP request (a pure ASGI wrapper: it changes nothing
    about streaming or disconnect detection, which Starlette's ``BaseHTTPMiddleware`` would)."""

    async def logged(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            query = scope["query_string"].decode()
            cursor = dict(scope["headers"]).get(b"last-event-id")
            log_request(
                scope["method"],
                scope["path"] + (f"?{query}" if query else ""),
                cursor.decode() if cursor is not None else None,
            )
        await app(scope, receive, send)

    return logged


@dataclass(frozen=True)
class Request:
    """One request a stand-in received."""

    method: str
    url: str  # path and query, as sent
    last_event_id: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)


class ServerProcess:
    """A stand-in server child; :meth:`restart` kills it and starts it again on the same port.

    Args:
        argv: The command (``{port}`` in an argument is replaced by the port).
        ready: True once a stdout line says the server listens.
        env: Extra environment (``PORT`` is always set).
    """

    def __init__(
        self, argv: Sequence[str], *, ready: Callable[[str], bool], env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._argv = [a.replace("{port}", str(self.port)) for a in argv]
        self._ready = ready
        # The repository root on the path: stand-ins are modules of ``tests`` (``python -m``), and
        # the child must import this checkout's ``monitor``, whatever the venv's install points at.
        path = os.pathsep.join(p for p in (str(HERE.parents[1]), os.environ.get("PYTHONPATH")) if p)
        self._env = {
            **os.environ,
            **(env or {}),
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": path,
        }
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self.output: list[str] = []  # every stdout/stderr line, for failure messages
        self.lifetimes = 0
        self._popen: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests(self, path: str | None = None) -> list[Request]:
        """Requests received so far (all lifetimes), optionally only those for ``path``."""
        with self._lock:
            got = list(self._requests)
        return [r for r in got if path is None or r.path == path]

    def start(self) -> None:
        """Start the child and wait until it says it listens."""
        ready = threading.Event()
        self._popen = subprocess.Popen(
            self._argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self._env, cwd=HERE
        )
        self.lifetimes += 1
        self._reader = threading.Thread(target=self._read, args=(self._popen, ready), daemon=True)
        self._reader.start()
        if not ready.wait(START_TIMEOUT_S) or self._popen.poll() is not None:
            self.stop()
            tail = "\n".join(self.output[-20:])
            raise AssertionError(f"{self._argv[:2]} did not start:\n{tail}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s."""
        p, self._popen = self._popen, None
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self._join_reader()

    def kill(self) -> None:
        """SIGKILL: the process dies without closing anything gracefully."""
        p, self._popen = self._popen, None
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(5)
        self._join_reader()

    def _join_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.join(5)  # it closes the pipe at EOF

    def restart(self) -> None:
        """A new process on the same port (all in-memory state, ids included, starts over)."""
        self.kill()
        self.start()

    def _read(self, popen: subprocess.Popen[bytes], ready: threading.Event) -> None:
        assert popen.stdout is not None
        for raw in popen.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.output.append(line)
                if line.startswith("REQ "):
                    d = json.loads(line[4:])
                    self._requests.append(Request(d["method"], d["url"], d["lastEventId"]))
            if not ready.is_set() and self._ready(line):
                ready.set()
        popen.stdout.close()
        ready.set()  # the child exited: start() notices poll() and reports the output


def python_server(module: str, *args: str) -> list[str]:
    """argv for ``python -m <module> --port {port} ...``."""
    return [sys.executable, "-m", module, "--port", "{port}", *args]


class CuttingProxy(StallingProxy):
    """The stalling proxy plus :meth:`cut`: close both ends of every open connection at once."""

    async def cut(self) -> None:
        """What a dropped connection looks like to both ends: the sockets close (new ones flow)."""
        pipes, self._pipes = self._pipes, []
        for pipe in pipes:
            for task in pipe.tasks:
                task.cancel()
            for w in pipe.writers:
                w.close()
            await asyncio.gather(*pipe.tasks, return_exceptions=True)
            for w in pipe.writers:
                with contextlib.suppress(ConnectionError):
                    await w.wait_closed()

    async def refuse(self) -> None:
        """The stream endpoint is gone: stop listening (new connections are refused) and cut."""
        assert self._server is not None
        self._server.close()
        await self.cut()

    async def wait_connections(self, n: int, timeout: float = 10.0) -> None:
        """Wait until ``n`` connections have been accepted in total."""
        deadline = time.monotonic() + timeout
        while self.connections < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"proxy saw {self.connections} connections, expected {n}")
            await asyncio.sleep(0.01)
