"""The state sidebar: All, Active, Queued, Running, Paused, Completed, Failed, Cancelled with live counts."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from monitor.core.store import StateGroup

__all__ = ["StateSidebar", "group_label"]


def group_label(group: StateGroup) -> str:
    """Translated label of a sidebar group."""
    # Named ``translate`` (not ``tr``): pyside6-lupdate reads a bare ``tr(a, b)`` as (source, comment).
    translate = QCoreApplication.translate
    return {
        StateGroup.ALL: translate("StateSidebar", "All"),
        StateGroup.ACTIVE: translate("StateSidebar", "Active"),
        StateGroup.QUEUED: translate("StateSidebar", "Queued"),
        StateGroup.RUNNING: translate("StateSidebar", "Running"),
        StateGroup.PAUSED: translate("StateSidebar", "Paused"),
        StateGroup.COMPLETED: translate("StateSidebar", "Completed"),
        StateGroup.FAILED: translate("StateSidebar", "Failed"),
        StateGroup.CANCELLED: translate("StateSidebar", "Cancelled"),
    }[group]


class StateSidebar(QListWidget):
    """A list of state groups with counts.

    Signals:
        group_selected(str): The :class:`StateGroup` value the user picked.
    """

    group_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Task states"))
        self._items: dict[StateGroup, QListWidgetItem] = {}
        for group in StateGroup:
            item = QListWidgetItem(group_label(group), self)
            item.setData(Qt.ItemDataRole.UserRole, group.value)
            self._items[group] = item
        self.setCurrentRow(0)
        self.currentItemChanged.connect(self._changed)
        self.setMaximumWidth(180)

    def _changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.group_selected.emit(current.data(Qt.ItemDataRole.UserRole))

    def set_counts(self, counts: Mapping[StateGroup, int]) -> None:
        """Show live counts ("Failed (3)")."""
        for group, item in self._items.items():
            n = counts.get(group, 0)
            text = f"{group_label(group)} ({n})"
            if item.text() != text:
                item.setText(text)
                item.setData(
                    Qt.ItemDataRole.AccessibleTextRole,
                    self.tr("{group}: {n} tasks").format(group=group_label(group), n=n),
                )

    def select(self, group: StateGroup) -> None:
        """Select ``group`` (emits group_selected if it changes)."""
        self.setCurrentItem(self._items[group])

    def current_group(self) -> StateGroup:
        """The selected group."""
        item = self.currentItem()
        return StateGroup(item.data(Qt.ItemDataRole.UserRole)) if item is not None else StateGroup.ALL

    def count_text(self, group: StateGroup) -> str:
        """The text shown for ``group`` (for tests and accessibility checks)."""
        return self._items[group].text()
