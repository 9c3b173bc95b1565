"""Hostile clients and a hostile machine (issue 13, server items): full disk, deep JSON, bad ids.

Real uvicorn on 127.0.0.1 (``ServerThread``) and real sockets; the full disk is a fault-injecting
layer over the real SQLite connection (a tmpfs needs root, which CI does not have).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from monitor.core.protocol import ErrorBody, Snapshot, Task, TaskSnapshotEvent
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
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
