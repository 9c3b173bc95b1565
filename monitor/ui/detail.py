"""The detail pane: every field of the selected task (plain text), timeline, event log, error.

It follows the SELECTION (what the toolbar acts on), never the keyboard's current row: one task
selected shows that task, several show a summary ("20 tasks selected: 12 running, 8 queued"),
none shows an empty state.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.protocol import TaskState
from monitor.core.store import TaskRecord
from monitor.ui.plaintext import plain_tooltip
from monitor.ui.task_model import clock_text, state_text

__all__ = ["ElidedLabel", "TaskDetail"]


class ElidedLabel(QLabel):
    """One line of plain text, elided to the width it gets; the full text is the tooltip.

    Its size hints never ask for the text's width, so a long task name neither widens the pane
    nor wraps into a clipped second line. :meth:`full_text` is the whole text (Copy uses it).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)  # network strings are never rich text
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def full_text(self) -> str:
        """The text before eliding."""
        return self._full

    def set_full_text(self, text: str) -> None:
        """Show ``text`` on one line, elided at the right if it does not fit."""
        if text != self._full:
            self._full = text
            # A screen reader reads the whole value, not the elided one ("" falls back to the
            # text, then to the caption whose buddy this is).
            self.setAccessibleName(" ".join(text.split("\n")))
            self._elide()

    def sizeHint(self) -> QSize:
        """As high as one line; no width of its own (the layout decides)."""
        return QSize(10, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        """As :meth:`sizeHint`: never wider because of the text."""
        return self.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Elide again for the new width."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        one_line = " ".join(self._full.split("\n"))
        shown = self.fontMetrics().elidedText(one_line, Qt.TextElideMode.ElideRight, max(self.width(), 10))
        if shown != self.text():
            self.setText(shown)
        self.setToolTip(plain_tooltip(self._full) if shown != self._full else "")


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
    """Shows the selected task, a summary of several, or an empty state. Signals: none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task_id: str | None = None
        layout = QVBoxLayout(self)
        # "Offline: data as of hh:mm", visible text (not only a tooltip) while the data is stale.
        self.stale_note = QLabel()
        self.stale_note.setTextFormat(Qt.TextFormat.PlainText)
        self.stale_note.setObjectName("detailStaleNote")
        self.stale_note.setWordWrap(True)
        self.stale_note.hide()
        layout.addWidget(self.stale_note)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self.empty = self._page_label(self.tr("No task selected"))
        self.summary = self._page_label("")
        self.summary.setAccessibleName(self.tr("Selection summary"))
        task_page = QWidget()
        page_layout = QVBoxLayout(task_page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.values: dict[str, ElidedLabel] = {}
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
            value = ElidedLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # Screen readers: the field is the description, the name is the whole value (below).
            value.setAccessibleDescription(labels[key])
            row = QHBoxLayout()
            row.addWidget(value, 1)
            if key in ("id", "name"):
                copy = QToolButton()
                copy.setText(self.tr("Copy"))
                copy.setToolTip(self.tr("Copy {field}").format(field=labels[key]))
                copy.setAccessibleName(copy.toolTip())
                copy.clicked.connect(
                    lambda _=False, v=value: QGuiApplication.clipboard().setText(v.full_text())
                )
                row.addWidget(copy)
            caption = QLabel(labels[key])
            caption.setTextFormat(Qt.TextFormat.PlainText)
            caption.setBuddy(value)  # screen readers: the value is labelled by its caption
            form.addRow(caption, row)
            self.values[key] = value
        page_layout.addLayout(form)
        self.tabs = QTabWidget()
        self.error = self._text(self.tr("Error"))
        self.timeline = self._text(self.tr("Timeline"))
        self.log = self._text(self.tr("Events"))
        self.result = self._text(self.tr("Result"))
        page_layout.addWidget(self.tabs, 1)
        self.task_page = task_page
        self.pages.addWidget(task_page)
        self.show_task(None)

    def _page_label(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.pages.addWidget(label)
        return label

    def _text(self, title: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setReadOnly(True)
        edit.setAccessibleName(title)
        self.tabs.addTab(edit, title)
        return edit

    @property
    def task_id(self) -> str | None:
        """The task shown, or None (nothing or several selected)."""
        return self._task_id

    def set_stale(self, as_of: float | None) -> None:
        """Say "Offline: data as of hh:mm" above whatever is shown; None hides it."""
        self.stale_note.setVisible(as_of is not None)
        if as_of is not None:
            self.stale_note.setText(self.tr("Offline: data as of {time}").format(time=clock_text(as_of)))

    def show_selection(self, records: Sequence[TaskRecord]) -> None:
        """One record: that task; several: a summary; none: the empty state."""
        if len(records) == 1:
            self.show_task(records[0])
            return
        self._task_id = None
        if not records:
            self.show_task(None)
            return
        self.summary.setText(self.summary_text(records))
        self.pages.setCurrentWidget(self.summary)

    def summary_text(self, records: Sequence[TaskRecord]) -> str:
        """ "20 tasks selected: 12 running, 8 queued" and their mean progress."""
        counts = Counter(rec.state for rec in records)
        states = self.tr(", ").join(
            f"{counts[state]} {state_text(state).lower()}" for state in TaskState if counts[state]
        )
        mean = sum(rec.progress for rec in records) / len(records)
        head = self.tr("{n} tasks selected: {states}").format(n=len(records), states=states)
        return head + "\n" + self.tr("Average progress: {p}%").format(p=f"{mean:.0f}")

    def show_task(self, rec: TaskRecord | None) -> None:
        """Show ``rec`` (None: the empty state)."""
        self._task_id = rec.id if rec is not None else None
        if rec is None:
            self.pages.setCurrentWidget(self.empty)
            return
        self.pages.setCurrentWidget(self.task_page)
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
            self.values[key].set_full_text(text)
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
