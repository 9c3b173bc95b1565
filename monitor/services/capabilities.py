"""``CapabilityService``: what the connected server can do (snapshot, poll, commands), as a signal.

Discovery (:func:`monitor.client.discovery.discover_capabilities`) probes the profile's endpoints;
this service runs it as its own asyncio task (one at a time: a new request cancels the running
probe, whose answer would be about the old profile) and publishes the result, so that widgets
only ever react to a signal and never await.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, Signal

from monitor.client.aio import cancel_and_wait
from monitor.client.config import ClientConfig
from monitor.client.discovery import discover_capabilities
from monitor.core.profile import Capabilities

__all__ = ["CapabilityService"]

_log = logging.getLogger(__name__)

Discover = Callable[[ClientConfig], Awaitable[Capabilities]]


class CapabilityService(QObject):
    """Discovers and holds the current server's capabilities.

    Signals:
        capabilities_changed(object): The :class:`~monitor.core.profile.Capabilities` of the
            server in use, or None when they are unknown again (the profile changed).

    Args:
        discover: The discovery coroutine (the real one by default).
        parent: Qt parent.
    """

    capabilities_changed = Signal(object)

    def __init__(self, discover: Discover = discover_capabilities, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._discover = discover
        self._task: asyncio.Task[None] | None = None
        self._capabilities: Capabilities | None = None
        self._config: ClientConfig | None = None
        self._closed = False

    @property
    def capabilities(self) -> Capabilities | None:
        """The last discovery's result (None: unknown)."""
        return self._capabilities

    @property
    def config(self) -> ClientConfig | None:
        """The configuration last probed (or being probed)."""
        return self._config

    def discover(self, config: ClientConfig) -> None:
        """Probe the server of ``config`` (in the background; the signal tells the result).

        A probe still running for an earlier configuration is cancelled.

        Raises:
            RuntimeError: After :meth:`aclose`.
        """
        if self._closed:
            raise RuntimeError("CapabilityService is closed")
        self._cancel()
        self._config = config
        self._task = asyncio.ensure_future(self._run(config))

    def reset(self) -> None:
        """Forget the capabilities (the server changed; nothing is known until the next probe)."""
        self._cancel()
        self._config = None
        if self._capabilities is not None:
            self._capabilities = None
            self.capabilities_changed.emit(None)

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def _run(self, config: ClientConfig) -> None:
        try:
            found = await self._discover(config)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - probes answer with reasons; anything else: log, offer all
            _log.exception("capability discovery failed")
            return
        if self._closed or config != self._config:
            return
        _log.info("capabilities of %s: %s", config.url, found)
        self._capabilities = found
        self.capabilities_changed.emit(found)

    async def aclose(self) -> None:
        """Cancel a running probe and wait for it; idempotent."""
        self._closed = True
        task, self._task = self._task, None
        await cancel_and_wait(task)
