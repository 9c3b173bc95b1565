"""The detail pane's tabs for users (issue 12): readable events, the server's timeline, a readable
result, and no stale stage on a completed task.

Real ``TaskDetail`` widgets (offscreen) over a real :class:`TaskStore`; the news is timed so that
the app receives it long after the server stamped it, the case where "when the app first saw a
state" and "when it happened" differ. The last test runs the real app against the demo server.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskError, TaskState
from monitor.core.store import TaskStore
from monitor.ui.detail import TaskDetail, result_text, timeline_points
from tests.test_app_seams import ids_in, parts_of, running_app
from tests.waiting import until

# The server's clock: queued at T, started at T+60, finished at T+300. The app connects at T+3600.
T = datetime(2024, 5, 6, 9, 0, 0).timestamp()
SEEN = T + 3600


def _hhmm(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _detail(qtbot: QtBot) -> TaskDetail:
    detail = TaskDetail()
    qtbot.addWidget(detail)
    return detail


def _finished_store() -> TaskStore:
    store = TaskStore()
    store.apply(
        [
            TaskPatch(
                id="t1",
                received_at=SEEN,
                source="snapshot",
                full=True,
                name="meeting.wav",
                state=TaskState.COMPLETED,
                progress=100.0,
                stage="exporting",
                created_at=T,
                started_at=T + 60,
                finished_at=T + 300,
                updated_at=T + 300,
                result={"language": "en", "words": 1234, "output": "exports/t1.srt", "note": "x" * 500},
                result_set=True,
            )
        ]
    )
    return store


def test_a_task_first_seen_finished_has_the_servers_timeline(qtbot: QtBot) -> None:
    store = _finished_store()
    rec = store.get("t1")
    assert rec is not None
    assert timeline_points(rec) == [
        (T, TaskState.QUEUED),
        (T + 60, TaskState.RUNNING),
        (T + 300, TaskState.COMPLETED),
    ]
    detail = _detail(qtbot)
    detail.show_task(rec)
    lines = detail.timeline.toPlainText().splitlines()
    assert lines == [f"{_hhmm(T)}  Queued", f"{_hhmm(T + 60)}  Running", f"{_hhmm(T + 300)}  Completed"]
    assert _hhmm(SEEN) not in detail.timeline.toPlainText()  # not when the app first saw it


def test_states_in_between_use_the_servers_stamp(qtbot: QtBot) -> None:
    store = TaskStore()
    store.apply([TaskPatch(id="t", received_at=T + 1, name="a", state=TaskState.QUEUED, created_at=T)])
    # Each piece of news arrives 30 s after the server stamped it (a slow link, a replay).
    for at, state in ((T + 10, TaskState.RUNNING), (T + 20, TaskState.PAUSED), (T + 40, TaskState.RUNNING)):
        store.apply([TaskPatch(id="t", received_at=at + 30, state=state, updated_at=at)])
    store.apply(
        [
            TaskPatch(
                id="t",
                received_at=T + 80,
                source="task_failed",
                state=TaskState.FAILED,
                finished_at=T + 50,
                updated_at=T + 50,
                error=TaskError(message="boom"),
            )
        ]
    )
    rec = store.get("t")
    assert rec is not None
    assert [p for p in timeline_points(rec)] == [
        (T, TaskState.QUEUED),
        (T + 10, TaskState.RUNNING),
        (T + 20, TaskState.PAUSED),
        (T + 40, TaskState.RUNNING),
        (T + 50, TaskState.FAILED),
    ]


def test_events_read_as_words_with_times(qtbot: QtBot) -> None:
    store = _finished_store()
    store.apply([TaskPatch(id="t1", received_at=SEEN + 5, source="task_progress", progress=5.0)])
    store.apply(
        [
            TaskPatch(
                id="t1",
                received_at=SEEN + 6,
                source="task_updated",
                state=TaskState.COMPLETED,
                worker="gpu-2",
                updated_at=T + 400,
            )
        ]
    )
    rec = store.get("t1")
    assert rec is not None
    detail = _detail(qtbot)
    detail.show_task(rec)
    text = detail.log.toPlainText()
    lines = text.splitlines()
    assert lines[0].startswith(f"{_hhmm(T + 300)}  Task list refreshed: ")
    assert "Finished" in lines[0]
    assert "Result" in lines[0]
    assert "Started" in lines[0]
    assert lines[1] == f"{_hhmm(SEEN + 5)}  Ignored: older news about a finished task"
    assert lines[2] == f"{_hhmm(T + 400)}  Task updated: Worker changed"
    for raw in ("finished_at", "started_at", "snapshot:", "task_updated", "worker"):
        assert raw not in text


def test_result_reads_as_lines_and_stage_is_not_stale(qtbot: QtBot) -> None:
    store = _finished_store()
    rec = store.get("t1")
    assert rec is not None
    detail = _detail(qtbot)
    detail.show_task(rec)
    lines = detail.result.toPlainText().splitlines()
    assert lines[:5] == ["Language: en", "Words: 1234", "Output:", "    exports/t1.srt", lines[4]]
    assert lines[4].startswith("Note: xxx")
    assert lines[4].endswith("…")
    assert len(lines[4]) < 220
    assert "{" not in detail.result.toPlainText()
    assert detail.values["stage"].full_text() == "—"  # not "exporting" on a completed task


def test_stage_shows_while_live_and_where_a_failure_stopped(qtbot: QtBot) -> None:
    store = TaskStore()
    store.apply(
        [
            TaskPatch(
                id="r", received_at=T, name="r", state=TaskState.RUNNING, stage="transcribing", created_at=T
            )
        ]
    )
    detail = _detail(qtbot)
    rec = store.get("r")
    assert rec is not None
    detail.show_task(rec)
    assert detail.values["stage"].full_text() == "transcribing"
    store.apply([TaskPatch(id="r", received_at=T + 1, state=TaskState.FAILED)])
    detail.show_task(rec)
    assert detail.values["stage"].full_text() == "transcribing (when it stopped)"


def test_only_tabs_with_something_to_say_show_and_they_fit_the_default_pane(qtbot: QtBot) -> None:
    """Four tabs did not fit the pane at the default window (Result sat behind scroll arrows) and
    a running task's first tab was an empty Error: Error and Result show only with content."""
    from PySide6.QtWidgets import QApplication

    from monitor.ui.task_view import TaskView

    store = _finished_store()
    store.apply(
        [
            TaskPatch(
                id="r", received_at=SEEN, full=True, name="r.wav", state=TaskState.RUNNING, progress=5.0
            ),
            TaskPatch(
                id="f",
                received_at=SEEN,
                full=True,
                name="f.wav",
                state=TaskState.FAILED,
                error=TaskError(message="CUDA out of memory"),
            ),
        ]
    )
    view = TaskView(store)
    qtbot.addWidget(view)
    view.resize(1280, 700)
    view.show()
    tabs = view.detail.tabs
    bar = tabs.tabBar()

    def shown(task_id: str) -> list[str]:
        # The pane itself, not the table's selection (which reads the keyboard modifiers a
        # previous test may have left pressed, and would then extend to a summary of two).
        view.detail.show_task(store.get(task_id))
        QApplication.processEvents()
        visible = [i for i in range(tabs.count()) if tabs.isTabVisible(i)]
        # Every shown tab lies inside the bar: nothing behind scroll arrows.
        assert all(bar.tabRect(i).right() < bar.width() for i in visible), [bar.tabRect(i) for i in visible]
        return [tabs.tabText(i) for i in visible]

    assert shown("r") == ["Timeline", "Events"]
    assert shown("t1") == ["Timeline", "Events", "Result"]
    tabs.setCurrentWidget(view.detail.log)
    assert shown("f") == ["Error", "Timeline", "Events"]
    assert tabs.currentWidget() is view.detail.error  # an error appears: it comes forward
    assert "CUDA out of memory" in view.detail.error.toPlainText()
    assert shown("r") == ["Timeline", "Events"]
    assert tabs.currentWidget() is view.detail.timeline


def test_result_text_shapes() -> None:
    assert result_text(None) == ""
    assert result_text("done, 3 files") == "done, 3 files"
    assert result_text(["a", 2]) == "• a\n• 2"
    assert result_text({"outputUrl": "https://example.com/a b"}) == "Output url: https://example.com/a b"
    assert (
        result_text({"outputUrl": "https://example.com/x.srt"})
        == "Output url:\n    https://example.com/x.srt"
    )
    assert result_text({"nested": {"a": [1, True]}}) == 'Nested: {"a": [1, true]}'


def test_a_completed_demo_task_reads_plainly_in_the_app(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            await until(lambda: ids_in(parts, TaskState.COMPLETED), 40, "a completed task")
            task_id = ids_in(parts, TaskState.COMPLETED)[0]
            await until(lambda: parts.view.select_task(task_id, reveal=True), 5, "the row")
            detail = parts.view.detail
            await until(lambda: detail.task_id == task_id, 5, "the detail pane")
            rec = parts.store.get(task_id)
            assert rec is not None
            assert rec.started_at is not None
            assert rec.finished_at is not None
            assert detail.values["stage"].full_text() == "—"
            assert "Output:" in detail.result.toPlainText()
            assert "{" not in detail.result.toPlainText()
            timeline = detail.timeline.toPlainText().splitlines()
            assert timeline[0].endswith("Queued")
            assert timeline[-1].endswith("Completed")
            # The server's times: the queued entry is the task's created_at.
            assert next(p[0] for p in timeline_points(rec)) == rec.created_at
            assert "_" not in detail.log.toPlainText()  # no raw field or event names

    run(scenario())
