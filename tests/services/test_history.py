"""The local history database: real SQLite files, restarts, retention, a corrupt file."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from monitor.core.history import Retention, server_key, task_json
from monitor.core.protocol import TaskState
from monitor.core.store import TaskRecord
from monitor.services.history import HistoryService

Run = Callable[[Coroutine[Any, Any, Any]], Any]
URL = "http://127.0.0.1:8000/api/events?access_token=secret"
DAY = 86_400.0


def _rec(i: int, state: TaskState = TaskState.COMPLETED) -> TaskRecord:
    return TaskRecord(id=f"t{i}", name=f"n{i}.wav", state=state, progress=100.0, finished_at=1000.0 + i)


def _service(path: Path, now: list[float], **kw: Any) -> HistoryService:
    return HistoryService(path, URL, clock=lambda: now[0], **kw)


def test_kept_across_restarts_with_removed_ids(qloop: Any, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    now = [1_000_000.0]
    first = _service(path, now)
    assert run(first.start()) == ([], set())
    first.record((r.id, task_json(r)) for r in (_rec(1), _rec(2, TaskState.FAILED)))
    first.dismiss(["t1"])
    run(first.aclose())  # writes what is pending

    second = _service(path, now)
    tasks, dismissed = run(second.start())
    assert [(t.id, t.state) for t in tasks] == [("t1", TaskState.COMPLETED), ("t2", TaskState.FAILED)]
    assert dismissed == {"t1"}
    second.dismiss(["t1"], dismissed=False)  # shown again (retried elsewhere)
    run(second.aclose())
    assert run(_service(path, now).start())[1] == set()
    # The token in the URL never reaches the disk.
    assert b"secret" not in path.read_bytes()
    assert server_key(URL) == "http://127.0.0.1:8000/api/events"


def test_retention_by_age_and_count(qloop: Any, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    now = [1_000_000.0]
    svc = _service(path, now)
    run(svc.start())
    svc.record([("old", task_json(_rec(0)))])
    run(svc.flush())
    now[0] += 40 * DAY
    for i in range(1, 6):
        now[0] += 1
        svc.record([(f"t{i}", task_json(_rec(i)))])
        run(svc.flush())
    run(svc.aclose())
    kept, _ = run(_service(path, now, retention=Retention(days=30, max_tasks=3)).start())
    assert [t.id for t in kept] == ["t3", "t4", "t5"]  # "old" aged out; then the newest three


def test_clear_forgets_this_server_only(qloop: Any, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    now = [1_000_000.0]
    mine = _service(path, now)
    other = HistoryService(path, "http://other:1/events", clock=lambda: now[0])
    run(mine.start())
    run(other.start())
    mine.record([("a", task_json(_rec(1)))])
    other.record([("b", task_json(_rec(2)))])
    run(mine.flush())
    run(other.flush())
    mine.clear()
    run(mine.aclose())
    run(other.aclose())
    assert run(_service(path, now).start())[0] == []
    others = run(HistoryService(path, "http://other:1/events", clock=lambda: now[0]).start())[0]
    assert [t.id for t in others] == ["t2"]


def test_a_corrupt_file_is_moved_aside_and_said(qtbot: QtBot, qloop: Any, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    svc = _service(path, [2_000_000.0])
    problems: list[str] = []
    svc.problem.connect(problems.append)
    assert run(svc.start()) == ([], set())
    assert problems
    assert "moved to h.sqlite3.corrupt-2000000" in problems[0]
    assert (tmp_path / "h.sqlite3.corrupt-2000000").read_bytes().startswith(b"this is not")
    svc.record([("a", task_json(_rec(1)))])
    run(svc.aclose())
    assert [t.id for t in run(_service(path, [2_000_000.0]).start())[0]] == ["t1"]


def test_an_invalid_row_is_skipped(qloop: Any, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    svc = _service(path, [1.0])
    run(svc.start())
    svc.record([("bad", '{"id": 5}'), ("t1", task_json(_rec(1)))])
    run(svc.aclose())
    assert [t.id for t in run(_service(path, [1.0]).start())[0]] == ["t1"]


def test_refuses_to_start_twice(qloop: Any, run: Run, tmp_path: Path) -> None:
    svc = _service(tmp_path / "h.sqlite3", [1.0])
    run(svc.start())
    with pytest.raises(RuntimeError):
        run(svc.start())
    run(svc.aclose())
