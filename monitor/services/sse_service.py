"""``SSEService``: the streaming engine on the qasync loop, as Qt signals.

The engine (``monitor.client``) does the protocol: connecting, reconnecting, Last-Event-ID,
watchdog, dedup, polling. This adapter adds only what Qt needs: it turns the engine's callbacks
into signals, feeds task news into the pure :class:`~monitor.core.store.TaskStore` and derives
the lifecycle signals from the store's change records, so that "completed" is emitted once per
real state change and never for a replayed or stale event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import SIGNAL, QObject, Signal

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine, TokenProvider
from monitor.core.connection import ConnectionState, ConnectionStatus, Resync
from monitor.core.gc_pause import gc_paused
from monitor.core.news import (
    MESSAGE_EVENT_TYPES,
    NewsError,
    decode_news_batch,
    normalize,
    patch_from_task,
)
from monitor.core.profile import ConnectionProfile
from monitor.core.protocol import TASK_EVENT_TYPES, Snapshot, Task, TaskState
from monitor.core.servers import scoped_patches, scoped_tasks
from monitor.core.settings import AppSettings
from monitor.core.store import Added, Change, Removed, TaskStore, Updated

__all__ = ["SSEService", "TaskFeed", "client_config"]

_log = logging.getLogger(__name__)

#: Snapshots at least this large are applied with the cyclic GC paused.
_GC_PAUSE_TASKS = 1_000
#: Events that are the engine's own business (it already acted on them).
_QUIET_EVENTS = frozenset({"heartbeat", "reset", "shutdown"})


def client_config(
    settings: AppSettings, *, token: str | None = None, profile: ConnectionProfile | None = None
) -> ClientConfig:
    """The engine's configuration: ``profile`` (default: the profile in use), as saved."""
    return ClientConfig(profile=profile or settings.profile, auth_token=token)


class _Keep:
    """Marker: keep the current token."""


_KEEP = _Keep()


class TaskFeed(QObject):
    """The signals of a live task feed: one server's :class:`SSEService`, or every watched
    server's at once (``monitor.services.servers.ServerSet``, which re-emits its servers').

    Signals:
        connection_state_changed(object): A :class:`~monitor.core.connection.ConnectionStatus`.
        tasks_changed(list): Store change records (``Added``/``Updated``/``Removed``) from one
            network read, message or snapshot; the table model batches its repaints on these.
        task_added(str): A task appeared (id).
        task_updated(str): A task's fields changed (id), for any change.
        task_progressed(str, float): A task's progress changed (id, percent).
        task_completed(str): A task reached completed (id).
        task_failed(str, str): A task reached failed (id, error message).
        task_cancelled(str): A task reached cancelled (id).
        task_removed(str): A task left the list (id).
        message_received(str, object): A non-task event (type, parsed JSON data, or the raw
            string when it is not JSON): chat-style messages, acks, system notices.
        event_received(str): Events arrived (the type of the last one), once per network
            read; drives "last event" ages.
        error_occurred(str): A malformed event was skipped, or the engine reported a problem.
        snapshot_applied(int): A full task list was reconciled (its number of tasks).
        resync_started(object): A :class:`~monitor.core.connection.Resync`: the old task list
            no longer holds (a new server lifetime, a reset, the user's F5).
        resync_finished(object): The same :class:`Resync`, once the store holds the new
            lifetime's list (after its snapshot, or at once when none follows).
    """

    connection_state_changed = Signal(object)
    tasks_changed = Signal(list)
    task_added = Signal(str)
    task_updated = Signal(str)
    task_progressed = Signal(str, float)
    task_completed = Signal(str)
    task_failed = Signal(str, str)
    task_cancelled = Signal(str)
    task_removed = Signal(str)
    message_received = Signal(str, object)
    event_received = Signal(str)
    error_occurred = Signal(str)
    snapshot_applied = Signal(int)
    resync_started = Signal(object)
    resync_finished = Signal(object)


class SSEService(TaskFeed):
    """One server's live task feed as Qt signals.

    Signals:
        Those of :class:`TaskFeed`.

    Args:
        settings: Server URL and reconnect parameters.
        store: The task store to feed (shared with the table model).
        token: Bearer token, if the server needs one.
        token_provider: Called for a fresh token after a 401/403 (once per failure).
        engine_factory: Builds the engine from a config (tests inject configured engines).
        clock: Unix-seconds clock stamped on arriving news.
        profile: The server to watch (default: ``settings.profile``, the profile in use).
        namespace: Prefix of this server's task ids in the store when it shares the store with
            other servers (``monitor.core.servers.server_prefix``); "" for a single server. Every
            id this service puts in the store, and every id its signals carry, has it.
        parent: Qt parent.
    """

    def __init__(
        self,
        settings: AppSettings,
        *,
        store: TaskStore,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        engine_factory: Callable[[ClientConfig], StreamEngine] | None = None,
        clock: Callable[[], float] = time.time,
        profile: ConnectionProfile | None = None,
        namespace: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.namespace = namespace
        self._settings = settings
        self._profile = profile
        self._token = token
        self._token_provider = token_provider
        self._factory = engine_factory or (lambda cfg: StreamEngine(cfg, token_provider=self._token_provider))
        self._clock = clock
        self._engine: StreamEngine | None = None
        self._started = False
        self._closed = False
        self._changed = asyncio.Event()
        self._resync: Resync | None = None  # announced, waiting for its snapshot
        self.malformed = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def token(self) -> str | None:
        """The bearer token in use (None: none)."""
        return self._token

    @property
    def engine(self) -> StreamEngine | None:
        """The running engine (None before :meth:`start`)."""
        return self._engine

    async def start(self) -> None:
        """Create and start the engine.

        Raises:
            RuntimeError: Started twice, or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("SSEService.start() called twice" if self._started else "SSEService is closed")
        self._started = True
        await self._start_engine()

    async def _start_engine(self) -> None:
        engine = self._factory(client_config(self._settings, token=self._token, profile=self._profile))
        engine.on_batch(self._on_batch)
        engine.on_status(self._on_status)
        engine.on_snapshot(self._on_snapshot)
        engine.on_error(self._on_error)
        engine.on_resync(self._on_resync)
        self._engine = engine
        await engine.start()

    async def aclose(self) -> None:
        """Stop the engine and wait for it; idempotent."""
        self._closed = True
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.aclose()

    @property
    def profile(self) -> ConnectionProfile:
        """The server watched."""
        return self._profile or self._settings.profile

    async def reconfigure(
        self,
        settings: AppSettings,
        *,
        token: str | _Keep | None = _KEEP,
        profile: ConnectionProfile | None = None,
    ) -> None:
        """Apply new settings: a new engine against the (maybe new) server, resuming if same."""
        same_server = (profile or settings.profile).stream_url == self.profile.stream_url
        last_id = self._engine.stats().last_event_id if (self._engine and same_server) else None
        self._settings = settings
        self._profile = profile
        if not isinstance(token, _Keep):
            self._token = token
        old, self._engine = self._engine, None
        if old is not None:
            await old.aclose()
        if not same_server:
            changes = self.store.remove(self.store.ids_in(self.namespace))
            self._publish(changes)
        if not self._closed and self._started:
            await self._start_engine()
            if last_id and self._engine is not None:
                self._engine.set_last_event_id(last_id)

    # ------------------------------------------------------------------ intents and reads
    # (the seed's connect/disconnect/subscribe/clearQueue live on the engine: `monitor watch`)

    def resync(self) -> None:
        """Rebuild the task list from the server (F5 with nothing selected)."""
        if self._engine is not None:
            self._engine.resync()

    def reconnect(self) -> None:
        """Reconnect now, resetting the backoff (the indicator's "Retry now")."""
        if self._engine is not None:
            self._engine.reconnect()

    @property
    def status(self) -> ConnectionStatus:
        """The current connection status."""
        if self._engine is None:
            return ConnectionStatus(ConnectionState.DISCONNECTED, ConnectionState.DISCONNECTED, "not started")
        return self._engine.status

    def stats(self) -> Any:
        """The engine's statistics (see ``monitor.client.engine``)."""
        if self._engine is None:
            raise RuntimeError("SSEService has not been started")
        return self._engine.stats()

    def apply_task(self, task: Task) -> None:
        """Apply a task the server reported outside the stream (the answer to F5 on a selection)."""
        patch = patch_from_task(task, received_at=self._clock(), source="query")
        self._publish(self.store.apply(scoped_patches([patch], self.namespace)))

    def forget(self, ids: list[str]) -> None:
        """Remove tasks from the list locally (the server is not told); they stay removed when a
        reconnect's snapshot lists them again, until they are active again."""
        self._publish(self.store.dismiss(ids))

    def set_task_limit(self, limit: int) -> None:
        """Keep at most ``limit`` tasks (the oldest finished go first, now if already over)."""
        self._publish(self.store.set_limit(limit))

    async def wait_changed(self) -> None:
        """Wait until the next event or status change (the self-test and tests use it)."""
        self._changed.clear()
        await self._changed.wait()

    # ------------------------------------------------------------------ engine callbacks

    def _on_status(self, status: ConnectionStatus) -> None:
        self._changed.set()
        self.connection_state_changed.emit(status)

    def _on_error(self, text: str) -> None:
        self.error_occurred.emit(text)

    def _on_resync(self, resync: Resync) -> None:
        _log.info("resync: %s (%s)", resync.reason.value, resync.detail)
        self.resync_started.emit(resync)
        if resync.snapshot_follows:
            self._resync = resync  # the snapshot replaces the store, then it is finished
            return
        self.store.begin_lifetime(self.namespace)
        self.resync_finished.emit(resync)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        resync, self._resync = self._resync, None
        # Half of a 100,000-task apply was the GC walking the growing heap (2.1 s -> 1.1 s).
        with gc_paused(len(snapshot.tasks) >= _GC_PAUSE_TASKS):
            tasks, scope = scoped_tasks(snapshot.tasks, self.namespace), self.namespace
            if resync is not None:  # a new lifetime: nothing of the old list survives
                changes = self.store.replace_all(tasks, received_at=self._clock(), scope=scope)
            else:
                changes = self.store.apply_snapshot(tasks, received_at=self._clock(), scope=scope)
        # Tasks first seen in a snapshot finished long ago: no "completed" for history. A task we
        # knew that finished while we were away is an Updated change and does notify.
        self._publish(changes, live=False)
        self.snapshot_applied.emit(len(snapshot.tasks))
        if resync is not None:
            self.resync_finished.emit(resync)

    def _on_batch(self, events: list[IncomingEvent]) -> None:
        # One network read at a time: task news is validated and applied in bulk (one store
        # update and one tasks_changed per read), other events one by one, all in arrival order.
        self._changed.set()
        self.event_received.emit(events[-1].type)
        pending: list[IncomingEvent] = []
        for event in events:
            etype = event.type
            if etype in TASK_EVENT_TYPES:
                pending.append(event)
            elif etype not in _QUIET_EVENTS:
                if pending:
                    self._apply_task_events(pending)
                    pending = []
                self._on_other_event(event)
        if pending:
            self._apply_task_events(pending)

    def _apply_task_events(self, events: list[IncomingEvent]) -> None:
        patches, errors = decode_news_batch(events, received_at=self._clock())
        for index, error in errors:
            self._malformed(f"event {events[index].id or '?'} skipped: {error.reason}")
        if patches:
            self._publish(self.store.apply(scoped_patches(patches, self.namespace)))

    def _on_other_event(self, event: IncomingEvent) -> None:
        etype = event.type
        try:
            data: Any = json.loads(event.data) if event.data else None
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack allows
            if etype in MESSAGE_EVENT_TYPES:
                self._malformed(f"{etype} event {event.id or ''}: data is not JSON")
            else:
                self.message_received.emit(etype, event.data)
            return
        if etype not in MESSAGE_EVENT_TYPES:
            self.message_received.emit(etype, data)
            return
        news = normalize(etype, data, received_at=self._clock())
        if isinstance(news, NewsError):
            self._malformed(f"event {event.id or '?'} skipped: {news.reason}")
            return
        if not news:
            # A seed-004 envelope that is not task news (a text or json message).
            self.message_received.emit(etype, data)
            return
        self._publish(self.store.apply(scoped_patches(news, self.namespace)))

    def _malformed(self, text: str) -> None:
        self.malformed += 1
        _log.warning("%s", text)
        self.error_occurred.emit(text)

    def _publish(self, changes: list[Change], *, live: bool = True) -> None:
        if not changes:
            return
        self.tasks_changed.emit(changes)
        # One signal per id is 100,000 emissions for a big snapshot, and a thousand a second on a
        # busy stream: none when nobody listens (the app's own wiring takes tasks_changed).
        added_heard = self.receivers(SIGNAL("task_added(QString)")) > 0
        updated_heard = self.receivers(SIGNAL("task_updated(QString)")) > 0
        progress_heard = self.receivers(SIGNAL("task_progressed(QString,double)")) > 0
        for change in changes:
            if isinstance(change, Added):
                if not (added_heard or live):
                    continue
                for task_id in change.ids:
                    if added_heard:
                        self.task_added.emit(task_id)
                    record = self.store.get(task_id)
                    if live and record is not None and record.state in _TERMINAL_SIGNALS:
                        self._terminal(task_id, record.state)
            elif isinstance(change, Updated):
                if updated_heard:
                    self.task_updated.emit(change.id)
                if progress_heard and "progress" in change.fields:
                    record = self.store.get(change.id)
                    if record is not None:
                        self.task_progressed.emit(change.id, float(record.progress))
                if change.new_state != change.old_state and change.new_state in _TERMINAL_SIGNALS:
                    self._terminal(change.id, change.new_state)
            elif isinstance(change, Removed):
                for task_id in change.ids:
                    self.task_removed.emit(task_id)

    def _terminal(self, task_id: str, state: TaskState) -> None:
        if state is TaskState.COMPLETED:
            self.task_completed.emit(task_id)
        elif state is TaskState.FAILED:
            record = self.store.get(task_id)
            message = record.error.message if record is not None and record.error is not None else ""
            self.task_failed.emit(task_id, message)
        elif state is TaskState.CANCELLED:
            self.task_cancelled.emit(task_id)


_TERMINAL_SIGNALS = frozenset({TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED})
