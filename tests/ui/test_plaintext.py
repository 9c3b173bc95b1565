"""Network strings in tooltips display literally, never as rich text."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.core.store import TaskStore
from monitor.ui.plaintext import describe_by_tooltip, plain_tooltip, tooltip_text
from monitor.ui.task_model import TaskTableModel

EVIL = '<img src="/etc/passwd"><b>bold</b> & <a href="x">link</a>\nsecond line'


def _rendered(markup: str) -> str:
    doc = QTextDocument()
    doc.setHtml(markup)
    return doc.toPlainText()


def test_tooltip_markup_shows_the_text_literally(qtbot: QtBot) -> None:
    del qtbot  # a QApplication must exist for QTextDocument
    assert _rendered(plain_tooltip(EVIL)) == EVIL
    assert plain_tooltip("") == ""


def test_model_tooltips_escape_task_names(qtbot: QtBot) -> None:
    del qtbot
    store = TaskStore()
    store.apply([TaskPatch(id="t1", received_at=1.0, name=EVIL, state=TaskState.RUNNING, full=True)])
    model = TaskTableModel(store)
    model.flush()
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert EVIL.split("\n")[0] in _rendered(tip)
    assert "<img" not in tip


def test_tooltip_text_undoes_the_markup() -> None:
    assert tooltip_text(plain_tooltip(EVIL)) == EVIL
    assert tooltip_text("Retry") == "Retry"  # not ours: left alone
    assert tooltip_text("") == ""


def test_buttons_are_described_by_the_tooltip_text_not_its_markup(qtbot: QtBot) -> None:
    button = QToolButton()  # not qtbot.addWidget: the test deletes it itself
    action = QAction("Refresh")
    action.setToolTip(plain_tooltip("Reconnect: no snapshot at <http://x/?a=1&b=2>"))
    describe_by_tooltip(action, button)
    assert button.accessibleDescription() == "Reconnect: no snapshot at <http://x/?a=1&b=2>"
    action.setToolTip("No task selected")  # followed as it changes
    assert button.accessibleDescription() == "No task selected"
    button.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(button))
    action.setToolTip("after the button went")  # no RuntimeError from a deleted button
