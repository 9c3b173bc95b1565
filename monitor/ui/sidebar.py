"""The state sidebar: All, Active, Queued, Running, Paused, Completed, Failed, Cancelled with live counts.

With several servers watched at once, a "Servers" group follows: one entry per server with its
number of tasks; picking one shows that server's tasks (the search box gets ``server:"NAME"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from monitor.core.store import StateGroup

__all__ = ["SERVER_ROLE", "StateSidebar", "group_label"]

#: The item data role holding a server entry's server name.
SERVER_ROLE = Qt.ItemDataRole.UserRole + 1


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


def _show_count(item: QListWidgetItem, label: str, n: int, spoken: str) -> None:
    """``label (n)`` on ``item`` (and ``spoken`` for screen readers), when it changed."""
    text = f"{label} ({n})"
    if item.text() != text:
        item.setText(text)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)


class StateSidebar(QListWidget):
    """A list of state groups with counts.

    Signals:
        group_selected(str): The :class:`StateGroup` value the user picked ("all" for a server).
        server_selected(str): The name of the server whose entry the user picked.
    """

    group_selected = Signal(str)
    server_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Task states"))
        self._items: dict[StateGroup, QListWidgetItem] = {}
        self._servers: dict[str, QListWidgetItem] = {}
        self._servers_header: QListWidgetItem | None = None
        for group in StateGroup:
            item = QListWidgetItem(group_label(group), self)
            item.setData(Qt.ItemDataRole.UserRole, group.value)
            self._items[group] = item
        self.setCurrentRow(0)
        self.currentItemChanged.connect(self._changed)
        self.setMaximumWidth(180)

    def _changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        server = current.data(SERVER_ROLE)
        if server is not None:
            self.group_selected.emit(StateGroup.ALL.value)
            self.server_selected.emit(server)
        else:
            self.group_selected.emit(current.data(Qt.ItemDataRole.UserRole))

    def set_counts(self, counts: Mapping[StateGroup, int]) -> None:
        """Show live counts ("Failed (3)")."""
        for group, item in self._items.items():
            n = counts.get(group, 0)
            _show_count(
                item,
                group_label(group),
                n,
                self.tr("{group}: {n} tasks").format(group=group_label(group), n=n),
            )

    def set_servers(self, names: Sequence[str]) -> None:
        """One entry per server under a "Servers" heading (none for fewer than two servers)."""
        if list(names) == list(self._servers):
            return
        for item in [*self._servers.values(), self._servers_header]:
            if item is not None:
                self.takeItem(self.row(item))
        self._servers, self._servers_header = {}, None
        if len(names) < 2:
            return
        header = QListWidgetItem(self.tr("Servers"), self)
        header.setFlags(Qt.ItemFlag.NoItemFlags)  # a heading, not a filter
        self._servers_header = header
        for name in names:
            item = QListWidgetItem(name, self)
            item.setData(SERVER_ROLE, name)
            self._servers[name] = item

    def set_server_counts(self, counts: Mapping[str, int]) -> None:
        """Show each server's number of tasks ("build-farm (12)")."""
        for name, item in self._servers.items():
            n = counts.get(name, 0)
            _show_count(item, name, n, self.tr("Server {name}: {n} tasks").format(name=name, n=n))

    def server_text(self, name: str) -> str:
        """The text shown for server ``name`` (for tests and accessibility checks)."""
        return self._servers[name].text()

    def select_server(self, name: str) -> None:
        """Select server ``name``'s entry (emits server_selected if it changes)."""
        self.setCurrentItem(self._servers[name])

    def select(self, group: StateGroup) -> None:
        """Select ``group`` (emits group_selected if it changes)."""
        self.setCurrentItem(self._items[group])

    def current_group(self) -> StateGroup:
        """The selected group."""
        item = self.currentItem()
        if item is None or item.data(SERVER_ROLE) is not None:
            return StateGroup.ALL
        return StateGroup(item.data(Qt.ItemDataRole.UserRole))

    def count_text(self, group: StateGroup) -> str:
        """The text shown for ``group`` (for tests and accessibility checks)."""
        return self._items[group].text()
