"""View > Notification history: what was shown, when, where, and what was done with it.

A non-modal dialog over :class:`~monitor.core.notify_history.NotificationHistory` (the notifier
keeps it): newest first, plain text cells (titles and bodies come from the network), and a
double-click brings the notice's task forward, as clicking the notice would have.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.core.notify_history import HistoryEntry, Outcome
from monitor.ui.plaintext import plain_tooltip

__all__ = ["NotificationHistoryDialog"]

_PATHS = {
    "dbus": QT_TRANSLATE_NOOP("NotificationHistory", "Desktop notification"),
    "tray": QT_TRANSLATE_NOOP("NotificationHistory", "Tray message"),
    "banner": QT_TRANSLATE_NOOP("NotificationHistory", "In the window"),
}
_OUTCOMES = {
    Outcome.SHOWN: QT_TRANSLATE_NOOP("NotificationHistory", "Not clicked"),
    Outcome.CLICKED: QT_TRANSLATE_NOOP("NotificationHistory", "Clicked"),
    Outcome.RETRIED: QT_TRANSLATE_NOOP("NotificationHistory", "Retried"),
    Outcome.OPENED: QT_TRANSLATE_NOOP("NotificationHistory", "Result opened"),
}


def _tr(text: object) -> str:
    return QCoreApplication.translate("NotificationHistory", str(text))


def _clock(at: float | None) -> str:
    return "" if at is None else time.strftime("%H:%M:%S", time.localtime(at))


class NotificationHistoryDialog(QDialog):
    """The notification history, newest first.

    Signals:
        task_activated(str): A row was double-clicked: its notice's first task id.

    Args:
        parent: The main window.
    """

    task_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationHistory")
        self.setWindowTitle(self.tr("Notification history"))
        self.resize(640, 360)
        self._empty = QLabel(self.tr("No notifications yet in this session."), self)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("notificationHistoryTable")
        self.table.setAccessibleName(self.tr("Notification history"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("Notification"), self.tr("Shown as"), self.tr("What happened")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellDoubleClicked.connect(self._activate)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self._empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._rows: list[HistoryEntry] = []  # newest first, as shown
        self._render()

    def set_entries(self, entries: Iterable[HistoryEntry]) -> None:
        """Show ``entries`` (oldest first, as the history keeps them)."""
        self._rows = list(reversed(list(entries)))
        self._render()

    def entry_changed(self, entry: HistoryEntry) -> None:
        """A notice was delivered, or its outcome changed."""
        for i, row in enumerate(self._rows):
            if row.number == entry.number:
                self._rows[i] = entry
                break
        else:
            self._rows.insert(0, entry)
        self._render()

    def rows(self) -> list[list[str]]:
        """The cells' texts, row by row (what the user reads)."""
        return [
            [item.text() if (item := self.table.item(r, c)) is not None else "" for c in range(4)]
            for r in range(self.table.rowCount())
        ]

    def _render(self) -> None:
        self._empty.setVisible(not self._rows)
        self.table.setRowCount(len(self._rows))
        for r, entry in enumerate(self._rows):
            text = f"{entry.title} - {entry.body}" if entry.body else entry.title
            acted = _tr(_OUTCOMES[entry.outcome])
            if entry.acted_at is not None:
                acted = f"{acted} ({_clock(entry.acted_at)})"
            cells = (_clock(entry.shown_at), text, _tr(_PATHS.get(entry.path, entry.path)), acted)
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)  # plain text: titles and bodies come from the network
                item.setToolTip(plain_tooltip(value) if c == 1 else "")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(r, c, item)

    def _activate(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._rows) and self._rows[row].task_ids:
            self.task_activated.emit(self._rows[row].task_ids[0])
