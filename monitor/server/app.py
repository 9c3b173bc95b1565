"""The reference server's ASGI app: ``create_app(config)``.

Layout (Starlette's and FastAPI's own): :class:`MonitorApp` is a thin pure-ASGI front, a chain of
middleware classes (:mod:`monitor.server.middleware`: auth, stream routing, body limits,
idempotency) in front of a FastAPI app built from one router per resource
(:mod:`monitor.server.routes`) over a typed :class:`~monitor.server.state.ServerState`. SSE
streams go straight to :class:`monitor.server.stream.StreamEndpoint`, bypassing Starlette's
middleware on the hot path. See ``docs/server.md`` for the layout and ``docs/protocol.md`` for the
wire contract.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from monitor.core.protocol import EPOCH_HEADER, CommandAck, EventType, Message, MessageType
from monitor.server.auth import TokenChecker, token_checker
from monitor.server.config import ServerConfig
from monitor.server.engine import LogEngine, open_engine
from monitor.server.executors import ExecutorRegistry, register_executor_handlers
from monitor.server.hub import Hub, HubSettings
from monitor.server.idempotency import IdempotencyCache, SharedAnswers
from monitor.server.identity import ClientRegistry, SqlTable
from monitor.server.metrics import Metrics
from monitor.server.middleware import (
    ASGIApp,
    AuthMiddleware,
    BodyLimitMiddleware,
    IdempotencyMiddleware,
    StreamRoutes,
)
from monitor.server.routes import build_api
from monitor.server.scheduler import CommandScheduler, register_task_handlers
from monitor.server.state import ServerState

if TYPE_CHECKING:
    from monitor.server.shared_commands import SharedCommands
from monitor.server.stream import Receive, Scope, Send, StreamEndpoint
from monitor.server.tasks import TaskService

__all__ = [
    "CANCEL_WAIT_S",
    "OPEN_PATHS",
    "STREAM_PATHS",
    "MonitorApp",
    "create_app",
    "open_log",
]

#: Paths served by the pure-ASGI stream endpoint.
STREAM_PATHS = frozenset({"/api/tasks/stream", "/sse"})
#: How long ``DELETE /api/commands/{id}`` waits for a running handler to stop before it answers
#: ``202`` (cancellation requested, still running) instead.
CANCEL_WAIT_S = 5.0
#: Paths that never require a token.
OPEN_PATHS = frozenset({"/healthz"})


def open_log(config: ServerConfig) -> LogEngine:
    """The engine the config asks for (:func:`monitor.server.engine.open_engine`)."""
    return open_engine(config)


def _executors(log: LogEngine, config: ServerConfig) -> ExecutorRegistry:
    """External executors' offers: in this process, or (replicas on Redis) in Redis."""
    if config.store is None or getattr(log, "url", None) != config.store:
        return ExecutorRegistry()
    from monitor.server.shared_executors import SharedExecutors

    return SharedExecutors(config.store, prefix=config.store_prefix)


def _shared_commands(
    log: LogEngine, config: ServerConfig, scheduler: CommandScheduler
) -> SharedCommands | None:
    """The shared command queue when the log is shared (replicas on Redis), else None."""
    if config.store is None or getattr(log, "url", None) != config.store:
        return None
    from monitor.server.shared_commands import SharedCommands

    return SharedCommands(
        config.store,
        prefix=config.store_prefix,
        scheduler=scheduler,
        slots=config.command_max_concurrent,
        lease_ms=config.command_lease_ms,
    )


# ---------------------------------------------------------------------------- ASGI front


class MonitorApp:
    """The ASGI app ``create_app`` returns.

    Attributes:
        state: What the routes share (the parts below, typed).
        config: Settings in force.
        log: The event log.
        hub: Streams and publishing.
        tasks: The task service.
        scheduler: The command scheduler.
        api: The FastAPI app behind the front.
        checker: The bearer-token check.
        stream: The SSE endpoint.
        idempotency: Stored ``Idempotency-Key`` answers.
    """

    def __init__(
        self,
        state: ServerState,
        api: FastAPI,
        checker: TokenChecker,
        table: SqlTable | None = None,
        shared_answers: SharedAnswers | None = None,
    ) -> None:
        """Assemble; use :func:`create_app` (``table`` / ``shared_answers``: where idempotency
        answers are kept)."""
        self.state = state
        self.config = state.config
        self.log = state.log
        self.hub = state.hub
        self.tasks = state.tasks
        self.scheduler = state.scheduler
        self.api = api
        config = state.config
        metrics = state.hub.metrics
        self.checker = checker
        self.stream = StreamEndpoint(
            state.hub,
            replay_page=config.replay_page,
            tcp_user_timeout_ms=config.tcp_user_timeout_ms,
            registry=state.registry,
        )
        log = state.log
        self.idempotency = IdempotencyCache(
            ttl=config.idempotency_ttl_s,
            max_entries=config.idempotency_max_entries,
            table=table,
            flush=log.flush,
            shared=shared_answers,
        )
        chain: ASGIApp = IdempotencyMiddleware(self._call_api, self.idempotency, metrics)
        chain = BodyLimitMiddleware(
            chain, max_bytes=config.max_body_bytes, timeout_s=config.body_timeout_s, metrics=metrics
        )
        chain = StreamRoutes(chain, self.stream, paths=STREAM_PATHS, registry=state.registry)
        chain = AuthMiddleware(chain, self.checker, metrics, open_paths=OPEN_PATHS)
        if config.cors_origins:
            chain = CORSMiddleware(
                chain,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Idempotency-Key",
                    "Last-Event-ID",
                    "X-Client-Id",
                ],
                expose_headers=["Monitor-Cursor", EPOCH_HEADER],
            )
        self._asgi = chain

    def begin_shutdown(self) -> None:
        """The server is exiting: every stream gets ``shutdown`` and ends (called by the runner)."""
        self.hub.begin_shutdown()
        self.state.executors.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.api(scope, receive, send)  # lifespan (and anything else) goes to FastAPI
            return
        await self._asgi(scope, receive, send)

    async def _call_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Looked up per call, so a test may wrap ``api`` after construction.
        await self.api(scope, receive, send)


def create_app(
    config: ServerConfig | None = None,
    *,
    log: LogEngine | None = None,
    clock: Callable[[], float] = time.time,
) -> MonitorApp:
    """Build the server.

    Args:
        config: Settings (defaults if None).
        log: Log engine to use; by default :func:`open_log` (SQLite unless ``db=":memory:"`` or
            a ``store``).
            A log passed in is flushed but not closed on shutdown (the caller owns it).
        clock: Unix-seconds clock for tasks and heartbeats.

    Returns:
        The ASGI app; its lifespan starts/stops the heartbeat timer, scheduler and demo.
    """
    config = config or ServerConfig()
    checker = token_checker(config)  # before opening anything: a bad tokens file fails first
    own_log = log is None
    event_log = log if log is not None else open_log(config)
    metrics = Metrics()
    hub = Hub(
        event_log,
        settings=HubSettings.of(config),
        metrics=metrics,
        clock=clock,
        presence=event_log.presence(),
    )
    tasks = TaskService(hub, clock=clock, store=event_log.task_storage())
    tasks.index_log(event_log)  # GET /api/tasks/{id} reads a task's events by key, never scans
    event_log.add_rollback_listener(tasks.reload)
    event_log.on_foreign_rows(tasks.adopt)
    event_log.on_epoch_change(hub.end_streams)

    registry = ClientRegistry(
        enabled=checker.enabled,
        table=event_log.sql_table(),
        flush=event_log.flush,
        shared=event_log.client_owners(),
    )
    # An ack goes to the client id that sent the command (which its principal owns). A command
    # sent without one has nobody to address: its acks are broadcast only where every stream is
    # the same principal's, else its outcome is read with GET /api/commands/{id}.
    broadcast_acks = len(checker.principals) == 1

    async def ack_sink(client_id: str | None, ack: CommandAck) -> None:
        if client_id is None and not broadcast_acks:
            return
        message = Message(
            id="ack_" + secrets.token_hex(8),
            type=MessageType.ACK,
            timestamp=int(clock() * 1000),
            source="server",
            target=client_id,
            payload=ack.model_dump(mode="json"),
        )
        await hub.publish(EventType.ACK, message.model_dump_json(), target=client_id)

    scheduler = CommandScheduler(
        ack_sink,
        max_concurrent=config.command_max_concurrent,
        default_timeout_ms=config.command_timeout_ms,
        max_retries=config.command_max_retries,
        enable_priority=config.command_enable_priority,
        store=event_log.command_storage(),
        commit=event_log.flush,
    )
    register_task_handlers(scheduler, tasks)
    shared = _shared_commands(event_log, config, scheduler)
    state = ServerState(
        config=config,
        hub=hub,
        tasks=tasks,
        scheduler=scheduler,
        cancel_wait_s=CANCEL_WAIT_S,
        registry=registry,
        intake=shared or scheduler,
        sole_principal=broadcast_acks,
        elsewhere=shared.view if shared is not None else None,
        cancel_elsewhere=shared.cancel if shared is not None else None,
        executors=_executors(event_log, config),
    )
    register_executor_handlers(scheduler, tasks, state.executors)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        demo = None
        await event_log.start()
        await hub.start()
        await scheduler.start()
        await scheduler.recover()  # commands a crash interrupted get their final ack now
        if shared is not None:
            await shared.start()
        try:
            if config.demo:
                from monitor.server.demo import DemoWorkload

                demo = DemoWorkload(tasks, speed=config.demo_speed, concurrency=config.demo_concurrency)
                await demo.start()
            yield
        finally:
            if demo is not None:
                await demo.aclose()
            if shared is not None:
                await shared.stop_reading()
            await scheduler.aclose()
            if shared is not None:
                await shared.aclose()
            state.executors.close()
            await state.executors.aclose()
            hub.begin_shutdown()
            await hub.wait_idle(config.drain_timeout_s)
            await hub.aclose()
            await event_log.stop()
            if own_log:
                event_log.close()
            else:
                event_log.flush()

    return MonitorApp(
        state,
        build_api(state, lifespan),
        checker,
        table=event_log.sql_table(),
        shared_answers=event_log.idempotency_answers(),
    )
