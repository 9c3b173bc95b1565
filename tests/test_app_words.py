"""Words and help (issue 12) through the real app on the demo: the search placeholder's examples
find demo tasks, Enter and double-click show details, the shortcut help lists every action's keys,
no toast while the app's own menu or dialog is open."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QWindow
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from monitor.core.notify_policy import Notice, NotifyEvent
from monitor.core.protocol import TaskState
from monitor.core.query import Query, parse_query
from monitor.server.demo import _name
from monitor.ui.settings_dialog import SettingsDialog
from monitor.ui.task_model import TaskColumn
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until

ROOT = Path(__file__).resolve().parent.parent


def _examples(text: str) -> list[str]:
    """The qualifier examples (``word:value``, quoted values kept whole) in a text."""
    pattern = r'-?\b(?:name|worker|state):(?:"[^"]*"|[\w.-]+)'
    return [m.group(0) for m in re.finditer(pattern, text)]


def test_the_placeholder_examples_find_demo_tasks(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            view = parts.view
            examples = _examples(view.search.placeholderText())
            assert any(e.startswith("worker:") for e in examples), examples
            await until(
                lambda: any((r := parts.store.get(i)) is not None and r.worker for i in parts.store.ids()),
                15,
                "a task with a worker",
            )
            for example in examples:
                if example.startswith("state:"):
                    continue  # a state, not demo data
                view.search.setText(example)
                assert not view.search_error.isVisibleTo(view), view.search_error.text()
                view.model.flush()
                assert view.model.rowCount() > 0, f"{example!r} finds no demo task"

    run(scenario())


def test_the_readme_name_examples_match_demo_names() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    find = readme[readme.index("- **Find.**") : readme.index("- **Act.**")]
    names = {_name(random.Random(seed), seed) for seed in range(300)}
    examples = [e for e in _examples(find) if e.startswith("name:") and '"my file"' not in e]
    assert examples, find
    for example in examples:
        query = parse_query(example)
        assert isinstance(query, Query), example
        assert any(query.matches(_Named(n)) for n in names), f"{example!r} matches no demo name"


class _Named:
    """The fields a query reads, for a demo name."""

    def __init__(self, name: str) -> None:
        self.id, self.name, self.worker, self.kind = "demo-0001", name, None, "transcription"
        self.state = TaskState.RUNNING


def test_help_lists_every_shortcut_the_actions_define(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            window = parts_of(desktop).window
            lines = window.shortcuts_text().splitlines()
            keys = {line.split("\t")[0] for line in lines}
            for key in ("Shift+Del", "Ctrl+C", "Ctrl+A", "Del", "Space", "Ctrl+R", "F5", "Ctrl+F", "Esc"):
                assert key in keys, lines
            assert "Return, Enter\tShow details" in lines
            # Every action of the window that has a key is listed, with that key.
            for action in window.findChildren(QAction):
                for key in action.shortcuts():
                    text = key.toString(QKeySequence.SequenceFormat.NativeText)
                    assert any(text in line.split("\t")[0].split(", ") for line in lines), (text, lines)

    run(scenario())


def test_enter_and_double_click_show_the_task_in_the_detail_pane(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            window, view = parts.window, parts.view
            window.show()
            await until(lambda: len(parts.store) >= 2, 15, "two tasks")
            view.model.flush()
            window.action_detail_pane.setChecked(False)
            assert not view.detail.isVisibleTo(window)
            # Enter on the cursor row (nothing selected yet: the table starts that way).
            view.table.setFocus()
            view.table.clearSelection()
            view.table.setCurrentIndex(view.model.index(1, 0))
            view.table.clearSelection()
            first = view.model.task_id(1)
            QTest.keyClick(view.table, Qt.Key.Key_Return)
            assert window.action_detail_pane.isChecked()
            assert view.detail.isVisibleTo(window)
            assert view.selected_ids() == [first]
            assert view.detail.task_id == first
            # Double-click another row with the pane hidden again.
            window.action_detail_pane.setChecked(False)
            view.model.set_order_held(True)  # the pointer is over the table: rows keep still
            second = view.model.task_id(0)
            rect = view.table.visualRect(view.model.index(0, int(TaskColumn.NAME)))
            # What a real double-click delivers: press, release, double-click (QTest's mouseDClick
            # alone sends only the last, which a view ignores without the press before it).
            QTest.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            QTest.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            assert window.action_detail_pane.isChecked()
            assert view.detail.isVisibleTo(window)
            assert view.detail.task_id == second
            # Ctrl+A on the table selects every row.
            QTest.keyClick(view.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            assert len(view.selected_ids()) == view.model.rowCount()

    run(scenario())


# Offscreen menus cannot grab the keyboard; under xcb the same popup is silent.
@pytest.mark.qt_log_ignore(r"^This plugin does not support grabbing the keyboard$")
def test_no_toast_while_a_menu_or_dialog_of_the_app_is_open(run: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path, demo=False) as desktop:
            parts = parts_of(desktop)
            window, notifier = parts.window, parts.notifier
            assert notifier.policy.settings.quiet_when_focused
            shown: list[Notice] = []
            notifier.delivered.connect(lambda _path, notice: shown.append(notice))

            async def notice_for(task_id: str) -> Notice:
                notifier.task_finished(NotifyEvent.FAILED, task_id, f"{task_id}.wav", detail="boom")
                await until(lambda: any(task_id in n.task_ids for n in shown), 10, f"the notice of {task_id}")
                return next(n for n in shown if task_id in n.task_ids)

            # The user is in another program (a bare QWindow is no widget of the app): a toast.
            elsewhere = QWindow()
            elsewhere.show()
            elsewhere.requestActivate()
            try:
                await until(lambda: QGuiApplication.focusWindow() is elsewhere, 5, "another window active")
                assert QApplication.activeWindow() is None
                assert (await notice_for("t-none")).toast
                # One of the app's menus is open (no window of the app is active): the banner.
                window.view_menu.popup(QPoint(0, 0))
                await until(lambda: QApplication.activePopupWidget() is window.view_menu, 5, "the menu open")
                notice = await notice_for("t-menu")
                assert not notice.toast
                assert notice in window.banner.notices  # the banner says it instead
                window.view_menu.close()
                await until(lambda: QApplication.activePopupWidget() is None, 5, "the menu closed")
                assert (await notice_for("t-after-menu")).toast
                # The app's Settings dialog is the active window, not the main window: the banner.
                window.settings_requested.emit()
                dialog = next(
                    w
                    for w in QApplication.topLevelWidgets()
                    if isinstance(w, SettingsDialog) and w.parent() is window and w.isVisible()
                )
                dialog.activateWindow()
                await until(lambda: QApplication.activeWindow() is dialog, 5, "the dialog active")
                assert not window.isActiveWindow()
                assert not (await notice_for("t-dialog")).toast
                dialog.reject()
            finally:
                elsewhere.destroy()

    run(scenario())
