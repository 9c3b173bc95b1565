"""Network strings in tooltips display literally, never as rich text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.core.store import TaskStore
from monitor.ui.plaintext import plain_tooltip
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
