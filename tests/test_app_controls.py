"""Every control does what it says: each menu, toolbar, context-menu and tray action of the real
``DesktopApp`` (``--demo``: the reference server in a thread, over loopback) is triggered and its
effect observed (issue 11, item 3c); View > Columns and View > Detail pane persist; F5 applies
the server's answer (3b).
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QPushButton

from monitor.app import DesktopApp
from monitor.core.lifecycle import PendingAction
from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.ui.notify_history import NotificationHistoryDialog
from monitor.ui.settings_dialog import SettingsDialog
from monitor.ui.task_model import TaskColumn
from monitor.wiring.parts import Parts
from tests.test_app_seams import ids_in, parts_of, running_app
from tests.waiting import until

Effect = Callable[[DesktopApp, Parts, QAction], Awaitable[None]]


def _walk(place: str, actions: list[QAction], found: dict[str, QAction]) -> None:
    for action in actions:
        if action.isSeparator():
            continue
        sub = action.menu()
        if isinstance(sub, QMenu):  # a submenu's own entry only opens it: walk its entries
            _walk(place, sub.actions(), found)
            continue
        assert action.objectName(), f"{place}: action {action.text()!r} has no object name"
        found[f"{place}:{action.objectName()}"] = action


def every_action(parts: Parts) -> dict[str, QAction]:
    """Every action a user can reach: menu bar, toolbar, the table's context menu, the tray menu."""
    found: dict[str, QAction] = {}
    _walk("menu", parts.window.menuBar().actions(), found)
    _walk("toolbar", parts.window.toolbar.actions(), found)
    menu = parts.view.context_menu()
    _walk("context", menu.actions(), found)
    menu.deleteLater()
    _walk("tray", parts.tray.menu.actions(), found)
    return found


async def select(parts: Parts, state: TaskState | tuple[TaskState, ...], what: str) -> str:
    """Wait for a task in ``state``, select it alone, return its id."""
    states = state if isinstance(state, tuple) else (state,)
    await until(lambda: any(ids_in(parts, s) for s in states), 20, what)
    task_id = next(i for s in states for i in ids_in(parts, s))
    parts.view.clear_filters()
    parts.view.table.clearSelection()
    assert parts.view.select_task(task_id, reveal=True)
    assert parts.view.selected_ids() == [task_id]
    return task_id


def visible_boxes(parts: Parts) -> list[QMessageBox]:
    return [b for b in parts.window.findChildren(QMessageBox) if b.isVisible()]


# ---------------------------------------------------------------------- the effects


async def opens_settings(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    action.trigger()
    dialogs = [d for d in parts.window.findChildren(SettingsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].reject()


def opens_message(text: str) -> Effect:
    async def effect(_d: DesktopApp, parts: Parts, action: QAction) -> None:
        before = set(visible_boxes(parts))
        action.trigger()
        new = [b for b in visible_boxes(parts) if b not in before]
        assert len(new) == 1, [b.text() for b in new]
        assert text in new[0].text()
        new[0].close()

    return effect


async def toggles_column(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    column = TaskColumn.from_key(action.objectName().removeprefix("column_"))
    assert column is not None
    hidden = parts.view.table.isColumnHidden(column)
    assert action.isChecked() is not hidden  # the menu shows the table as it is
    if column is TaskColumn.NAME:
        assert not action.isEnabled()  # the name column always stays
        return
    action.trigger()
    assert parts.view.table.isColumnHidden(column) is not hidden
    action.trigger()
    assert parts.view.table.isColumnHidden(column) is hidden


async def toggles_detail(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    assert not parts.view.detail.isHidden()
    action.trigger()
    assert parts.view.detail.isHidden()
    action.trigger()
    assert not parts.view.detail.isHidden()


async def toggles_messages(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    dock = parts.messages.parentWidget()
    assert dock is not None
    assert not action.isChecked()
    assert not dock.isVisible()  # nothing sent yet: out of the way
    action.trigger()
    assert dock.isVisible()
    action.trigger()
    assert not dock.isVisible()


def confirm(parts: Parts) -> None:
    """Say yes to the question a cancel or a bulk action asks (tests/test_app_acting.py tests it)."""
    boxes = [b for b in parts.window.findChildren(QMessageBox, "confirmAction") if b.isVisible()]
    assert len(boxes) == 1, "the action asks first"
    yes = boxes[0].findChild(QPushButton, "confirmYes")
    assert yes is not None
    yes.click()


def marks(state: TaskState | tuple[TaskState, ...], pending: PendingAction, *, asks: bool = False) -> Effect:
    async def effect(_d: DesktopApp, parts: Parts, action: QAction) -> None:
        task_id = await select(parts, state, f"a task in {state}")
        assert action.isEnabled(), action.toolTip()
        action.trigger()
        if asks:
            confirm(parts)
        assert parts.view.model.pending(task_id) is pending

    return effect


async def refreshes(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    # With nothing selected F5 rebuilds the whole list (with a selection: see the F5 test below).
    parts.view.table.clearSelection()
    started: list[object] = []
    parts.service.resync_started.connect(started.append)
    action.trigger()
    await until(lambda: started, 10, "a resync")


async def removes(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    task_id = await select(
        parts, (TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED), "a finished task"
    )
    action.trigger()
    assert task_id not in parts.store


async def copies_id(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    task_id = await select(parts, (TaskState.RUNNING, TaskState.QUEUED, TaskState.COMPLETED), "a task")
    QGuiApplication.clipboard().setText("")
    action.trigger()
    assert QGuiApplication.clipboard().text() == task_id


async def shows_details(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    task_id = await select(parts, (TaskState.RUNNING, TaskState.QUEUED, TaskState.COMPLETED), "a task")
    parts.window.action_detail_pane.setChecked(False)
    action.trigger()
    assert parts.window.action_detail_pane.isChecked()
    assert parts.view.detail.task_id == task_id


async def shows_window(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    parts.window.hide()
    action.trigger()  # no tray offscreen: Show/Hide brings the window back, never hides it
    assert parts.window.isVisible()


async def pauses_all(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    await until(lambda: ids_in(parts, TaskState.RUNNING), 20, "a running task")
    await until(action.isEnabled, 5, "Pause all to be enabled (the counts flush at 10 Hz)")
    live = ids_in(parts, TaskState.RUNNING) + ids_in(parts, TaskState.QUEUED)
    action.trigger()
    confirm(parts)
    assert all(parts.view.model.pending(i) is PendingAction.PAUSING for i in live), "queued ones too"
    await until(lambda: ids_in(parts, TaskState.PAUSED), 10, "a paused task")


async def resumes_all(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    await until(lambda: ids_in(parts, TaskState.PAUSED), 20, "a paused task")
    await until(action.isEnabled, 5, "Resume all to be enabled (the counts flush at 10 Hz)")
    paused = ids_in(parts, TaskState.PAUSED)
    action.trigger()
    confirm(parts)
    assert {i: parts.view.model.pending(i) for i in paused} == dict.fromkeys(paused, PendingAction.RESUMING)


async def toggles_dnd(desktop: DesktopApp, parts: Parts, action: QAction) -> None:
    assert not parts.notifier.policy.dnd
    action.trigger()
    assert parts.notifier.policy.dnd
    assert desktop.settings.do_not_disturb
    assert desktop.keeper is not None
    assert json.loads((desktop.keeper.folder / "settings.json").read_text())["do_not_disturb"] is True
    action.trigger()
    assert not parts.notifier.policy.dnd


async def opens_history(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    action.trigger()
    dialog = parts.window.findChild(NotificationHistoryDialog)
    assert dialog is not None
    assert dialog.isVisible()
    assert len(dialog.rows()) == len(parts.notifier.history)
    dialog.close()


async def exports(desktop: DesktopApp, parts: Parts, action: QAction) -> None:
    await until(lambda: parts.view.model.rowCount() > 0, 10, "listed tasks")
    action.trigger()
    dialog = parts.window.findChild(QFileDialog, "exportDialog")
    assert dialog is not None
    assert desktop.keeper is not None
    path = desktop.keeper.folder / "exported"
    shown = parts.view.model.rows()  # no event is processed until the file is written
    dialog.selectFile(str(path))
    dialog.accept()  # the CSV filter is selected: ".csv" is added
    rows = list(csv.reader(path.with_suffix(".csv").read_text().splitlines()))
    header = parts.view.table.horizontalHeader()
    assert rows[0] == [
        str(parts.view.model.headerData(c, Qt.Orientation.Horizontal))
        for c in sorted(TaskColumn, key=header.visualIndex)
        if not header.isSectionHidden(c)
    ]
    assert len(rows) - 1 == len(shown)
    names = [parts.store.get(i).name for i in shown]  # type: ignore[union-attr]
    assert [r[rows[0].index("Name")] for r in rows[1:]] == names


async def clears_finished(_d: DesktopApp, parts: Parts, action: QAction) -> None:
    finished = (TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED)
    await until(lambda: any(ids_in(parts, s) for s in finished), 20, "a finished task")
    action.trigger()
    box = parts.window.findChild(QMessageBox, "clearFinishedQuestion")
    assert box is not None
    gone = [i for s in finished for i in ids_in(parts, s)]
    clear = next(b for b in box.buttons() if b.text() == "Clear")
    clear.click()
    assert not any(i in parts.store for i in gone)
    assert set(gone) <= parts.store.dismissed  # a reconnect's snapshot will not bring them back


async def quits(desktop: DesktopApp, _parts: Parts, action: QAction) -> None:
    assert not desktop.stopping
    action.trigger()
    assert desktop.stopping


def effects() -> dict[str, Effect | None]:
    """What each action must do (None: the entry is covered by a test of its own)."""
    columns: dict[str, Effect | None] = {f"menu:column_{c.key}": toggles_column for c in TaskColumn}
    task_actions: dict[str, Effect | None] = {
        "cancel": marks((TaskState.RUNNING, TaskState.QUEUED), PendingAction.CANCELLING, asks=True),
        "pause": marks(TaskState.RUNNING, PendingAction.PAUSING),
        "retry": marks((TaskState.FAILED, TaskState.CANCELLED), PendingAction.RETRYING),
        "refresh": refreshes,
        "remove": removes,
        "copy_id": copies_id,
        "show_details": shows_details,
    }
    on_toolbar = ("cancel", "pause", "retry", "refresh")
    return {
        "menu:settings": opens_settings,
        "menu:quit": None,  # test_quit_actions_quit
        **columns,
        "menu:detailPane": toggles_detail,
        "menu:messages": toggles_messages,
        "menu:exportView": exports,
        "menu:clearFinished": clears_finished,
        "menu:notificationHistory": opens_history,
        "menu:shortcuts": opens_message("Ctrl+R"),
        "menu:about": opens_message("Monitor"),
        **{f"toolbar:action_{n}": task_actions[n] for n in on_toolbar},
        **{f"context:action_{n}": e for n, e in task_actions.items()},
        "tray:showHide": shows_window,
        "tray:pauseAll": pauses_all,
        "tray:resumeAll": resumes_all,
        "tray:doNotDisturb": toggles_dnd,
        "tray:settings": opens_settings,
        "tray:quit": None,  # test_quit_actions_quit
    }


def test_every_action_has_an_effect(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            found = every_action(parts)
            table = effects()
            assert set(found) == set(table), "actions without a test (or tests without an action)"
            await until(lambda: parts.commands is not None, 10, "the command service")
            for key, action in found.items():
                effect = table[key]
                if effect is not None:
                    try:
                        await effect(desktop, parts, action)
                    except AssertionError as exc:
                        raise AssertionError(f"{key}: {exc}") from exc

    run(scenario())


@pytest.mark.parametrize("where", ["menu", "tray"])
def test_quit_actions_quit(run: Any, tmp_path: Path, where: str) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            await quits(desktop, parts, every_action(parts)[f"{where}:quit"])

    run(scenario())


def test_columns_and_detail_pane_persist(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            found = every_action(parts)
            assert parts.view.table.isColumnHidden(TaskColumn.WORKER)
            found["menu:column_worker"].trigger()
            found["menu:column_eta"].trigger()
            found["menu:detailPane"].trigger()
        state = json.loads((tmp_path / "ui-state.json").read_text())
        assert "worker" in state["columns"]
        assert "eta" not in state["columns"]
        assert state["detail_pane_visible"] is False
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            found = every_action(parts)
            assert not parts.view.table.isColumnHidden(TaskColumn.WORKER)
            assert parts.view.table.isColumnHidden(TaskColumn.ETA)
            assert found["menu:column_worker"].isChecked()
            assert not found["menu:column_eta"].isChecked()
            assert parts.view.detail.isHidden()
            assert not found["menu:detailPane"].isChecked()

    run(scenario())


def test_f5_on_a_selection_applies_the_servers_answer(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            await until(lambda: parts.commands is not None, 10, "the command service")
            # A paused task gets no news by itself; make our copy of it wrong, as a lost event
            # would, and F5 must put the server's version back.
            task_id = await select(parts, TaskState.RUNNING, "a running task")
            parts.view.task_actions.pause_resume.trigger()
            await until(lambda: task_id in ids_in(parts, TaskState.PAUSED), 10, "the pause")
            record = parts.store.get(task_id)
            assert record is not None
            real_name = record.name
            parts.store.apply([TaskPatch(task_id, 0.0, source="lost", name="a stale name")])
            assert parts.view.select_task(task_id, reveal=True)
            parts.view.task_actions.refresh.trigger()
            await until(lambda: (r := parts.store.get(task_id)) is not None and r.name == real_name, 10, "F5")

    run(scenario())


def test_rows_of_an_old_server_lifetime_are_grey_until_the_new_one_speaks(run: Any, tmp_path: Path) -> None:
    """A new lifetime announced without a snapshot (a server with no snapshot endpoint).

    The announcement is handed to the service as the engine would (the demo server always has a
    snapshot, so the real engine never announces this case against it); what follows is real:
    the demo server's next progress events replace the grey rows.
    """
    from PySide6.QtCore import Qt

    from monitor.core.connection import Resync, ResyncReason

    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            model = parts.view.model
            await until(lambda: ids_in(parts, TaskState.RUNNING), 20, "a running task")
            running = ids_in(parts, TaskState.RUNNING)[0]
            parts.view.clear_filters()

            def looks(task_id: str) -> tuple[bool, str]:
                model.flush()
                row = model.row_of(task_id)
                assert row is not None
                index = model.index(row, TaskColumn.NAME)
                grey = model.data(index, Qt.ItemDataRole.ForegroundRole) is not None
                return grey, str(model.data(index, Qt.ItemDataRole.ToolTipRole))

            assert looks(running)[0] is False
            parts.service._on_resync(Resync(ResyncReason.RESET, snapshot_follows=False))
            grey, tip = looks(running)
            assert grey
            assert "before the server restarted" in tip
            # The running task's next event is the new lifetime's: a fresh row, no longer grey.
            await until(lambda: not parts.store.is_old_lifetime(running), 10, "news of the task")
            assert looks(running)[0] is False
            assert running in parts.store

    run(scenario())


# ---------------------------------------------------------------------- 3d: settings


def open_settings(parts: Parts) -> SettingsDialog:
    parts.window.action_settings.trigger()
    dialogs = [d for d in parts.window.findChildren(SettingsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def test_the_dialog_refuses_what_the_client_would_refuse(run: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QDialogButtonBox, QSpinBox

    from monitor.services.sse_service import client_config

    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            dialog = open_settings(parts)
            ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
            assert ok.isEnabled()
            for box in (dialog.heartbeat_interval, dialog.heartbeat_timeout):
                box.setValue(0)
                assert not ok.isEnabled()
                assert box.accessibleName() in dialog.error_label.text()
                ok.click()  # refused: nothing applied, the dialog stays
                assert dialog.isVisible()
                assert desktop.settings.reconnect.heartbeat_interval_ms != 0
                box.setValue(1)
                assert ok.isEnabled()
                assert dialog.error_label.text() == ""
            # Every value the dialog lets through, the client takes (each box at both ends).
            for box in dialog.findChildren(QSpinBox):
                for value in (box.minimum(), box.maximum()):
                    before = box.value()
                    box.setValue(value)
                    if ok.isEnabled():
                        client_config(dialog.build_settings())
                    box.setValue(before)
            dialog.reject()

    run(scenario())


def test_a_bad_settings_file_starts_with_defaults_and_says_so(run: Any, tmp_path: Path) -> None:
    bad = {"reconnect": {"heartbeatInterval": 0, "heartbeatTimeout": 5000}, "theme": "dark"}
    (tmp_path / "settings.json").write_text(json.dumps(bad))

    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            assert desktop.settings.reconnect.heartbeat_interval_ms == 30_000  # the default
            assert desktop.settings.theme.value == "dark"  # the good field is kept
            message = parts.window.statusBar().currentMessage()
            assert "reconnect" in message
            assert "reset to default" in message
            await until(lambda: parts.store.ids(), 15, "tasks (the app runs)")

    run(scenario())


# ---------------------------------------------------------------------- 3e: --demo


def test_demo_never_writes_the_server_url(run: Any, tmp_path: Path) -> None:
    mine = "http://tasks.example.org:8080"
    (tmp_path / "settings.json").write_text(json.dumps({"server_url": mine}))

    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            assert desktop.settings.server_url != mine  # this run watches the demo server
            dialog = open_settings(parts)
            dialog.notify_boxes["completed"].setChecked(not desktop.settings.notifications.completed)
            dialog.accept()
            assert not dialog.isVisible()
            saved = json.loads((tmp_path / "settings.json").read_text())
            assert saved["notifications"]["completed"] is desktop.settings.notifications.completed
            assert [p["stream_url"] for p in saved["profiles"]] == [f"{mine}/api/tasks/stream"]

    run(scenario())


def test_a_second_demo_hands_over_to_the_first(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QApplication

    from monitor.app import build_parser

    # The instance socket lives in TMPDIR: a private one keeps other test runs' demos apart.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)

    def demo(folder: str) -> DesktopApp:
        # Different saved servers: only a demo key of its own makes the two one instance.
        (tmp_path / folder).mkdir()
        saved = {"server_url": f"http://{folder}.example.org"}
        (tmp_path / folder / "settings.json").write_text(json.dumps(saved))
        args = build_parser().parse_args(["--demo", "--config-dir", str(tmp_path / folder)])
        return DesktopApp(qapp, args)

    async def scenario() -> None:
        first = demo("a")
        first_run = asyncio.ensure_future(first.run())
        await until(first.built.is_set, 20, "the first demo")
        try:
            window = parts_of(first).window
            window.hide()
            second = demo("b")  # another random demo port, the same instance key
            assert await asyncio.wait_for(second.run(), 20) == 0
            assert not second.built.is_set()
            assert second.parts is None
            await until(window.isVisible, 5, "the first demo's window to come forward")
        finally:
            first.quit(0)
            assert await asyncio.wait_for(first_run, 15) == 0

    run(scenario())


# ---------------------------------------------------------------------- 3g: bounded memory


def test_the_notification_memory_forgets_removed_tasks(run: Any, tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"notifications": {"completed": True}}))

    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            policy = parts.notifier.policy
            await until(lambda: policy.remembered_tasks >= 2, 20, "two live completions")
            # Remove from list: the task's memory goes with it.
            task_id = await select(parts, TaskState.COMPLETED, "a completed task")
            before = policy.remembered_tasks
            parts.view.task_actions.remove.trigger()
            assert task_id not in parts.store
            assert policy.remembered_tasks == before - 1
            # F5 with nothing selected rebuilds the list: nothing of the old list is remembered.
            at_rebuild: list[int] = []
            parts.service.resync_finished.connect(lambda _r: at_rebuild.append(policy.remembered_tasks))
            parts.view.table.clearSelection()
            parts.view.task_actions.refresh.trigger()
            await until(lambda: at_rebuild, 10, "the rebuild")
            assert at_rebuild == [0]

    run(scenario())
