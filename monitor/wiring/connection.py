"""Connection wiring: the live feed into the table, the indicator and the tray icon."""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QCoreApplication

from monitor.core.connection import ConnectionState, ConnectionStatus
from monitor.core.store import Change, Evicted
from monitor.ui.indicator import ServerState
from monitor.wiring.parts import Parts

__all__ = ["eviction_text", "freeze_heap", "wire_connection"]

log = logging.getLogger("monitor.app")

#: Snapshots at least this large move the heap out of the GC's reach afterwards.
_FREEZE_AFTER_TASKS = 1_000


def freeze_heap() -> None:
    """Move the long-lived start-up objects (Qt wrappers, modules, a big snapshot) out of the GC.

    Python's full collections otherwise walk them again and again while events stream in:
    measured 40-70 ms pauses on a 10,000-task table, down to ~26 ms with the heap frozen
    (docs/ui-table.md).
    """
    gc.collect()
    gc.freeze()


def eviction_text(evicted: Evicted) -> str:
    """What the status bar says when finished tasks were evicted (plain text, translated)."""
    count = len(evicted.ids)  # a variable: pyside6-lupdate skips a call with a call as its argument
    return QCoreApplication.translate(
        "DesktopApp",
        "Over the limit of {limit} tasks: %n oldest finished removed (Settings > Appearance)",
        "",
        count,
    ).format(limit=f"{evicted.limit:,}")


def wire_connection(parts: Parts) -> None:
    """Every server's feed -> table model; their states -> indicator and tray icon (the worst,
    with each server's own in the indicator's tooltip); Retry now / Remove -> the servers."""
    servers, window, view, tray = parts.servers, parts.window, parts.view, parts.tray

    def on_status(status: ConnectionStatus) -> None:
        window.indicator.set_status(status, live=servers.live)
        tray.set_connected(status.state in (ConnectionState.CONNECTED, ConnectionState.POLLING))

    def show_servers(*_args: object) -> None:
        several = servers.several
        window.indicator.set_servers(
            [ServerState(link.name, link.url, link.status) for link in servers.links] if several else []
        )

    servers.connection_state_changed.connect(on_status)
    servers.server_status_changed.connect(show_servers)
    servers.servers_changed.connect(show_servers)
    servers.tasks_changed.connect(view.model.note_changes)

    def on_changes(changes: list[Change]) -> None:
        # The store puts an eviction last in a list of changes: no scan of a big list.
        if changes and isinstance(last := changes[-1], Evicted):
            log.info("evicted %d finished tasks (limit %d)", len(last.ids), last.limit)
            window.statusBar().showMessage(eviction_text(last), 30_000)

    servers.tasks_changed.connect(on_changes)
    servers.event_received.connect(lambda _type: window.indicator.note_event())
    servers.error_occurred.connect(lambda text: log.info("stream: %s", text))
    servers.snapshot_applied.connect(lambda n: freeze_heap() if n >= _FREEZE_AFTER_TASKS else None)
    window.indicator.stale_changed.connect(view.set_stale)
    window.indicator.stale_changed.connect(tray.set_stale)
    # A new lifetime without a snapshot greys the old rows (no change record says so).
    servers.resync_finished.connect(lambda _resync: view.model.repaint_all())
    window.retry_now_requested.connect(servers.reconnect)
    view.task_actions.remove_requested.connect(servers.forget)
    # F5 / Refresh with nothing selected rebuilds the whole list (a selection is queried instead,
    # see monitor.wiring.commands).
    view.task_actions.query_requested.connect(lambda ids: None if ids else servers.resync())
