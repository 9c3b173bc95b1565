"""Capability wiring: discover what the server can do, and offer only that.

Discovery runs once per connection configuration: when the stream (or polling) is first up with
a configuration not probed yet, which covers the first connection and every profile or token
change (``SSEService.reconfigure`` builds a new engine with a new configuration). While a new
configuration is not connected yet, the old server's capabilities are forgotten.
"""

from __future__ import annotations

from monitor.core.connection import ConnectionState, ConnectionStatus
from monitor.core.profile import Capabilities
from monitor.wiring.parts import Parts

__all__ = ["wire_capabilities"]

_UP = frozenset({ConnectionState.CONNECTED, ConnectionState.POLLING})


def wire_capabilities(parts: Parts) -> None:
    """Connection status -> discovery; its result -> the task actions and the tray's commands."""
    service, caps, actions, tray = parts.service, parts.capabilities, parts.view.task_actions, parts.tray

    def on_status(status: ConnectionStatus) -> None:
        engine = service.engine
        if engine is None or engine.config == caps.config:
            return
        if status.state in _UP:
            caps.discover(engine.config)
        else:
            caps.reset()

    def offer(found: Capabilities | None) -> None:
        actions.set_capabilities(found)
        tray.set_commands_unavailable(actions.no_commands_reason)

    service.connection_state_changed.connect(on_status)
    caps.capabilities_changed.connect(offer)
