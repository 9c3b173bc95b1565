"""The detail pane: every field of the selected task (plain text), timeline, event log, error.

It follows the SELECTION (what the toolbar acts on), never the keyboard's current row: one task
selected shows that task, several show a summary ("20 tasks selected: 12 running, 8 queued"),
none shows an empty state.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import JsonValue
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

from monitor.core.protocol import TERMINAL_STATES, TaskState
from monitor.core.servers import local_id
from monitor.core.store import LogEntry, TaskRecord
from monitor.core.text import display_line, display_text
from monitor.ui.plaintext import plain_tooltip
from monitor.ui.task_model import clock_text, state_text

__all__ = ["ElidedLabel", "TaskDetail", "result_text", "timeline_points"]


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


#: A name or stage longer than this also shows whole in the Full text tab (the fields cut it).
_FULL_TEXT_OVER = 60

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


#: A result value longer than this is elided (the pane is not a viewer; Copy-able text stays short).
RESULT_VALUE_LIMIT = 200
_LOCATION = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|~?/?(?:[^\s/]+/)+[^\s/]*)$", re.IGNORECASE)


def _elide(text: str, limit: int = RESULT_VALUE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scalar_text(value: JsonValue) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)  # a nested list/object: compact, on one line


def _key_text(key: str) -> str:
    """``audio_seconds`` -> ``Audio seconds``; ``outputUrl`` -> ``Output url``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ").split()
    text = " ".join(words).lower() or key
    return text[:1].upper() + text[1:]


def result_text(result: JsonValue) -> str:
    """A task's result as plain lines: an object as "Key: value" lines, a list one item a line.

    Long values are elided; a URL or a path goes on a line of its own (indented), so it can be
    selected and copied whole.
    """
    if result is None:
        return ""
    if isinstance(result, dict):
        lines = []
        for key, value in result.items():
            text = _elide(_scalar_text(value))
            if isinstance(value, str) and _LOCATION.match(value):
                lines.append(f"{_key_text(key)}:\n    {text}")
            else:
                lines.append(f"{_key_text(key)}: {text}")
        return "\n".join(lines)
    if isinstance(result, list):
        return "\n".join(f"• {_elide(_scalar_text(item))}" for item in result)
    return _elide(_scalar_text(result), RESULT_VALUE_LIMIT * 10)


def _entry_time(entry: LogEntry) -> float:
    """The server's time of a change when it said one, else when the news arrived."""
    return entry.server_at if entry.server_at is not None else entry.at


def timeline_points(rec: TaskRecord) -> list[tuple[float, TaskState]]:
    """When the task entered each state, by the server's clock where it can be known.

    Queued at ``created_at``; the first run at ``started_at``; the final state at
    ``finished_at``; the states in between (paused, resumed, cancelling) at the time the server
    stamped their news (``updated_at``), else when the app received it. A task first seen
    already finished still gets its queued, started and finished points.
    """
    points: list[tuple[float, TaskState]] = [(rec.created_at, TaskState.QUEUED)]
    # (time, state, whether the server stamped that time)
    seen: list[tuple[float, TaskState, bool]] = []
    for entry in rec.timeline:
        try:
            state = TaskState(entry.text)
        except ValueError:
            continue
        seen.append((_entry_time(entry), state, entry.server_at is not None))
    if seen and seen[0][1] is TaskState.QUEUED:
        seen.pop(0)  # the first sighting of a queued task: created_at says it better
    if rec.started_at is not None:
        runs = [i for i, (_, state, _) in enumerate(seen) if state is TaskState.RUNNING]
        if not runs:
            seen.insert(0, (rec.started_at, TaskState.RUNNING, True))
        elif not seen[runs[0]][2] and (len(runs) == 1 or rec.attempt == 1):
            # started_at is the start of the current attempt: the first run's only when it is one.
            seen[runs[0]] = (rec.started_at, TaskState.RUNNING, True)
    if rec.state in TERMINAL_STATES and rec.finished_at is not None:
        if seen and seen[-1][1] is rec.state:
            seen[-1] = (rec.finished_at, rec.state, True)
        else:
            seen.append((rec.finished_at, rec.state, True))
    points += [(at, state) for at, state, _ in seen]
    return sorted(points, key=lambda point: point[0])  # stable: equal times keep their order


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
        self._labels = labels | {
            "eta": self.tr("ETA"),
            "updated_at": self.tr("Updated"),
            "error": self.tr("Error"),
            "result": self.tr("Result"),
        }
        self.tabs = QTabWidget()
        self.error = self._text(self.tr("Error"))
        self.timeline = self._text(self.tr("Timeline"))
        self.log = self._text(self.tr("Events"))
        self.result = self._text(self.tr("Result"))
        # A name or stage too long for its line above, in full: wrapped and scrollable.
        self.full_text = self._text(self.tr("Full text"))
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

    def add_tab(self, widget: QWidget, title: str) -> None:
        """Add a tab after the built-in ones (a feature's view of the task shown)."""
        widget.setAccessibleName(widget.accessibleName() or title)
        self.tabs.addTab(widget, title)

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
            "id": local_id(rec.id),  # as its server knows it (the Server column names the server)
            "name": rec.name,
            "kind": rec.kind,
            "state": state_text(rec.state),
            "progress": f"{rec.progress:.1f}%",
            "stage": self.stage_text(rec),
            "attempt": str(rec.attempt),
            "worker": rec.worker or "",
            "created_at": _when(rec.created_at),
            "started_at": _when(rec.started_at),
            "finished_at": _when(rec.finished_at),
        }
        for key, text in texts.items():
            # Server strings: controls and bidi overrides shown as escapes, never obeyed.
            self.values[key].set_full_text(display_text(text))
        err = ""
        if rec.error is not None:
            err = rec.error.message + ("\n\n" + rec.error.detail if rec.error.detail else "")
        self._set(self.error, err)
        self._set(
            self.timeline,
            "\n".join(f"{clock_text(at)}  {state_text(state)}" for at, state in timeline_points(rec)),
        )
        self._set(self.log, "\n".join(self.event_text(entry) for entry in rec.log))
        result = result_text(rec.result)
        self._set(self.result, result)
        labels = self._labels
        # The whole name and stage, where the fields above had to cut or escape them.
        shortened = any(
            len(text) > _FULL_TEXT_OVER or display_line(text, None) != text
            for text in (rec.name, rec.stage or "")
        )
        full = f"{labels['name']}\n{rec.name}\n\n{labels['stage']}\n{rec.stage}" if shortened else ""
        self._set(self.full_text, full)
        self._show_tabs_with_text(err, result, full)

    def _show_tabs_with_text(self, error: str, result: str, full: str) -> None:
        """Error, Result and Full text show only when they have something to say.

        Four tabs do not fit the pane's default width (Result sat behind scroll arrows at 1280
        px) and an empty first tab told nothing; a task rarely has both an error and a result.
        An error that appears is what to read first, so its tab comes forward.
        """
        for edit, text in ((self.error, error), (self.result, result), (self.full_text, full)):
            index = self.tabs.indexOf(edit)
            appeared = bool(text) and not self.tabs.isTabVisible(index)
            self.tabs.setTabVisible(index, bool(text))
            if appeared and edit is self.error:
                self.tabs.setCurrentIndex(index)

    def stage_text(self, rec: TaskRecord) -> str:
        """The stage while the task is live; "—" once it completed (its last stage is history)."""
        if not rec.stage:
            return "—"
        if rec.state is TaskState.COMPLETED:
            return "—"
        if rec.state in TERMINAL_STATES:
            return self.tr("{stage} (when it stopped)").format(stage=rec.stage)
        return rec.stage

    def event_label(self, source: str) -> str:
        """What kind of news an event log line records, in words."""
        labels = {
            "task_created": self.tr("Task created"),
            "task_updated": self.tr("Task updated"),
            "task_progress": self.tr("Progress"),
            "progress": self.tr("Progress"),
            "task_complete": self.tr("Task completed"),
            "task_failed": self.tr("Task failed"),
            "task_cancelled": self.tr("Task cancelled"),
            "snapshot": self.tr("Task list refreshed"),
        }
        return labels.get(source) or source or self.tr("Update")

    def event_text(self, entry: LogEntry) -> str:
        """One line of the Events tab: time, what happened, which fields changed (in words)."""
        when = clock_text(_entry_time(entry))
        if entry.text.startswith("ignored: stale"):
            return f"{when}  " + self.tr("Ignored: older news about a finished task")
        if entry.text.startswith("ignored:"):
            return f"{when}  " + self.tr("Ignored: older than what is shown")
        label = self.event_label(entry.source)
        # "Updated" changes with every news: naming it says nothing unless it is all that changed.
        fields = [name for name in entry.fields if name != "updated_at"] or entry.fields
        if not fields:
            return f"{when}  {label}"
        changed = self.tr(", ").join(self._labels.get(name, name) for name in fields)
        return f"{when}  " + self.tr("{event}: {fields} changed").format(event=label, fields=changed)

    @staticmethod
    def _set(edit: QPlainTextEdit, text: str) -> None:
        text = display_text(text)  # the server's strings: controls shown as escapes
        if edit.toPlainText() != text:  # keep the scroll position when nothing changed
            edit.setPlainText(text)
