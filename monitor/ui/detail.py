"""The detail pane: every field of the selected task (plain text), timeline, event log, error."""

from __future__ import annotations

import json
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.store import TaskRecord
from monitor.ui.task_model import state_text

__all__ = ["TaskDetail"]

_FIELDS = (
    "id",
    "name",
    "kind",
    "state",
    "progress",
    "stage",
    "attempt",
    "worker",
    "created_at",
    "started_at",
    "finished_at",
)


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


class TaskDetail(QWidget):
    """Shows one task. Signals: none (read-only view)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task_id: str | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        labels = {
            "id": self.tr("ID"),
            "name": self.tr("Name"),
            "kind": self.tr("Kind"),
            "state": self.tr("State"),
            "progress": self.tr("Progress"),
            "stage": self.tr("Stage"),
            "attempt": self.tr("Attempt"),
            "worker": self.tr("Worker"),
            "created_at": self.tr("Created"),
            "started_at": self.tr("Started"),
            "finished_at": self.tr("Finished"),
        }
        for key in _FIELDS:
            value = QLabel()
            value.setTextFormat(Qt.TextFormat.PlainText)  # network strings are never rich text
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            value.setAccessibleDescription(labels[key])  # its name stays its text: the value
            row = QHBoxLayout()
            row.addWidget(value, 1)
            if key in ("id", "name"):
                copy = QToolButton()
                copy.setText(self.tr("Copy"))
                copy.setToolTip(self.tr("Copy {field}").format(field=labels[key]))
                copy.setAccessibleName(copy.toolTip())
                copy.clicked.connect(lambda _=False, v=value: QGuiApplication.clipboard().setText(v.text()))
                row.addWidget(copy)
            caption = QLabel(labels[key])
            caption.setTextFormat(Qt.TextFormat.PlainText)
            caption.setBuddy(value)  # screen readers: the value is labelled by its caption
            form.addRow(caption, row)
            self.values[key] = value
        layout.addLayout(form)
        self.tabs = QTabWidget()
        self.error = self._text(self.tr("Error"))
        self.timeline = self._text(self.tr("Timeline"))
        self.log = self._text(self.tr("Events"))
        self.result = self._text(self.tr("Result"))
        layout.addWidget(self.tabs, 1)
        self.show_task(None)

    def _text(self, title: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setReadOnly(True)
        edit.setAccessibleName(title)
        self.tabs.addTab(edit, title)
        return edit

    @property
    def task_id(self) -> str | None:
        """The task shown, or None."""
        return self._task_id

    def show_task(self, rec: TaskRecord | None) -> None:
        """Show ``rec`` (None: clear)."""
        self._task_id = rec.id if rec is not None else None
        if rec is None:
            for value in self.values.values():
                value.setText("")
            for edit in (self.error, self.timeline, self.log, self.result):
                edit.setPlainText("")
            self.setEnabled(False)
            return
        self.setEnabled(True)
        texts = {
            "id": rec.id,
            "name": rec.name,
            "kind": rec.kind,
            "state": state_text(rec.state),
            "progress": f"{rec.progress:.1f}%",
            "stage": rec.stage or "",
            "attempt": str(rec.attempt),
            "worker": rec.worker or "",
            "created_at": _when(rec.created_at),
            "started_at": _when(rec.started_at),
            "finished_at": _when(rec.finished_at),
        }
        for key, text in texts.items():
            if self.values[key].text() != text:
                self.values[key].setText(text)
        err = ""
        if rec.error is not None:
            err = rec.error.message + ("\n\n" + rec.error.detail if rec.error.detail else "")
        self._set(self.error, err)
        self._set(self.timeline, "\n".join(f"{_when(e.at)}  {e.text}" for e in rec.timeline))
        self._set(self.log, "\n".join(f"{_when(e.at)}  {e.text}" for e in rec.log))
        result = "" if rec.result is None else json.dumps(rec.result, indent=2, ensure_ascii=False)
        self._set(self.result, result)

    @staticmethod
    def _set(edit: QPlainTextEdit, text: str) -> None:
        if edit.toPlainText() != text:  # keep the scroll position when nothing changed
            edit.setPlainText(text)
