"""``GET /api/tasks/{id}`` answers from an index, not a log scan (issue 13 item 14, issue 16 item 6).

The task service keeps each task's event sequence numbers (built from the log at start-up and
updated on publish); the route reads those rows by primary key. The SQL the server runs during a
detail request is recorded with SQLite's trace callback: no range read of the log, one keyed
lookup, and SQLite's own query plan says it searches by the primary key.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from monitor.core.protocol import TASK_EVENT_TYPES, TaskDetail, TaskSubmit, WorkerReport, WorkerReportKind
from monitor.server.app import MonitorApp, create_app
from monitor.server.config import ServerConfig
from monitor.server.log import EARLIEST
from monitor.server.runner import ServerThread
from monitor.server.sqlite_log import SqliteLog
from monitor.server.tasks import EVENTS_PER_TASK, _task_event_owners, event_task_id
from tests.server.test_app import QUIET, http
from tests.server.test_hostile import FullDisk


def _fill(server: ServerThread, app: MonitorApp, tasks: int, reports: int) -> None:
    """``tasks`` tasks with ``reports`` progress reports each, interleaved (in the server's loop)."""

    async def fill() -> None:
        for t in range(tasks):
            await app.tasks.create(TaskSubmit(id=f"t{t}", name=f"{t}.wav"))
        for r in range(reports):
            for t in range(tasks):
                report = WorkerReport(kind=WorkerReportKind.PROGRESS, progress=float(r % 100), stage=f"s{r}")
                await app.tasks.apply_report(f"t{t}", report)
        app.log.flush()

    server.submit(fill()).result(60)


def _scan(log: SqliteLog, task_id: str) -> list[str]:
    """The oracle: every retained event of ``task_id``, by reading the whole log."""
    page = log.read_after(EARLIEST, 1_000_000)
    assert isinstance(page, list)
    return [r.id for r in page if r.target is None and event_task_id(r.type, json.loads(r.data)) == task_id]


def test_detail_reads_by_key_not_by_scan(tmp_path: Path) -> None:
    path = tmp_path / "server.sqlite3"
    log = SqliteLog(path)
    app = create_app(ServerConfig(db=str(path), **QUIET), log=log)
    statements: list[str] = []
    with ServerThread(app) as server, http(server.url) as client:
        _fill(server, app, tasks=40, reports=60)  # 2,440 events, each task's spread over all of them
        server.call(log._db.set_trace_callback, statements.append)
        detail = TaskDetail.model_validate(client.get("/api/tasks/t7").json())
        server.call(log._db.set_trace_callback, None)
        assert [e.id for e in detail.events] == _scan(log, "t7")[-EVENTS_PER_TASK:]
        assert len(detail.events) == 61  # created + 60 progress
        reads = [s for s in statements if "FROM events" in s]
        assert len(reads) == 1, statements  # before: 3 range reads of the whole log (pages of 1,000)
        assert " IN (" in reads[0]
        assert "seq >" not in reads[0]
        plan = log._db.execute("EXPLAIN QUERY PLAN " + reads[0]).fetchall()
        assert any("USING INTEGER PRIMARY KEY" in str(row[-1]) for row in plan), plan
        assert client.get("/api/tasks/nope").status_code == 404
        # The start-up index: SQLite's JSON functions name the same tasks as the Python parser.
        sql = server.call(log.task_event_owners, TASK_EVENT_TYPES)
        assert sql == list(server.call(lambda: list(_task_event_owners(log, 100))))
        assert len(sql) == 40 * 61
    log.close()


def test_the_index_is_rebuilt_from_the_log_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "server.sqlite3"
    app = create_app(ServerConfig(db=str(path), **QUIET))
    with ServerThread(app) as server, http(server.url) as client:
        _fill(server, app, tasks=3, reports=5)
        before = client.get("/api/tasks/t1").json()
    app = create_app(ServerConfig(db=str(path), **QUIET))
    with ServerThread(app) as server, http(server.url) as client:
        after = client.get("/api/tasks/t1").json()
        assert after == before
        assert len(after["events"]) == 6
        assert client.delete("/api/tasks/t1").status_code == 204
        assert app.tasks.event_seqs("t1") == []


def test_a_rolled_back_event_never_shows_in_another_tasks_detail(tmp_path: Path) -> None:
    path = tmp_path / "server.sqlite3"
    log = SqliteLog(path)
    app = create_app(ServerConfig(db=str(path), **QUIET), log=log)
    with ServerThread(app) as server, http(server.url) as client:
        assert client.post("/api/tasks", json={"name": "a", "id": "a"}).status_code == 201
        assert client.post("/api/tasks", json={"name": "b", "id": "b"}).status_code == 201
        real = log._db
        log._db = FullDisk(real, 1, sqlite_undid=False)  # type: ignore[assignment]
        # a's report gets a sequence number, then its commit fails: that number is used again.
        assert client.post("/api/tasks/a/events", json={"kind": "started"}).status_code == 507
        assert client.post("/api/tasks/b/events", json={"kind": "started"}).status_code == 200
        a = TaskDetail.model_validate(client.get("/api/tasks/a").json())
        b = TaskDetail.model_validate(client.get("/api/tasks/b").json())
        assert [e.type for e in a.events] == ["task_created"]
        assert [e.type for e in b.events] == ["task_created", "task_updated"]
        assert isinstance(real, sqlite3.Connection)
    log.close()
