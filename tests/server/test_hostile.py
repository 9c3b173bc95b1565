"""Hostile clients and a hostile machine (issue 13, server items): full disk, deep JSON, bad ids.

Real uvicorn on 127.0.0.1 (``ServerThread``) and real sockets; the full disk is a fault-injecting
layer over the real SQLite connection (a tmpfs needs root, which CI does not have).
"""

from __future__ import annotations

import os
import resource
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import ValidationError

from monitor.core.protocol import ErrorBody, Snapshot, Task, TaskSnapshotEvent
from monitor.server.app import create_app
from monitor.server.config import ServerConfig, load_config
from monitor.server.log import EARLIEST
from monitor.server.runner import ServerThread
from monitor.server.sqlite_log import SqliteLog
from tests.server.sse_helpers import RawSSE
from tests.server.test_app import QUIET, http, next_of


class FullDisk:
    """The SQLite connection with a disk that fills up: ``COMMIT`` fails ``fails`` times.

    ``sqlite_undid`` mimics SQLite rolling the transaction back by itself (it may, on SQLITE_FULL);
    otherwise the transaction stays open after the error, the other case SQLite documents.
    """

    def __init__(self, real: sqlite3.Connection, fails: int, *, sqlite_undid: bool) -> None:
        self.real = real
        self.fails = fails
        self.sqlite_undid = sqlite_undid

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        if sql == "COMMIT" and self.fails > 0:
            self.fails -= 1
            if self.sqlite_undid:
                self.real.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return self.real.execute(sql, params)

    @property
    def in_transaction(self) -> bool:
        return self.real.in_transaction

    def close(self) -> None:
        self.real.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("sqlite_undid", [False, True], ids=["tx-left-open", "sqlite-rolled-back"])
async def test_full_disk_answers_507_publishes_nothing_and_recovers(
    tmp_path: Path, sqlite_undid: bool
) -> None:
    path = tmp_path / "server.sqlite3"
    log = SqliteLog(path)
    app = create_app(ServerConfig(db=str(path), **QUIET), log=log)
    with ServerThread(app) as server, http(server.url) as client:
        async with RawSSE(server.url, headers={"X-Client-Id": "watcher"}) as sse:
            a = client.post("/api/tasks", json={"name": "a.wav", "id": "a"})
            assert a.status_code == 201
            ev = await next_of(sse, "task_created")
            assert TaskSnapshotEvent.model_validate_json(ev.data).task.id == "a"

            real = log._db
            log._db = FullDisk(real, 2, sqlite_undid=sqlite_undid)  # type: ignore[assignment]
            for name in ("b", "c"):
                refused = client.post("/api/tasks", json={"name": f"{name}.wav", "id": name})
                assert refused.status_code == 507, refused.text
                assert refused.headers["retry-after"].isdigit()
                body = ErrorBody.model_validate(refused.json())
                assert "disk is full" in body.error
            report = client.post("/api/tasks/a/events", json={"kind": "started"})
            assert report.status_code == 200, report.text  # space is back
            d = client.post("/api/tasks", json={"name": "d.wav", "id": "d"})
            assert d.status_code == 201, d.text

            # Live: the refused tasks never went out; the next events are a's start, then d.
            ev = await next_of(sse, "task_created", "task_updated", "task_progress")
            assert TaskSnapshotEvent.model_validate_json(ev.data).task.id == "a"
            ev = await next_of(sse, "task_created")
            assert TaskSnapshotEvent.model_validate_json(ev.data).task.id == "d"

            snap = Snapshot.model_validate(client.get("/api/tasks").json())
            assert [t.id for t in snap.tasks] == ["a", "d"]
            assert client.get("/api/tasks/b").status_code == 404
            assert Task.model_validate(client.get("/api/tasks/a").json()["task"]).state.value == "running"
            page = log.read_after(EARLIEST)
            assert isinstance(page, list)
            ids = [TaskSnapshotEvent.model_validate_json(r.data).task.id for r in page]
            assert ids == ["a", "a", "d"]  # nothing of the refused writes is in the log
    log.close()
    reopened = SqliteLog(path)
    try:
        assert [t.id for t in reopened.task_storage().load()] == ["a", "d"]
    finally:
        reopened.close()


# ---------------------------------------------------------------------------- deep JSON


DEEP = 10_000


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/commands", "[" * DEEP + "]" * DEEP),
        ("/api/commands", '{"action":"cancel","taskId":"t","payload":' + "[" * DEEP + "]" * DEEP + "}"),
        ("/api/messages", '{"type":"notification","payload":' + '{"a":' * DEEP + "1" + "}" * DEEP + "}"),
        ("/api/tasks", '{"name":"a","metadata":{"k":' + "[" * DEEP + "]" * DEEP + "}}"),
        ("/api/tasks/t/events", "[" * DEEP),
    ],
    ids=["commands-array", "commands-payload", "messages-object", "tasks-metadata", "report-unclosed"],
)
def test_deeply_nested_json_gets_a_clear_422_on_a_live_connection(path: str, body: str) -> None:
    app = create_app(ServerConfig(db=":memory:", **QUIET))
    with ServerThread(app) as server, http(server.url) as client:
        resp = client.post(path, content=body, headers={"content-type": "application/json"})
        assert resp.status_code == 422, resp.text
        assert "nested deeper than" in ErrorBody.model_validate(resp.json()).error
        # The same keep-alive connection still serves: nothing was dropped.
        assert client.get("/healthz").status_code == 200
        assert app.state.hub.metrics.events_published_total == 0


def test_brackets_inside_strings_and_wide_bodies_are_not_depth() -> None:
    app = create_app(ServerConfig(db=":memory:", **QUIET))
    with ServerThread(app) as server, http(server.url) as client:
        name = "[{" * 200 + '\\"'  # deep-looking text is just text
        created = client.post(
            "/api/tasks", content='{"name":"' + name + '"}', headers={"content-type": "application/json"}
        )
        assert created.status_code == 201, created.text
        wide = client.post("/api/messages", json={"type": "json", "payload": {"items": [{}] * 500}})
        assert wide.status_code == 200, wide.text


# ---------------------------------------------------------------------------- ids, CORS, 405


def test_cors_wildcard_is_a_config_error() -> None:
    for origins in ("*", "https://ok.example, *", "https://*.example.com"):
        with pytest.raises(ValidationError) as info:
            load_config(env={"MONITOR_SERVER_CORS_ORIGINS": origins})
        assert "cors_origins" in str(info.value)
        assert "never '*'" in str(info.value)
    assert load_config(env={"MONITOR_SERVER_CORS_ORIGINS": "https://ok.example"}).cors_origins == [
        "https://ok.example"
    ]


def test_every_task_id_the_server_accepts_can_be_fetched_and_deleted() -> None:
    app = create_app(ServerConfig(db=":memory:", **QUIET))
    with ServerThread(app) as server, http(server.url) as client:
        for bad in ("a/b", "/", "jobs/2026/1"):
            refused = client.post("/api/tasks", json={"name": "x", "id": bad})
            assert refused.status_code == 422, refused.text
            assert "id" in ErrorBody.model_validate(refused.json()).error
        command = client.post("/api/commands", json={"action": "query", "commandId": "c/1"})
        assert command.status_code == 422, command.text
        for odd in ("a b", "a?b", "a#b", "%2F", "ä.wav", "a%b", "..x"):
            assert client.post("/api/tasks", json={"name": "x", "id": odd}).status_code == 201, odd
            url = "/api/tasks/" + quote(odd, safe="")
            fetched = client.get(url)
            assert fetched.status_code == 200, (odd, fetched.text)
            assert fetched.json()["task"]["id"] == odd
            assert client.delete(url).status_code == 204, odd
        assert client.get("/api/tasks").json()["tasks"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/tasks", {"name": "x"}),
        ("POST", "/api/commands", {"action": "query"}),
        ("POST", "/api/messages", {"type": "text", "payload": "hi"}),
        ("GET", "/api/tasks/poll", None),
        ("GET", "/api/tasks", None),
    ],
)
@pytest.mark.parametrize(
    "where", ["header-space", "header-long", "query"], ids=["header-space", "header-long", "query"]
)
def test_client_id_is_validated_on_every_route(method: str, path: str, body: Any, where: str) -> None:
    app = create_app(ServerConfig(db=":memory:", **QUIET))
    with ServerThread(app) as server, http(server.url) as client:
        headers = {"X-Client-Id": "alice bob"} if where == "header-space" else {}
        if where == "header-long":
            headers = {"X-Client-Id": "a" * 129}
        params = {"clientId": "<script>"} if where == "query" else None
        resp = client.request(method, path, json=body, headers=headers, params=params)
        assert resp.status_code == 400, resp.text
        assert ErrorBody.model_validate(resp.json()).error.startswith("invalid client id")
        assert app.state.hub.metrics.events_published_total == 0  # refused before anything ran
        ok = client.request(method, path, json=body, headers={"X-Client-Id": "alice"})
        assert ok.status_code < 300, ok.text


def test_405_names_every_method_served_at_the_path() -> None:
    app = create_app(ServerConfig(db=":memory:", **QUIET))
    with ServerThread(app) as server, http(server.url) as client:
        expected = {
            ("PUT", "/api/tasks"): "GET, POST",
            ("PATCH", "/api/tasks/x"): "GET, DELETE",
            ("GET", "/api/commands"): "POST",
            ("POST", "/api/tasks/stream"): "GET, HEAD",
        }
        for (method, path), allow in expected.items():
            resp = client.request(method, path)
            assert resp.status_code == 405, (method, path)
            assert resp.headers.get("allow") == allow, (method, path)


# ---------------------------------------------------------------------------- sockets


def _held_open(
    socks: list[socket.socket], seconds: float, trickle: list[socket.socket]
) -> list[socket.socket]:
    """Keep ``trickle`` sending a header line every 0.2 s for ``seconds``; return the sockets the
    server has not closed by then (a closed one reads EOF or errors)."""
    deadline = time.monotonic() + seconds
    open_socks = set(socks)
    n = 0
    while open_socks and time.monotonic() < deadline:
        for sock in list(open_socks):
            try:
                if sock in trickle:
                    sock.send(b"X-Slow-%d: 1\r\n" % n)
                if sock.recv(4096, socket.MSG_DONTWAIT) == b"":
                    open_socks.discard(sock)
            except BlockingIOError:
                pass
            except OSError:
                open_socks.discard(sock)
        n += 1
        time.sleep(0.2)  # the trickle's pace, not a synchronisation
    return sorted(open_socks, key=id)


def _slowloris(host: str, port: int, count: int) -> tuple[list[socket.socket], list[socket.socket]]:
    silent = [socket.create_connection((host, port)) for _ in range(count)]
    trickle = [socket.create_connection((host, port)) for _ in range(count)]
    for sock in trickle:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    return silent, trickle


def test_connections_that_never_finish_their_headers_are_closed() -> None:
    app = create_app(ServerConfig(db=":memory:", **QUIET))
    server = ServerThread(app, header_timeout_s=0.5, keepalive_timeout_s=1.0)
    with server, http(server.url) as client:
        silent, trickle = _slowloris("127.0.0.1", server.port, 10)
        try:
            assert client.get("/healthz").status_code == 200  # served meanwhile
            left = _held_open(silent + trickle, 4.0, trickle)
            assert left == [], f"{len(left)} of {len(silent + trickle)} slow sockets still open"
        finally:
            for sock in silent + trickle:
                sock.close()
        assert client.get("/healthz").status_code == 200  # keep-alive within the window still serves


@pytest.mark.slow
def test_monitor_serve_closes_slowloris_and_logs_the_fd_limit_once(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MONITOR_SERVER_HEADER_TIMEOUT_S": "1",
        "MONITOR_SERVER_HTTP_KEEPALIVE_TIMEOUT_S": "1",
    }

    def low_fd_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    cmd = [sys.executable, "-m", "monitor", "serve", "--port", "0", "--db", str(tmp_path / "s.db")]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, preexec_fn=low_fd_limit
    )
    socks: list[socket.socket] = []
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert "listening on" in line, line
        port = int(line.strip().rsplit(":", 1)[-1])
        silent, trickle = _slowloris("127.0.0.1", port, 20)
        socks = silent + trickle
        left = _held_open(socks, 3.5, trickle)
        assert left == [], f"{len(left)} slow sockets still open after the 1 s header deadline"
        # Now exhaust the server's 64 fds for a while: accept fails again and again.
        socks += [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
        time.sleep(2.5)  # the failing accepts happen meanwhile; what is measured is the log
    finally:
        for sock in socks:
            sock.close()
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    text = err.decode(errors="replace")
    assert "cannot accept connections" in text, text[-2000:]
    assert text.count("Traceback") == 0, text[-4000:]
    assert len(text) < 20_000, f"{len(text)} bytes of log"
