"""Capability wiring: offer only what the servers of the tasks in hand can do.

Each server's capabilities are discovered by the :class:`~monitor.services.servers.ServerSet`
(once per connection configuration, when its stream or polling is first up). The task actions
get the capabilities of the selected tasks' servers (every server's with nothing selected), so
that a server without commands greys Cancel only for its own tasks; the tray's commands follow
every server's.
"""

from __future__ import annotations

from monitor.core.profile import Capabilities
from monitor.wiring.parts import Parts

__all__ = ["wire_capabilities"]


def wire_capabilities(parts: Parts) -> None:
    """Discovered capabilities and the selection -> the task actions and the tray's commands."""
    servers, actions, tray, view = parts.servers, parts.view.task_actions, parts.tray, parts.view
    offered: list[Capabilities | None] = [None]

    def offer(*_args: object) -> None:
        found = servers.capabilities_for(view.selected_ids() if servers.several else [])
        if found == offered[0]:
            return
        offered[0] = found
        actions.set_capabilities(found)
        tray.set_commands_unavailable(actions.no_commands_reason)

    servers.capabilities_changed.connect(offer)
    servers.servers_changed.connect(offer)
    # After the view's own handlers (connected when it was built): the selection is current.
    view.table.selectionModel().selectionChanged.connect(offer)
    view.model.flushed.connect(offer)
