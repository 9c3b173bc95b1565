"""``LauncherEntry``: progress, a count and "urgent" on the taskbar or dock icon (Linux).

Docks and taskbars on Linux (KDE Plasma's task manager, Dash to Dock, Plank, Latte, the Unity
launcher) read a program's progress from the ``com.canonical.Unity.LauncherEntry`` D-Bus API:
the program emits ``Update(app_uri, properties)`` on the session bus, where ``app_uri`` names its
desktop file (``application://io.monitor.Monitor.desktop``) and the properties are
``progress`` (0-1), ``progress-visible``, ``count``, ``count-visible`` and ``urgent``. A dock that
starts later asks with the ``Query`` method, which this service answers with the current state.

Windows (``ITaskbarList3`` progress) and macOS (the dock tile's badge) are not done: neither can be
tested on the Linux machines this project is built on, so the service is a no-op there (and
wherever no session bus is set), rather than untested code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from monitor.client.aio import cancel_and_wait

__all__ = ["LAUNCHER_INTERFACE", "LAUNCHER_PATH", "LauncherEntry", "LauncherState"]

_log = logging.getLogger(__name__)

#: The D-Bus interface docks listen to (they match on it, whatever the object path).
LAUNCHER_INTERFACE = "com.canonical.Unity.LauncherEntry"
#: The object path the signals come from and ``Query`` is answered on.
LAUNCHER_PATH = "/io/monitor/Monitor/LauncherEntry"


@dataclass(frozen=True, slots=True)
class LauncherState:
    """What the taskbar icon shows.

    Attributes:
        progress: Mean progress of the running tasks, 0-1; None hides the bar.
        count: The badge (running tasks); 0 hides it.
        urgent: Ask for attention (a failure the user has not seen).
    """

    progress: float | None = None
    count: int = 0
    urgent: bool = False

    def properties(self) -> dict[str, tuple[str, Any]]:
        """The ``a{sv}`` of an ``Update`` signal, as (signature, value) pairs."""
        return {
            "progress": ("d", min(1.0, max(0.0, self.progress or 0.0))),
            "progress-visible": ("b", self.progress is not None),
            "count": ("x", self.count),
            "count-visible": ("b", self.count > 0),
            "urgent": ("b", self.urgent),
        }


class LauncherEntry(QObject):
    """Publishes a :class:`LauncherState` to the docks over the session bus.

    Changes are sent as they come, but only when what a dock shows changes (progress is rounded
    to 1 %), so a live table repainting ten times a second sends a few signals a minute.

    Signals:
        updated(object): The :class:`LauncherState` just sent (also when no bus is available,
            so the rest of the app can rely on it).

    Args:
        desktop_id: The desktop file's id, without ``.desktop``.
        enabled: False makes the service a no-op (no bus connection).
        parent: Qt parent.
    """

    updated = Signal(object)

    def __init__(
        self, desktop_id: str, *, enabled: bool | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.app_uri = f"application://{desktop_id}.desktop"
        if enabled is None:
            enabled = sys.platform.startswith("linux") and bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
        self._enabled = enabled
        self._state = LauncherState()
        self._bus: Any = None
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False

    @property
    def state(self) -> LauncherState:
        """The state last set."""
        return self._state

    async def start(self) -> None:
        """Connect to the session bus (in the background; a missing bus is logged, not raised).

        Raises:
            RuntimeError: If already started, or after :meth:`aclose`.
        """
        if self._closed or self._started:
            raise RuntimeError("LauncherEntry already started or closed")
        self._started = True
        if self._enabled:
            self._task = asyncio.ensure_future(self._connect())

    def set_state(self, state: LauncherState) -> None:
        """Show ``state`` (sent only if a dock would show something different)."""
        rounded = LauncherState(
            None if state.progress is None else round(state.progress, 2), state.count, state.urgent
        )
        if rounded == self._state or self._closed:
            return
        self._state = rounded
        self._send()
        self.updated.emit(rounded)

    async def _connect(self) -> None:
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus

        try:
            bus = await MessageBus(bus_type=BusType.SESSION).connect()
        except (OSError, ValueError, EOFError) as exc:  # no session bus: a desktop without docks
            _log.info("taskbar progress off: no session bus (%s)", exc)
            return
        if self._closed:
            bus.disconnect()
            return
        bus.add_message_handler(self._on_message)
        self._bus = bus
        self._send()  # what changed while connecting

    def _signal_body(self) -> list[Any]:
        from dbus_fast import Variant

        return [self.app_uri, {k: Variant(sig, v) for k, (sig, v) in self._state.properties().items()}]

    def _send(self) -> None:
        if self._bus is None:
            return
        from dbus_fast import Message

        self._bus.send(
            Message.new_signal(LAUNCHER_PATH, LAUNCHER_INTERFACE, "Update", "sa{sv}", self._signal_body())
        )

    def _on_message(self, msg: Any) -> Any:
        """Answer a dock's ``Query()`` with ``(app_uri, properties)``."""
        from dbus_fast import Message, MessageType

        if (
            msg.message_type is MessageType.METHOD_CALL
            and msg.path == LAUNCHER_PATH
            and msg.interface == LAUNCHER_INTERFACE
            and msg.member == "Query"
        ):
            return Message.new_method_return(msg, "sa{sv}", self._signal_body())
        return None

    async def aclose(self) -> None:
        """Clear the icon (a dock would keep the last progress), disconnect; idempotent."""
        if self._closed:
            return
        if self._bus is not None:
            self._state = LauncherState()
            self._send()
        self._closed = True
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.disconnect()
            # Bounded, as the notifier's: at shutdown (SIGTERM) the bus may never confirm, and the
            # app must still exit (an unbounded wait hung the frozen app's SIGTERM half the time).
            try:
                await asyncio.wait_for(bus.wait_for_disconnect(), 2)
            except Exception:  # noqa: BLE001 - gone first, or no answer: nothing left to close
                _log.debug("session bus closed with an error", exc_info=True)
