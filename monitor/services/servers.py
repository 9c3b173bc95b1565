"""``ServerSet``: every server the app watches at once, as one feed (issue 15 item 2).

Each active connection profile (``AppSettings.active_profiles``) gets a :class:`ServerLink`: its
own :class:`SSEService`, :class:`CommandService` and :class:`CapabilityService`, all feeding the
one :class:`~monitor.core.store.TaskStore`. With two or more servers each link's task ids carry
its namespace (``monitor.core.servers``): the link's ``SSEService`` adds it on the way in and its
``CommandService`` removes it on the way out, so a command can only ever reach the task's own
server. With one server the namespace is empty and nothing differs from a single ``SSEService``.

The set re-emits every link's task signals as its own (the wiring connects to the set once, and
links may come and go), and adds what only the set knows: the worst connection state over all
servers, each server's own state, the commands' answers, and the capabilities that apply to a
given set of tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMetaMethod, QObject, Signal

from monitor.client.discovery import discover_capabilities
from monitor.core.connection import ConnectionState, ConnectionStatus
from monitor.core.lifecycle import PendingAction
from monitor.core.profile import Capabilities, ConnectionProfile
from monitor.core.protocol import CommandAction
from monitor.core.servers import server_of, server_prefix, worst_status
from monitor.core.settings import AppSettings, server_url_of
from monitor.core.store import TaskStore
from monitor.services.capabilities import CapabilityService, Discover
from monitor.services.command_service import CommandService
from monitor.services.sse_service import SSEService, TaskFeed

__all__ = ["ServerLink", "ServerSet", "TokenOf"]

_log = logging.getLogger(__name__)

#: The bearer token for a profile's server (None: none).
TokenOf = Callable[[ConnectionProfile], str | None]

#: The SSEService signals the set re-emits unchanged (their ids are already the store's).
_FORWARDED = (
    "tasks_changed",
    "task_completed",
    "task_failed",
    "task_cancelled",
    "task_removed",
    "message_received",
    "event_received",
    "error_occurred",
    "snapshot_applied",
    "resync_started",
    "resync_finished",
)


#: Per-task signals, one emit per changed task: an SSEService skips them while nothing listens
#: (a third of the app's CPU at 1,000 events/s), so the set forwards them only once something
#: connects to its own (``connectNotify``), never by default.
_PER_TASK = ("task_added", "task_updated", "task_progressed")


def _not_started() -> ConnectionStatus:
    return ConnectionStatus(ConnectionState.DISCONNECTED, ConnectionState.DISCONNECTED, "not started")


@dataclass(eq=False)
class ServerLink:
    """One watched server.

    Attributes:
        profile: Its connection profile (``profile.name`` is the name the UI shows).
        namespace: The prefix of its task ids in the store ("" when it is the only server).
        token: The bearer token in use for it.
        service: Its live feed.
        capabilities: What it can do (discovered once its stream is up).
        commands: Its command service (None until its engine runs).
        status: Its last connection status.
    """

    profile: ConnectionProfile
    namespace: str
    token: str | None
    service: SSEService
    capabilities: CapabilityService
    commands: CommandService | None = None
    status: ConnectionStatus = field(default_factory=_not_started)

    @property
    def name(self) -> str:
        """The server's name (its profile's)."""
        return self.profile.name

    @property
    def url(self) -> str:
        """The server's address, for display."""
        return server_url_of(self.profile)


class ServerSet(TaskFeed):
    """The watched servers as one feed, with per-server state, routing and capabilities.

    Signals:
        Those of :class:`~monitor.services.sse_service.TaskFeed`: any server's signal of that
            name (ids are store ids), except ``connection_state_changed(object)``: the worst
            :class:`ConnectionStatus` over the servers, when it changes (one server: that
            server's every status).
        server_status_changed(str, object): One server's name and its new status.
        pending_changed(list, object): Task ids and the pending action now shown for them (None:
            none), from any server's commands.
        command_succeeded(str, str): Task id and action its server confirmed.
        command_failed(list, str): Task ids and a plain-text reason.
        capabilities_changed(): A server's capabilities were found or forgotten (ask
            :meth:`capabilities_for`).
        servers_changed(): The set of servers was rebuilt (a link came or went, or started), or
            closed (:attr:`closed`).

    Args:
        settings: The settings in effect (their active profiles are watched).
        store: The one task store.
        token_of: The token for a profile's server.
        state_dir: Where each server's unsent commands persist (None: nowhere, the self-test).
        discover: Capability discovery (tests inject their own).
        parent: Qt parent.
    """

    server_status_changed = Signal(str, object)
    pending_changed = Signal(list, object)
    command_succeeded = Signal(str, str)
    command_failed = Signal(list, str)
    capabilities_changed = Signal()
    servers_changed = Signal()

    def __init__(
        self,
        settings: AppSettings,
        *,
        store: TaskStore,
        token_of: TokenOf,
        state_dir: Path | None = None,
        discover: Discover = discover_capabilities,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._settings = settings
        self._token_of = token_of
        self._state_dir = state_dir
        self._discover = discover
        self._worst: ConnectionStatus | None = None
        self._started = False
        self._closed = False
        self._per_task_heard: set[str] = set()  # per-task signals someone listens to on the set
        self._links: list[ServerLink] = self._build_links(settings)

    # ------------------------------------------------------------------ reads

    @property
    def links(self) -> list[ServerLink]:
        """The servers, in the profiles' order."""
        return list(self._links)

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called (the app is shutting down)."""
        return self._closed

    @property
    def several(self) -> bool:
        """Whether more than one server is watched."""
        return len(self._links) > 1

    @property
    def status(self) -> ConnectionStatus:
        """The worst connection status over the servers."""
        return worst_status(link.status for link in self._links) or _not_started()

    @property
    def live(self) -> bool:
        """Whether data arrives from at least one server."""
        return any(link.status.state.is_live for link in self._links)

    def link_of(self, task_id: str) -> ServerLink | None:
        """The server a store id belongs to (None: no watched server has it)."""
        name = server_of(task_id)
        return next((link for link in self._links if link.namespace == "" or link.name == name), None)

    def capabilities_for(self, ids: Sequence[str]) -> Capabilities | None:
        """What the servers of ``ids`` can all do (every server's when ``ids`` is empty).

        None while nothing is known (discovery counts no answer as present). A missing
        capability's reason names its server when several are watched.
        """
        links = {id(link): link for i in ids if (link := self.link_of(i)) is not None} if ids else None
        chosen = list(links.values()) if links is not None else self._links
        known = [(link, c) for link in chosen if (c := link.capabilities.capabilities) is not None]
        if not known:
            return None
        if len(known) == 1 and not self.several:
            return known[0][1]
        reasons: dict[str, str] = {}
        for link, caps in known:
            for name, why in caps.reasons:
                reasons.setdefault(name, f"{link.name}: {why}")
        return Capabilities(
            snapshot=all(c.snapshot for _, c in known),
            poll=all(c.poll for _, c in known),
            commands=all(c.commands for _, c in known),
            reasons=tuple(reasons.items()),
        )

    def pending(self) -> dict[str, PendingAction]:
        """Task id -> pending action, over every server."""
        out: dict[str, PendingAction] = {}
        for link in self._links:
            if link.commands is not None:
                out.update(link.commands.pending())
        return out

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start every server's feed, then its commands.

        Raises:
            RuntimeError: Started twice, or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("ServerSet.start() called twice" if self._started else "ServerSet is closed")
        self._started = True
        await self._start_links(self._links)

    async def aclose(self) -> None:
        """Close every server: capabilities, then commands (their acks come over the stream),
        then the streams. One that fails is logged and the others still close; idempotent."""
        self._closed = True
        await self._close_links(self._links)
        self.servers_changed.emit()

    async def reconfigure(self, settings: AppSettings, token_of: TokenOf | None = None) -> None:
        """Watch what ``settings`` say: unchanged servers keep running, changed ones reconnect.

        When the list of servers itself changes (a server added, removed or renamed), every
        link is rebuilt, because namespaces depend on how many servers there are: the old
        servers' tasks leave the store and the new ones fill it from their snapshots.
        """
        self._settings = settings
        if token_of is not None:
            self._token_of = token_of
        wanted = settings.active_profiles
        if [p.name for p in wanted] != [link.name for link in self._links]:
            old, self._links = self._links, self._build_links(settings)
            await self._close_links(old)
            for link in old:
                if link.commands is not None:  # the old servers will not answer
                    self.pending_changed.emit(list(link.commands.pending()), None)
                    link.commands.deleteLater()
                link.service.deleteLater()
                link.capabilities.deleteLater()
            gone = self.store.remove(self.store.ids())
            if gone:
                self.tasks_changed.emit(gone)
            self._emit_worst()
            if self._started and not self._closed:
                await self._start_links(self._links)
            else:
                self.servers_changed.emit()
            return
        for link, profile in zip(self._links, wanted, strict=True):
            token = self._token_of(profile)
            if (profile, token) == (link.profile, link.token):
                continue
            link.profile, link.token = profile, token
            await link.service.reconfigure(settings, token=token, profile=profile)
            if self._started and not self._closed:
                await self._start_commands(link)
        self.servers_changed.emit()

    # ------------------------------------------------------------------ intents

    def send(self, action: CommandAction, ids: Iterable[str]) -> None:
        """Send ``action`` for each task to the task's own server (never to another)."""
        by_link: dict[int, tuple[ServerLink, list[str]]] = {}
        orphans: list[str] = []
        for task_id in dict.fromkeys(ids):
            link = self.link_of(task_id)
            if link is None or link.commands is None:
                orphans.append(task_id)
            else:
                by_link.setdefault(id(link), (link, []))[1].append(task_id)
        for link, link_ids in by_link.values():
            assert link.commands is not None  # checked above
            link.commands.send(action, link_ids)
        if orphans:
            self.command_failed.emit(
                orphans,
                QCoreApplication.translate("ServerSet", "Not connected to the server of these tasks."),
            )

    def resync(self) -> None:
        """Rebuild every server's tasks (F5 with nothing selected)."""
        for link in self._links:
            link.service.resync()

    def reconnect(self) -> None:
        """Reconnect every server that is not live now (the indicator's "Retry now")."""
        for link in self._links:
            if not link.status.state.is_live:
                link.service.reconnect()

    def forget(self, ids: list[str]) -> None:
        """Remove tasks from the list locally (their servers are not told)."""
        by_link: dict[int, tuple[ServerLink, list[str]]] = {}
        for task_id in ids:
            link = self.link_of(task_id)
            if link is not None:
                by_link.setdefault(id(link), (link, []))[1].append(task_id)
        for link, link_ids in by_link.values():
            link.service.forget(link_ids)

    # ------------------------------------------------------------------ plumbing

    def connectNotify(self, signal: QMetaMethod) -> None:
        """Forward a per-task signal from the servers only once something listens to it here."""
        name = bytes(signal.name().data()).decode()
        if name in _PER_TASK and name not in self._per_task_heard:
            self._per_task_heard.add(name)
            for link in getattr(self, "_links", ()):
                getattr(link.service, name).connect(getattr(self, name))
        super().connectNotify(signal)

    def _build_links(self, settings: AppSettings) -> list[ServerLink]:
        profiles = settings.active_profiles
        several = len(profiles) > 1
        links = []
        for profile in profiles:
            namespace = server_prefix(profile.name) if several else ""
            token = self._token_of(profile)
            service = SSEService(
                settings, store=self.store, token=token, profile=profile, namespace=namespace, parent=self
            )
            link = ServerLink(
                profile, namespace, token, service, CapabilityService(self._discover, parent=self)
            )
            for name in (*_FORWARDED, *sorted(self._per_task_heard)):
                getattr(service, name).connect(getattr(self, name))
            service.connection_state_changed.connect(lambda status, link=link: self._on_status(link, status))
            link.capabilities.capabilities_changed.connect(lambda _caps: self.capabilities_changed.emit())
            links.append(link)
        return links

    async def _start_links(self, links: list[ServerLink]) -> None:
        for link in links:
            await link.service.start()
        for link in links:
            await self._start_commands(link)
        self.servers_changed.emit()

    async def _start_commands(self, link: ServerLink) -> None:
        old, link.commands = link.commands, None
        if old is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                link.service.tasks_changed.disconnect(old.note_changes)
            await old.aclose()
            self.pending_changed.emit(list(old.pending()), None)  # the old server will not answer
            old.deleteLater()
        engine = link.service.engine
        if engine is None or self._closed:
            return
        # The engine's own config: same server, token and client id, so acks come back to us.
        commands = CommandService(
            engine.config,
            engine=engine,
            state_path=self._outbox(link),
            namespace=link.namespace,
            parent=self,
        )
        commands.pending_changed.connect(self.pending_changed)
        commands.command_succeeded.connect(self.command_succeeded)
        commands.command_failed.connect(self.command_failed)
        commands.task_reported.connect(link.service.apply_task)  # F5 on a selection: the answer counts
        link.service.tasks_changed.connect(commands.note_changes)
        link.commands = commands
        await commands.start()

    def _outbox(self, link: ServerLink) -> Path | None:
        if self._state_dir is None:
            return None
        if not link.namespace:
            return self._state_dir / "outbox.json"  # one server: the file it always had
        digest = hashlib.sha256(link.name.encode()).hexdigest()[:12]  # names may hold any character
        return self._state_dir / f"outbox-{digest}.json"

    async def _close_links(self, links: list[ServerLink]) -> None:
        parts: list[tuple[str, CapabilityService | CommandService | SSEService | None]] = [
            *((f"capabilities of {link.name}", link.capabilities) for link in links),
            *((f"commands of {link.name}", link.commands) for link in links),
            *((f"stream of {link.name}", link.service) for link in links),
        ]
        for what, part in parts:
            if part is None:
                continue
            try:
                await part.aclose()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - closing must go on: log, continue with the next
                _log.exception("closing the %s failed", what)

    def _on_status(self, link: ServerLink, status: ConnectionStatus) -> None:
        if link not in self._links:  # a replaced server's last word, while it closes
            return
        link.status = status
        engine = link.service.engine
        if engine is not None and engine.config != link.capabilities.config and not self._closed:
            if status.state.is_live:
                link.capabilities.discover(engine.config)
            else:
                link.capabilities.reset()
        self.server_status_changed.emit(link.name, status)
        self._emit_worst()

    def _emit_worst(self) -> None:
        worst = worst_status(link.status for link in self._links)
        if worst is not None and worst is not self._worst:
            self._worst = worst
            self.connection_state_changed.emit(worst)
