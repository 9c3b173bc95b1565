"""Several servers in the window: the Server column, the sidebar's server entries and counts.

With two or more servers watched the window's title names them, the Server column is shown (it
stays an opt-in column with one server, whose name its cells then show) and the sidebar lists the
servers with their number of tasks; picking one puts ``server:"NAME"`` in the search box, so the
filter is visible and can be edited or combined like any other.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QCoreApplication, QTimer

from monitor.core.servers import server_of
from monitor.core.store import TaskColumn
from monitor.wiring.parts import Parts

__all__ = ["COUNT_INTERVAL_MS", "server_filter", "wire_servers"]

#: The servers' counts are recounted at most this often (a walk over every task id).
COUNT_INTERVAL_MS = 1000


def server_filter(name: str) -> str:
    """The search text that shows server ``name``'s tasks."""
    return f"server:{name}" if not any(c.isspace() or c == '"' for c in name) else f'server:"{name}"'


def wire_servers(parts: Parts) -> None:
    """The set of servers -> Server column, sidebar entries, their counts and their filter."""
    servers, view, store = parts.servers, parts.view, parts.store
    sidebar, model = view.sidebar, view.model
    shown_for_several = [False]
    recount = QTimer(view)
    recount.setSingleShot(True)
    recount.setInterval(COUNT_INTERVAL_MS)

    def count() -> None:
        if servers.several:
            sidebar.set_server_counts(Counter(map(server_of, store.ids())))

    def on_servers() -> None:
        if servers.closed:  # shutting down: no recount may outlive the window
            recount.stop()
            return
        names = [link.name for link in servers.links]
        model.server_name = "" if servers.several else names[0]
        if servers.several:  # the title names every server (one server: its address, as before)
            title = QCoreApplication.translate("MainWindow", "Monitor — %1")
            parts.window.setWindowTitle(title.replace("%1", ", ".join(names)))
        sidebar.set_servers(names if servers.several else [])
        if servers.several and not shown_for_several[0]:
            shown_for_several[0] = True  # once: the user may hide it again
            view.show_column(TaskColumn.SERVER, True)
        count()

    def on_flushed() -> None:
        if servers.several and not servers.closed and not recount.isActive():
            recount.start()

    recount.timeout.connect(count)
    servers.servers_changed.connect(on_servers)
    model.flushed.connect(on_flushed)
    sidebar.server_selected.connect(lambda name: view.search.setText(server_filter(name)))
