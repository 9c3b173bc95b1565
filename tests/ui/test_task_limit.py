"""The task limit through the real model, service, wiring and settings dialog (issue 13 item 6).

Eviction is a ``Removed`` change: the table drops the rows in one layout change, persistent
indexes of the evicted rows become invalid and the others follow their tasks; the status bar
says what happened, in plain text.
"""

from __future__ import annotations

from PySide6.QtCore import QPersistentModelIndex
from PySide6.QtWidgets import QDialogButtonBox, QTableView
from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.protocol import Task, TaskState
from monitor.core.settings import AppSettings
from monitor.core.store import Evicted, TaskStore
from monitor.ui.settings_dialog import SettingsDialog
from monitor.ui.task_model import TaskTableModel
from monitor.wiring.connection import eviction_text, wire_connection
from monitor.wiring.parts import build_parts


def _patch(i: int, state: TaskState) -> TaskPatch:
    return TaskPatch(
        id=f"t{i:03d}",
        received_at=0.0,
        name=f"file{i}.wav",
        state=state,
        created_at=float(i),
        finished_at=float(i) if state is TaskState.COMPLETED else None,
    )


def test_model_drops_evicted_rows_and_keeps_the_others(qtbot: QtBot, qtmodeltester: object) -> None:
    store = TaskStore()
    store.set_limit(20)
    model = TaskTableModel(store, clock=lambda: 0.0)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.apply(_patch(i, TaskState.COMPLETED if i % 2 else TaskState.RUNNING) for i in range(20))
    model.flush()
    assert model.rowCount() == 20
    evicted_row = QPersistentModelIndex(model.index(model.row_of("t001") or 0, 0))  # oldest finished
    kept_row = QPersistentModelIndex(model.index(model.row_of("t000") or 0, 0))  # running
    assert model.task_id(evicted_row.row()) == "t001"
    layouts = model.layout_changes
    changes = model.apply(_patch(i, TaskState.RUNNING) for i in range(20, 25))
    assert isinstance(changes[-1], Evicted)
    assert changes[-1].ids == ("t001", "t003", "t005", "t007", "t009")
    model.flush()
    assert model.layout_changes == layouts + 1  # one layout change for adds and evictions
    assert model.rowCount() == len(store) == 20
    assert model.rows() == store.view_rows()
    assert not evicted_row.isValid()
    assert kept_row.isValid()
    assert model.task_id(kept_row.row()) == "t000"
    assert all(model.row_of(f"t{i:03d}") is not None for i in range(0, 25, 2))  # active: all shown
    qtmodeltester.check(model, force_py=False)  # type: ignore[attr-defined]


def test_status_bar_says_when_tasks_are_evicted(qtbot: QtBot) -> None:
    parts = build_parts(
        AppSettings(task_limit=100),
        token_of=lambda _profile: None,
        state_dir=None,
        tray_available=False,
        use_dbus=False,
        instance=None,
    )
    qtbot.addWidget(parts.window)
    wire_connection(parts)
    assert parts.store.limit == 100
    removed: list[str] = []
    parts.service.task_removed.connect(removed.append)
    for i in range(100):
        parts.service.apply_task(
            Task(
                id=f"d{i:03d}",
                name="<b>x</b>",
                state=TaskState.COMPLETED,
                created_at=float(i),
                finished_at=float(i),
            )
        )
    assert parts.window.statusBar().currentMessage() == ""
    parts.service.set_task_limit(150)
    assert removed == []
    parts.service.set_task_limit(90)
    assert removed == [f"d{i:03d}" for i in range(10)]  # the oldest finished first
    message = parts.window.statusBar().currentMessage()
    assert "10 oldest finished" in message
    assert "90" in message
    assert "<" not in message  # plain text
    parts.view.model.flush()
    assert parts.view.model.rowCount() == len(parts.store) == 90


def test_eviction_text_counts_and_limit() -> None:
    text = eviction_text(Evicted(("a", "b", "c"), 50_000))
    assert "3 oldest" in text
    assert "50,000" in text


def test_settings_dialog_sets_the_limit(qtbot: QtBot) -> None:
    dialog = SettingsDialog(AppSettings(), tray_available=True)
    qtbot.addWidget(dialog)
    assert dialog.task_limit.value() == 50_000  # the default
    dialog.task_limit.setValue(2_000)
    with qtbot.waitSignal(dialog.settings_applied, timeout=1000) as blocker:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    settings = blocker.args[0]
    assert isinstance(settings, AppSettings)
    assert settings.task_limit == 2_000
    assert dialog.task_limit.minimum() == 100
