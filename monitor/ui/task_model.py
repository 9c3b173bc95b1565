"""The task table model: a thin adapter over :class:`~monitor.core.store.TaskStore`'s view rows.

Repaints are batched: news only marks rows dirty; a ~10 Hz timer (running only while something is
dirty) flushes. Per flush either ONE ``layoutAboutToBeChanged``/``layoutChanged`` pair (order or
membership changed; persistent indexes are remapped so selection, current row and scroll stay on
the same tasks) or one ``dataChanged`` per changed row (per contiguous span past
``_ROW_BY_ROW`` rows, see :meth:`TaskTableModel._emit_spans`). Sorting and filtering are done by
the store in Python, never by a dynamic proxy (measured to freeze at 10k rows).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from itertools import compress, filterfalse
from operator import attrgetter
from typing import Any, Final

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from monitor.core.eta import EtaKind, EtaReading
from monitor.core.lifecycle import PendingAction
from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.core.servers import local_id, server_of
from monitor.core.store import Change, Removed, TaskColumn, TaskRecord, TaskStore, Updated
from monitor.core.text import display_line, display_text, isolate
from monitor.ui.i18n import duration_text
from monitor.ui.icons import state_icon
from monitor.ui.plaintext import plain_tooltip

__all__ = [
    "COLUMN_VIEWS",
    "FLUSH_INTERVAL_MS",
    "ColumnView",
    "OrderHold",
    "TaskColumn",
    "TaskRole",
    "TaskTableModel",
    "clock_text",
    "eta_text",
    "pending_text",
    "progress_label",
    "state_text",
]

#: Flush period: 10 Hz is smooth to the eye and leaves the main thread idle most of the time.
FLUSH_INTERVAL_MS: Final = 100

_Index = QModelIndex | QPersistentModelIndex
#: Up to this many changed rows per flush get one ``dataChanged`` each (a few microseconds per
#: row); more go as spans, whose full repaint is then cheaper than the signals.
_ROW_BY_ROW: Final = 256
_SEQ: Final = attrgetter("seq")
_DISPLAY: Final = int(Qt.ItemDataRole.DisplayRole)


class OrderHold(IntEnum):
    """Why the shown order is not the store's fresh one (live re-sorts deferred)."""

    NONE = 0
    POINTER = 1  # the pointer is over the table or a mouse button is down on it
    MENU = 2  # a menu (context, header, menu bar) is open


class TaskRole(IntEnum):
    """Custom data roles."""

    TASK_ID = Qt.ItemDataRole.UserRole + 1
    SORT = Qt.ItemDataRole.UserRole + 2
    PROGRESS = Qt.ItemDataRole.UserRole + 3
    STATE = Qt.ItemDataRole.UserRole + 4
    STAGE = Qt.ItemDataRole.UserRole + 5
    PENDING = Qt.ItemDataRole.UserRole + 6
    STALE = Qt.ItemDataRole.UserRole + 7


#: Called with a literal context at each site so that pyside6-lupdate finds the strings.
translate = QCoreApplication.translate


# Source texts (marked for pyside6-lupdate), translated when shown: one translate call per
# Status cell, not one per state (the cell is painted for every visible row at 10 Hz).
_STATE_TEXT: Final = {
    TaskState.QUEUED: QT_TRANSLATE_NOOP("TaskTableModel", "Queued"),
    TaskState.RUNNING: QT_TRANSLATE_NOOP("TaskTableModel", "Running"),
    TaskState.PAUSED: QT_TRANSLATE_NOOP("TaskTableModel", "Paused"),
    TaskState.CANCELLING: QT_TRANSLATE_NOOP("TaskTableModel", "Cancelling"),
    TaskState.COMPLETED: QT_TRANSLATE_NOOP("TaskTableModel", "Completed"),
    TaskState.FAILED: QT_TRANSLATE_NOOP("TaskTableModel", "Failed"),
    TaskState.CANCELLED: QT_TRANSLATE_NOOP("TaskTableModel", "Cancelled"),
}
_PENDING_TEXT: Final = {
    PendingAction.PAUSING: QT_TRANSLATE_NOOP("PendingAction", "Pausing…"),
    PendingAction.CANCELLING: QT_TRANSLATE_NOOP("PendingAction", "Cancelling…"),
    PendingAction.RESUMING: QT_TRANSLATE_NOOP("PendingAction", "Resuming…"),
    PendingAction.RETRYING: QT_TRANSLATE_NOOP("PendingAction", "Retrying…"),
}


def state_text(state: TaskState) -> str:
    """Translated state label."""
    return translate("TaskTableModel", str(_STATE_TEXT[state]))


def pending_text(action: PendingAction) -> str:
    """Translated text of a command on its way ("Pausing…"), shown in place of the state."""
    return translate("PendingAction", str(_PENDING_TEXT[action]))


def eta_text(reading: EtaReading) -> str:
    """What the ETA cell shows."""
    if reading.kind is EtaKind.ESTIMATING:
        return translate("TaskTableModel", "estimating…")
    if reading.kind is EtaKind.PAUSED:
        return translate("TaskTableModel", "paused")
    if reading.kind is EtaKind.OVER_DAY:
        return translate("TaskTableModel", "> 1 day")
    if reading.kind is EtaKind.REMAINING and reading.seconds is not None:
        return duration_text(reading.seconds)
    return "-"


def clock_text(ts: float | None) -> str:
    """A local time: "hh:mm:ss" today, else "YYYY-MM-DD hh:mm" ("" for None)."""
    if ts is None:
        return ""
    dt = datetime.fromtimestamp(ts)
    if dt.date() == datetime.now().date():
        return dt.strftime("%H:%M:%S")
    return dt.strftime("%Y-%m-%d %H:%M")


class TaskTableModel(QAbstractTableModel):
    """Table over the store's sorted, filtered view.

    Signals:
        flushed(): After each flush (views refresh counts, the status bar and the detail pane).
        Plus the standard model signals (``layoutChanged``, ``dataChanged``...).

    Rows never move under the user's hand: while :meth:`set_order_held` is on (the pointer is
    over the table) or a menu is open, a flush keeps every shown row where it is (cells still
    repaint in place; new rows join at the end) and the re-sort waits until the hold ends. A
    change the user asked for (sort, filter) is applied at once.

    Args:
        store: The task store (the model never modifies tasks, only the view settings).
        clock: Unix time source (ETA and elapsed), injectable for tests.
        parent: Qt parent.
    """

    flushed = Signal()

    def __init__(
        self, store: TaskStore, *, clock: Callable[[], float] = time.time, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._clock = clock
        self._rows: list[str] = list(store.view_rows())
        # Row of each shown id, built on first use after a relayout (see _rows_by_id).
        self._row_of: dict[str, int] | None = None
        self._dirty: set[str] = set()
        self._stale_since: float | None = None
        self._pending: dict[str, PendingAction] = {}
        # Deferred re-sorts (see the class docstring): the view's hold, what holds now, the
        # store's list the held order was built from, ids removed meanwhile, and when the
        # shown order was last the store's.
        self._held = False
        self._hold = OrderHold.NONE
        self._held_source: list[str] | None = None
        self._held_set: set[str] | None = None
        self._held_removed: set[str] = set()
        self._sorted_at = clock()
        self._icons: dict[TaskState, QIcon] = {}
        self._roles = self._role_table()
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        #: The Server cell of ids without a server's name (one server watched: its profile's name).
        self.server_name = ""
        #: Counters for tests and benchmarks.
        self.layout_changes = 0
        self.data_changed_spans = 0
        self.flushes = 0

    # ------------------------------------------------------------------ feeding

    @property
    def store(self) -> TaskStore:
        """The adapted store."""
        return self._store

    def apply(self, patches: Iterable[TaskPatch]) -> list[Change]:
        """Apply patches to the store and schedule a repaint; return the store's changes."""
        changes = self._store.apply(patches)
        self.note_changes(changes)
        return changes

    def note_changes(self, changes: Iterable[Change]) -> None:
        """Tell the model what the store changed (when someone else applied it)."""
        for change in changes:
            if isinstance(change, Updated):
                self._dirty.add(change.id)
            else:
                self._dirty.update(change.ids)
                if isinstance(change, Removed):  # a held order drops them (cleared when fresh)
                    self._held_removed.update(change.ids)
        self._schedule()

    def invalidate_view(self) -> None:
        """The view settings changed (filter/sort): flush now so the user sees it at once.

        The user asked for this order, so it is applied even while re-sorts are held.
        """
        self._flush(fresh=True)

    def _schedule(self) -> None:
        if (self._dirty or self._store.view_dirty) and not self._timer.isActive():
            # An empty table getting its first tasks (start-up, a snapshot) shows them at once:
            # nothing on screen can flicker, and the first frame comes 100 ms sooner.
            self._timer.start(0 if not self._rows else FLUSH_INTERVAL_MS)

    @property
    def flush_pending(self) -> bool:
        """True while the flush timer runs."""
        return self._timer.isActive()

    def flush(self) -> None:
        """Push pending changes to views: one layout change or one dataChanged per row span.

        While the order is held (see :meth:`set_order_held`) rows keep their places.
        """
        self._flush(fresh=False)

    def _flush(self, *, fresh: bool) -> None:
        self._timer.stop()
        rows = self._store.view_rows()
        hold = OrderHold.NONE if fresh else self._hold_now()
        if hold is OrderHold.NONE:
            self._hold = hold
            self._held_source = None
            self._held_set = None
            self._held_removed.clear()
            self._sorted_at = self._clock()
        elif rows is self._held_source and not self._dirty and hold is self._hold:
            # Held and nothing new: an idle check for the end of the hold (a menu closing sends
            # the model nothing), no O(rows) work and no signal.
            self._timer.start(FLUSH_INTERVAL_MS)
            return
        self.flushes += 1
        if hold is not OrderHold.NONE and rows != self._rows:
            self._hold = hold
            if rows is not self._held_source:
                self._held_source = rows
                rows = self._held_rows()
            else:
                rows = self._rows
            self._timer.start(FLUSH_INTERVAL_MS)  # look again for the end of the hold
        elif hold is not OrderHold.NONE:
            self._hold = OrderHold.NONE  # the fresh order is the shown one: nothing deferred
            self._held_source = None
            self._sorted_at = self._clock()
        if rows != self._rows:
            self._relayout(rows)
        elif self._dirty:
            self._emit_spans()
        self._dirty.clear()
        self.flushed.emit()

    def _hold_now(self) -> OrderHold:
        if QApplication.activePopupWidget() is not None:
            return OrderHold.MENU
        return OrderHold.POINTER if self._held else OrderHold.NONE

    def _held_rows(self) -> list[str]:
        """The shown rows in their places (minus removed tasks), then the newly shown ones.

        A task can only join the view by changing, so only this flush's dirty ids are checked
        against the filter: O(changes), not O(rows) (a set of 100k ids in a shuffled order
        costs ~20 ms to probe). The set of shown ids is built once per hold.
        """
        kept = self._rows
        if self._held_removed:
            kept = list(filterfalse(self._held_removed.__contains__, kept))
            self._held_removed.clear()
            self._held_set = None
        if self._held_set is None:
            self._held_set = set(kept)
        shown, store = self._held_set, self._store
        states, query = store.group.states, store.query
        added = [
            rec
            for tid in self._dirty
            if tid not in shown
            and (rec := store.get(tid)) is not None
            and rec.state in states
            and (query.is_empty or query.matches(rec))
        ]
        if not added:
            return kept
        added.sort(key=_SEQ)  # arrival order
        new_ids = [rec.id for rec in added]
        shown.update(new_ids)
        return kept + new_ids

    def set_order_held(self, held: bool) -> None:
        """Hold the shown order (the pointer is over the table, a button is down) or release it.

        Releasing applies the deferred re-sort at once.
        """
        if held == self._held:
            return
        self._held = held
        if not held and self._hold is not OrderHold.NONE:
            self.flush()

    @property
    def order_hold(self) -> OrderHold:
        """Why a re-sort is deferred now (NONE: the shown order is the store's)."""
        return self._hold

    @property
    def sorted_at(self) -> float:
        """When (model clock) the shown order was last the store's fresh order."""
        return self._sorted_at

    def _relayout(self, rows: list[str]) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_ids = [self._rows[i.row()] if 0 <= i.row() < len(self._rows) else None for i in old]
        # The store never mutates a view list it returned (it builds a new one), so no copy.
        self._rows = rows
        # The id -> row map is not rebuilt here: 18 ms at 100k rows, and a flood that re-sorts
        # every flush would never use it. Only the few persistent indexes need new rows.
        self._row_of = None
        wanted = {tid for tid in old_ids if tid is not None}
        if len(wanted) <= 8:
            # Usually the current row and a small selection: a C-level list.index scan per id
            # beats one pass of Python-visible calls over all rows.
            found = {}
            for tid in wanted:
                with contextlib.suppress(ValueError):  # filtered out now
                    found[tid] = rows.index(tid)
        else:
            found = {rows[i]: i for i in compress(range(len(rows)), map(wanted.__contains__, rows))}
        new = []
        for idx, old_id in zip(old, old_ids, strict=True):
            row = found.get(old_id) if old_id is not None else None
            new.append(QModelIndex() if row is None else self.index(row, idx.column()))
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()
        self.layout_changes += 1

    def _rows_by_id(self) -> dict[str, int]:
        if self._row_of is None:
            self._row_of = dict(zip(self._rows, range(len(self._rows)), strict=True))  # 3x a comprehension
        return self._row_of

    def _emit_spans(self) -> None:
        row_of = self._rows_by_id()
        rows = sorted(r for tid in self._dirty if (r := row_of.get(tid)) is not None)
        last = self.columnCount() - 1
        if len(rows) <= _ROW_BY_ROW:
            # One signal per row: Qt repaints a changed row where it is on screen and nothing
            # when it is not, but repaints the whole viewport for any range of several rows,
            # visible or not (measured: 4 full table paints a second at 1,000 events/s over
            # 10,000 tasks, most of the app's CPU, for rows nobody could see).
            index, emit = self.index, self.dataChanged.emit
            for r in rows:
                emit(index(r, 0), index(r, last))
            self.data_changed_spans += len(rows)
            return
        start = prev = -2
        for r in [*rows, -10]:
            if r != prev + 1:
                if start >= 0:
                    self.dataChanged.emit(self.index(start, 0), self.index(prev, last))
                    self.data_changed_spans += 1
                start = r
            prev = r

    # ------------------------------------------------------------------ stale / pending

    def set_stale(self, as_of: float | None) -> None:
        """Grey everything out as "as of ``as_of``" (offline), or None when live again."""
        if as_of == self._stale_since:
            return
        self._stale_since = as_of
        self.repaint_all()

    def repaint_all(self) -> None:
        """Repaint every row now (everything looks different: offline, or a new server lifetime)."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1))

    @property
    def stale_since(self) -> float | None:
        """When the data went stale, or None."""
        return self._stale_since

    def set_pending(self, ids: Iterable[str], action: PendingAction | None) -> None:
        """Show ``action`` ("Cancelling…", italic) for ``ids`` instead of their state; None clears.

        The command service decides when a command is answered (see ``CommandService``).
        """
        for tid in ids:
            if action is None:
                self._pending.pop(tid, None)
            else:
                self._pending[tid] = action
            self._dirty.add(tid)
        self._schedule()

    def pending(self, task_id: str) -> PendingAction | None:
        """The pending action for ``task_id``."""
        return self._pending.get(task_id)

    # ------------------------------------------------------------------ lookups

    def task_id(self, row: int) -> str:
        """The id shown in ``row``."""
        return self._rows[row]

    def row_of(self, task_id: str) -> int | None:
        """Row of ``task_id`` in the current view, or None."""
        return self._rows_by_id().get(task_id)

    def rows(self) -> list[str]:
        """The ids as the views see them now (until the next flush)."""
        return list(self._rows)

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        """Rows in the view (0 under any valid parent: a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        """Every column; opt-in ones are hidden by the view, not removed here."""
        return 0 if parent.isValid() else len(_COLUMNS)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Selectable and enabled, never editable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles and their tooltips."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(_COLUMNS):
            return None
        view = COLUMN_VIEWS[_COLUMNS[section]]
        if role == Qt.ItemDataRole.DisplayRole:
            return view.title_text()
        if role == Qt.ItemDataRole.ToolTipRole:
            return view.tooltip()
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort via the store (Python), then flush at once."""
        if not 0 <= column < len(_COLUMNS):
            return
        self._store.set_sort(_COLUMNS[column].key, order == Qt.SortOrder.DescendingOrder)
        self._flush(fresh=True)

    def sort_state(self) -> tuple[TaskColumn, Qt.SortOrder]:
        """The store's sort as (column, order), for the header's sort indicator."""
        key, desc = self._store.sort
        col = TaskColumn.from_key(key) or TaskColumn.NAME
        return col, Qt.SortOrder.DescendingOrder if desc else Qt.SortOrder.AscendingOrder

    def record(self, index: _Index) -> TaskRecord | None:
        """The task behind ``index``."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._store.get(self._rows[index.row()])

    def _icon(self, state: TaskState) -> QIcon:
        icon = self._icons.get(state)
        if icon is None:
            icon = self._icons[state] = state_icon(f"task-{state.value}")
        return icon

    def status_text(self, rec: TaskRecord) -> str:
        """The Status cell: the pending command ("Pausing…") or else the state, translated."""
        pending = self._pending.get(rec.id)
        return pending_text(pending) if pending is not None else state_text(rec.state)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        """Cell data; text is always plain (never rich text)."""
        # A view asks ~10 roles per cell per paint: one dict lookup answers the roles we do not
        # serve, and no enum is built per call (TaskColumn(n) alone cost 0.7 us).
        get = self._roles.get(role)
        if get is None:
            return None
        row = index.row()
        rows = self._rows
        if not 0 <= row < len(rows):
            return None  # also the invalid index (row -1)
        rec = self._store.get(rows[row])
        if rec is None:
            return None
        return get(rec, _COLUMNS[index.column()])

    def _role_table(self) -> dict[int, Callable[[TaskRecord, TaskColumn], Any]]:
        return {
            _DISPLAY: self._display,
            int(TaskRole.TASK_ID): lambda rec, _col: rec.id,
            int(TaskRole.SORT): lambda rec, col: col.sort_key.value(rec),
            int(TaskRole.PROGRESS): lambda rec, _col: rec.progress,
            int(TaskRole.STATE): lambda rec, _col: rec.state.value,
            int(TaskRole.STAGE): lambda rec, _col: rec.stage,
            int(TaskRole.PENDING): lambda rec, _col: self._pending.get(rec.id),
            int(TaskRole.STALE): lambda _rec, _col: self._stale_since is not None,
            int(Qt.ItemDataRole.DecorationRole): self._decoration,
            int(Qt.ItemDataRole.ToolTipRole): lambda rec, col: plain_tooltip(self._tooltip(rec, col)),
            int(Qt.ItemDataRole.AccessibleTextRole): self._display,
            int(Qt.ItemDataRole.AccessibleDescriptionRole): lambda rec, _col: self.accessible_summary(rec),
            int(Qt.ItemDataRole.ForegroundRole): self._foreground,
            int(Qt.ItemDataRole.FontRole): self._font,
            int(Qt.ItemDataRole.TextAlignmentRole): lambda _rec, col: _ALIGN.get(col),
        }

    def _decoration(self, rec: TaskRecord, col: TaskColumn) -> QIcon | None:
        return self._icon(rec.state) if col is TaskColumn.STATUS else None

    def _foreground(self, rec: TaskRecord, col: TaskColumn) -> QBrush | None:
        # Offline, or a row the restarted server has not spoken of yet: greyed, never hidden.
        if self._stale_since is None and not self._store.is_old_lifetime(rec.id):
            return None
        return QBrush(QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))

    def _font(self, rec: TaskRecord, col: TaskColumn) -> QFont | None:
        if rec.id not in self._pending:
            return None
        font = QFont()
        font.setItalic(True)
        return font

    def _display(self, rec: TaskRecord, col: TaskColumn) -> str:
        # One tuple lookup and one call: no chain of column tests, no clock read for text cells.
        return _CELL_TEXT[col](self, rec)

    def now(self) -> float:
        """The time ETA and Elapsed are computed at: the clock, or when the data went stale.

        Offline the progress is frozen, so the clocks stop too: an ETA counting down to "0s" on
        a task last seen at 27 % would be a lie.
        """
        return self._clock() if self._stale_since is None else self._stale_since

    def _tooltip(self, rec: TaskRecord, col: TaskColumn) -> str:
        # Server text in full (controls shown as escapes; a cell shows one line of it, cut).
        if col is TaskColumn.ERROR and rec.error is not None:
            return display_text(rec.error.message)
        if col is TaskColumn.PROGRESS and rec.stage:
            return display_text(rec.stage)
        if self._stale_since is not None:
            as_of = datetime.fromtimestamp(self._stale_since).strftime("%H:%M")
            return translate("TaskTableModel", "Offline: as of {time}").format(time=as_of)
        if self._store.is_old_lifetime(rec.id):
            return translate("TaskTableModel", "From before the server restarted")
        return display_text(f"{rec.name}\n{local_id(rec.id)}")

    def accessible_summary(self, rec: TaskRecord) -> str:
        """ "name, running, 42 percent, 3m 00s left" for screen readers."""
        parts = [
            display_line(rec.name),
            self.status_text(rec).lower(),
            translate("TaskTableModel", "{n} percent").format(n=f"{rec.progress:.0f}"),
        ]
        reading = rec.eta_reading(self.now())
        if reading.kind is EtaKind.REMAINING and reading.seconds is not None:
            parts.append(translate("TaskTableModel", "{t} left").format(t=duration_text(reading.seconds)))
        return ", ".join(parts)


# ---------------------------------------------------------------------- the columns' Qt half


def progress_label(progress: float, stage: str | None) -> str:
    """ "42% · transcribing" (plain text): the Progress cell and the label on its bar.

    The stage is the server's: controls shown, one line, cut, and isolated if right-to-left (a
    Hebrew stage must not reorder the percentage before it).
    """
    return f"{progress:.0f}%" + (f" · {isolate(display_line(stage))}" if stage else "")


def _progress_cell(_model: TaskTableModel, rec: TaskRecord) -> str:
    return progress_label(rec.progress, rec.stage)


def _eta_cell(model: TaskTableModel, rec: TaskRecord) -> str:
    if rec.state is TaskState.QUEUED:
        return ""  # not started: no estimate, and "estimating…" on every queued row is noise
    return eta_text(rec.eta_reading(model.now()))


def _elapsed_cell(model: TaskTableModel, rec: TaskRecord) -> str:
    el = rec.elapsed(model.now())
    return "" if el is None else duration_text(el)


def _error_cell(_model: TaskTableModel, rec: TaskRecord) -> str:
    return display_line(rec.error.message.splitlines()[0]) if rec.error and rec.error.message else ""


@dataclass(frozen=True, slots=True)
class ColumnView:
    """The Qt half of one :class:`TaskColumn` (the pure half, its sort key, lives in the store).

    Attributes:
        title: Header text, the untranslated source (``QT_TRANSLATE_NOOP``, context
            "TaskTableModel", so that pyside6-lupdate finds it).
        tip: Header tooltip, the same way.
        text: The cell's display text: ``text(model, record)``.
        width: First-run width in px (a saved layout overrides it).
        opt_in: Hidden until the user shows it (View > Columns, the header's menu).
        right: Right-aligned (numbers and durations).
    """

    title: object  # QT_TRANSLATE_NOOP is typed as returning object
    tip: object
    text: Callable[[TaskTableModel, TaskRecord], str]
    width: int = 90
    opt_in: bool = False
    right: bool = False

    def title_text(self) -> str:
        """The translated header text."""
        return translate("TaskTableModel", str(self.title))

    def tooltip(self) -> str:
        """The translated header tooltip."""
        return translate("TaskTableModel", str(self.tip))


#: The Qt half of every column, keyed by the store's registry (:class:`TaskColumn`).
COLUMN_VIEWS: Final[dict[TaskColumn, ColumnView]] = {
    TaskColumn.NAME: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Name"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Task name (audio file for transcriptions)"),
        lambda _m, rec: display_line(rec.name),  # server strings: controls shown, one line, cut
        width=230,
    ),
    TaskColumn.STATUS: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Status"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Lifecycle state"),
        TaskTableModel.status_text,
        width=100,
    ),
    TaskColumn.PROGRESS: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Progress"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Percent done and current stage"),
        _progress_cell,
        width=150,
    ),
    TaskColumn.ETA: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "ETA"),
        QT_TRANSLATE_NOOP(
            "TaskTableModel", "Estimated time left (worker estimate, else smoothed from progress)"
        ),
        _eta_cell,
        width=70,
        right=True,
    ),
    TaskColumn.ELAPSED: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Elapsed"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Run time so far"),
        _elapsed_cell,
        width=70,
        right=True,
    ),
    TaskColumn.STARTED: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Started"),
        QT_TRANSLATE_NOOP("TaskTableModel", "When the task started"),
        lambda _m, rec: clock_text(rec.started_at),
        width=72,
        opt_in=True,  # the detail pane shows it; Elapsed says the same at a glance
    ),
    TaskColumn.FINISHED: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Finished"),
        QT_TRANSLATE_NOOP("TaskTableModel", "When the task finished"),
        lambda _m, rec: clock_text(rec.finished_at),
        width=72,
    ),
    TaskColumn.ID: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "ID"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Server task id"),
        lambda _m, rec: display_line(local_id(rec.id)),  # as its server knows it, without its name
        opt_in=True,
    ),
    TaskColumn.WORKER: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Worker"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Worker running the task"),
        lambda _m, rec: display_line(rec.worker or ""),
        opt_in=True,
    ),
    TaskColumn.ATTEMPT: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Attempt"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Run number (1 = first run)"),
        lambda _m, rec: str(rec.attempt),
        opt_in=True,
        right=True,
    ),
    TaskColumn.ERROR: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Error"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Why the task failed"),
        _error_cell,
        opt_in=True,
    ),
    TaskColumn.KIND: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Kind"),
        QT_TRANSLATE_NOOP("TaskTableModel", "Kind of job"),
        lambda _m, rec: display_line(rec.kind),
        opt_in=True,
    ),
    TaskColumn.SERVER: ColumnView(
        QT_TRANSLATE_NOOP("TaskTableModel", "Server"),
        QT_TRANSLATE_NOOP("TaskTableModel", "The server the task runs on (its connection profile)"),
        lambda m, rec: display_line(server_of(rec.id) or m.server_name),
        width=110,
        opt_in=True,  # shown by default when several servers are watched (monitor.wiring.servers)
    ),
}

# Indexed by model column on the paint path (a KeyError here at import: a column without its view).
_COLUMNS: Final = tuple(TaskColumn)
_CELL_TEXT: Final = tuple(COLUMN_VIEWS[c].text for c in _COLUMNS)
_RIGHT: Final = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ALIGN: Final = {c: _RIGHT for c in _COLUMNS if COLUMN_VIEWS[c].right}
