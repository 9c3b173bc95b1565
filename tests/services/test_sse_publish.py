"""SSEService's per-task signals are emitted exactly when someone listens (issue 16 item 5).

The app's own wiring takes ``tasks_changed`` (one list per read); the per-id signals are skipped
when nothing is connected to them (a thousand emissions a second on a busy stream, 100,000 for
a big snapshot), and must still arrive, all of them, for a listener.
"""

from __future__ import annotations

from PySide6.QtCore import SIGNAL
from pytestqt.qtbot import QtBot

from monitor.core.protocol import Task, TaskState
from monitor.core.settings import AppSettings
from monitor.core.store import TaskStore, Updated
from monitor.services.servers import ServerSet
from monitor.services.sse_service import SSEService


def _task(progress: float, state: TaskState = TaskState.RUNNING) -> Task:
    return Task(id="t1", name="a.wav", state=state, progress=progress, created_at=1.0, started_at=2.0)


def test_listeners_get_every_per_task_signal(qtbot: QtBot) -> None:
    service = SSEService(AppSettings(), store=TaskStore())
    added: list[str] = []
    updated: list[str] = []
    progressed: list[tuple[str, float]] = []
    completed: list[str] = []
    service.task_added.connect(added.append)
    service.task_updated.connect(updated.append)
    service.task_progressed.connect(lambda tid, p: progressed.append((tid, p)))
    service.task_completed.connect(completed.append)
    service.apply_task(_task(10.0))
    service.apply_task(_task(40.0))
    service.apply_task(_task(100.0, TaskState.COMPLETED))
    assert added == ["t1"]
    assert updated == ["t1", "t1"]
    assert progressed == [("t1", 40.0), ("t1", 100.0)]
    assert completed == ["t1"]


def test_without_listeners_the_changes_still_go_out_and_terminal_signals_too(qtbot: QtBot) -> None:
    service = SSEService(AppSettings(), store=TaskStore())
    changes: list[list[object]] = []
    completed: list[str] = []
    service.tasks_changed.connect(changes.append)
    service.task_completed.connect(completed.append)
    service.apply_task(_task(10.0))
    service.apply_task(_task(100.0, TaskState.COMPLETED))
    assert len(changes) == 2
    assert isinstance(changes[1][0], Updated)
    assert completed == ["t1"]


def test_the_server_set_forwards_per_task_signals_only_once_heard(qtbot: QtBot) -> None:
    """The set of watched servers must not make every SSEService pay for per-task signals that
    nobody hears (it re-emits the services' signals): it connects those only on demand."""
    servers = ServerSet(AppSettings(), store=TaskStore(), token_of=lambda _p: None)
    service = servers.links[0].service
    heard = service.receivers(SIGNAL("task_progressed(QString,double)"))
    assert heard == 0  # nobody listens: the service skips the emits
    progressed: list[tuple[str, float]] = []
    servers.task_progressed.connect(lambda tid, p: progressed.append((tid, p)))
    assert service.receivers(SIGNAL("task_progressed(QString,double)")) == 1
    service.apply_task(_task(10.0))
    service.apply_task(_task(40.0))
    assert progressed == [("t1", 40.0)]
