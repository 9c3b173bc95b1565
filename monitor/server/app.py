"""The reference server's ASGI app: ``create_app(config)``.

Layout: :class:`MonitorApp` is a thin pure-ASGI front that does what must happen before any
framework code runs (token check and scrubbing, body-size limit, idempotency replay) and hands SSE
streams straight to :class:`monitor.server.stream.StreamEndpoint`, bypassing Starlette's
middleware on the hot path. Everything else is a FastAPI app (OpenAPI at ``/openapi.json``).
See ``docs/protocol.md`` for the wire contract.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from monitor import __version__
from monitor.core.protocol import (
    TASK_EVENT_TYPES,
    BroadcastRequest,
    CommandAck,
    CommandRequest,
    CommandStatus,
    ErrorBody,
    EventRecord,
    Message,
    MessageRequest,
    MessageType,
    PollResponse,
    Snapshot,
    Task,
    TaskSubmit,
    WorkerReport,
)
from monitor.server.auth import TokenChecker, scrub_query
from monitor.server.config import ServerConfig, default_db_path
from monitor.server.hub import Hub, HubSettings
from monitor.server.log import GONE, EventLog, LogRecord, MemoryLog
from monitor.server.metrics import Metrics
from monitor.server.scheduler import CommandRecord, CommandScheduler, register_task_handlers
from monitor.server.sqlite_log import SqliteLog
from monitor.server.stream import Receive, Scope, Send, StreamEndpoint, request_client_id, send_error
from monitor.server.tasks import InvalidTransition, TaskNotFound, TaskService

__all__ = [
    "CANCEL_WAIT_S",
    "OPEN_PATHS",
    "STREAM_PATHS",
    "IdempotencyCache",
    "MonitorApp",
    "create_app",
    "open_log",
]

_log = logging.getLogger(__name__)

#: Paths served by the pure-ASGI stream endpoint.
STREAM_PATHS = frozenset({"/api/tasks/stream", "/sse"})
#: How long ``DELETE /api/commands/{id}`` waits for a running handler to stop before it answers
#: ``202`` (cancellation requested, still running) instead.
CANCEL_WAIT_S = 5.0
#: Paths that never require a token.
OPEN_PATHS = frozenset({"/healthz"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _HTTPError(Exception):
    """Raised by handlers for a clean ErrorBody answer."""

    def __init__(self, status: int, error: str, detail: Any = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail


def open_log(config: ServerConfig) -> EventLog:
    """The log the config asks for: ``:memory:`` -> MemoryLog, else SqliteLog (default path)."""
    if config.db == ":memory:":
        return MemoryLog(max_events=config.log_max_events, max_age_s=config.log_max_age_s)
    return SqliteLog(
        config.db or default_db_path(), max_events=config.log_max_events, max_age_s=config.log_max_age_s
    )


# ---------------------------------------------------------------------------- idempotency


@dataclass
class _Stored:
    expires: float
    done: asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class IdempotencyCache:
    """``Idempotency-Key`` results per (client, method, path, key), kept ``ttl`` seconds, bounded.

    A duplicate that arrives while the first request is still running waits for its result, so
    racing retries execute once. 5xx results are not stored (the client may retry those).
    """

    def __init__(
        self, *, ttl: float = 300.0, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Create an empty cache."""
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, ...], _Stored] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def run(self, key: tuple[str, ...], app: Callable[[Send], Awaitable[None]], send: Send) -> bool:
        """Run ``app`` once per key, or replay its stored answer. Returns True when replayed."""
        now = self._clock()
        while self._entries:
            oldest_key, oldest = next(iter(self._entries.items()))
            if oldest.expires > now and len(self._entries) < self.max_entries:
                break
            self._entries.pop(oldest_key)
        entry = self._entries.get(key)
        if entry is not None:
            try:
                status, headers, body = await asyncio.shield(entry.done)
            except _NotStored:
                entry = None
            else:
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [*headers, (b"idempotent-replayed", b"true")],
                    }
                )
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return True
        entry = _Stored(expires=now + self.ttl)
        self._entries[key] = entry
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

        async def capture(message: dict[str, Any] | Any) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (bytes(k), bytes(v)) for k, v in message.get("headers", ()) if bytes(k).lower() != b"date"
                ]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await app(capture)
        except BaseException:
            self._forget(key, entry)
            raise
        if captured["status"] >= 500:
            self._forget(key, entry)
        else:
            entry.done.set_result((captured["status"], captured["headers"], bytes(captured["body"])))
        return False

    def _forget(self, key: tuple[str, ...], entry: _Stored) -> None:
        if self._entries.get(key) is entry:
            del self._entries[key]
        if not entry.done.done():
            entry.done.set_exception(_NotStored())
            entry.done.exception()  # mark retrieved: no "exception never retrieved" warning


class _NotStored(Exception):
    """The first request with this key failed; a waiting duplicate runs on its own."""


# ---------------------------------------------------------------------------- ASGI front


class MonitorApp:
    """The ASGI app ``create_app`` returns.

    Attributes:
        config: Settings in force.
        log: The event log.
        hub: Streams and publishing.
        tasks: The task service.
        scheduler: The command scheduler.
        api: The FastAPI app behind the front.
    """

    def __init__(
        self,
        config: ServerConfig,
        log: EventLog,
        hub: Hub,
        tasks: TaskService,
        scheduler: CommandScheduler,
        api: FastAPI,
    ) -> None:
        """Assemble; use :func:`create_app`."""
        self.config = config
        self.log = log
        self.hub = hub
        self.tasks = tasks
        self.scheduler = scheduler
        self.api = api
        self.checker = TokenChecker(config.tokens, allow_query_token=config.allow_query_token)
        self.stream = StreamEndpoint(
            hub, replay_page=config.replay_page, tcp_user_timeout_ms=config.tcp_user_timeout_ms
        )
        self.idempotency = IdempotencyCache(
            ttl=config.idempotency_ttl_s, max_entries=config.idempotency_max_entries
        )
        self._asgi: Callable[[Scope, Receive, Send], Awaitable[None]] = self._dispatch
        if config.cors_origins:
            cors = CORSMiddleware(
                self._dispatch,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Idempotency-Key",
                    "Last-Event-ID",
                    "X-Client-Id",
                ],
                expose_headers=["Monitor-Cursor"],
            )
            self._asgi = cors

    def begin_shutdown(self) -> None:
        """The server is exiting: every stream gets ``shutdown`` and ends (called by the runner)."""
        self.hub.begin_shutdown()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.api(scope, receive, send)  # lifespan (and anything else) goes to FastAPI
            return
        await self._asgi(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        query = scope.get("query_string", b"")
        if query and b"token" in query.lower():
            # uvicorn's access log formats this same scope dict when the response starts (a 401
            # too): scrub it now; the checker below gets the original bytes.
            scope["query_string"] = scrub_query(query.decode("latin-1")).encode("latin-1")
        if path not in OPEN_PATHS and self.checker.enabled:
            ok = self.checker.check(scope.get("headers", ()), query)
            if not ok:
                self.hub.metrics.auth_failures_total += 1
                await send_error(
                    send,
                    401,
                    "missing or invalid bearer token",
                    headers=[(b"www-authenticate", b'Bearer realm="monitor"')],
                )
                return
        if path in STREAM_PATHS:
            await self.stream(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if method in _BODY_METHODS:
            body = await self._read_body(scope, receive, send)
            if body is None:
                return
            receive = _replay_body(body, receive)
            key = _header(scope, b"idempotency-key")
            if key and method == "POST":
                if len(key) > 255:
                    await send_error(send, 400, "Idempotency-Key longer than 255 characters")
                    return
                ident = (request_client_id(scope) or "", method, path, key)
                replay_receive = receive

                async def run(capture: Send) -> None:
                    await self.api(scope, replay_receive, capture)

                if await self.idempotency.run(ident, run, send):
                    self.hub.metrics.idempotent_replays_total += 1
                return
        await self.api(scope, receive, send)

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        # A client that declares a body and then trickles or stalls would otherwise hold this
        # coroutine (and its buffer) forever: bound the whole read in time as well as in size.
        try:
            async with asyncio.timeout(self.config.body_timeout_s):
                return await self._read_body_unbounded(scope, receive, send)
        except TimeoutError:
            self.hub.metrics.body_timeouts_total += 1
            await send_error(
                send,
                408,
                f"request body not received within {self.config.body_timeout_s:g} s",
                headers=[(b"connection", b"close")],
            )
            return None

    async def _read_body_unbounded(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        limit = self.config.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_error(send, 400, "invalid Content-Length")
                return None
            if int(declared) > limit:
                await send_error(send, 413, f"request body larger than {limit} bytes")
                return None
        chunks = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks += message.get("body", b"")
            if len(chunks) > limit:  # chunked bodies have no Content-Length: count what arrives
                await send_error(send, 413, f"request body larger than {limit} bytes")
                return None
            if not message.get("more_body", False):
                return bytes(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replay


# ---------------------------------------------------------------------------- FastAPI part


def _json_safe_errors(errors: Any) -> Any:
    cleaned = []
    for err in errors:
        item = {k: v for k, v in dict(err).items() if k not in ("url", "input", "ctx")}
        cleaned.append(item)
    return json.loads(json.dumps(jsonable_encoder(cleaned), default=str))


def _validation_response(errors: Any) -> JSONResponse:
    errs = list(errors)
    malformed = any(e.get("type") in ("json_invalid", "json_type") for e in errs)
    status = 400 if malformed else 422
    first = errs[0] if errs else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = (
        "malformed JSON body" if malformed else f"invalid request: {where or 'body'}: {first.get('msg', '')}"
    )
    return JSONResponse(
        ErrorBody(error=message[:4000], detail=_json_safe_errors(errs)).model_dump(mode="json"),
        status_code=status,
    )


async def _body_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise _HTTPError(400, "request body is empty; expected JSON")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _HTTPError(400, f"malformed JSON body: {exc}") from None


def _record(rec: LogRecord) -> EventRecord:
    try:
        data = json.loads(rec.data)
    except ValueError:
        data = rec.data
    return EventRecord(id=rec.id, type=rec.type, data=data)


def _build_api(
    state: dict[str, Any],
    config: ServerConfig,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]],
) -> FastAPI:
    api = FastAPI(title="Monitor reference server", version=__version__, lifespan=lifespan)

    def hub() -> Hub:
        return state["hub"]  # type: ignore[no-any-return]

    def tasks() -> TaskService:
        return state["tasks"]  # type: ignore[no-any-return]

    @api.exception_handler(RequestValidationError)
    async def _on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(exc.errors())

    @api.exception_handler(ValidationError)
    async def _on_pydantic(_: Request, exc: ValidationError) -> JSONResponse:
        return _validation_response(exc.errors())

    @api.exception_handler(_HTTPError)
    async def _on_http_error(_: Request, exc: _HTTPError) -> JSONResponse:
        return JSONResponse(
            ErrorBody(error=exc.error, detail=exc.detail).model_dump(mode="json"), status_code=exc.status
        )

    @api.exception_handler(StarletteHTTPException)
    async def _on_starlette(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        text = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        return JSONResponse(
            ErrorBody(error=text, detail=str(exc.detail)).model_dump(mode="json"),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @api.exception_handler(Exception)
    async def _on_crash(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unhandled error", exc_info=exc)
        return JSONResponse(ErrorBody(error="internal server error").model_dump(mode="json"), status_code=500)

    @api.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, Any]:
        """Liveness: always open (no token)."""
        return {"status": "ok", "epoch": hub().log.epoch, "connections": len(hub()), "version": __version__}

    @api.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        """Prometheus text exposition."""
        text = hub().metrics.render(connections=len(hub()))
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    @api.get(
        "/api/tasks/stream",
        tags=["stream"],
        response_class=Response,
        responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
    )
    async def stream_doc() -> Response:  # pragma: no cover - MonitorApp serves this path itself
        """The SSE stream (served by a pure-ASGI endpoint; documented here for OpenAPI)."""
        raise _HTTPError(500, "stream is served by the ASGI front")

    @api.get("/api/tasks", tags=["tasks"])
    async def snapshot() -> Snapshot:
        """Every task and the log position it corresponds to (no await in between: atomic)."""
        log = hub().log
        return Snapshot(tasks=tasks().all(), cursor=log.last_id, epoch=log.epoch)

    @api.get("/api/tasks/poll", tags=["tasks"])
    async def poll(
        request: Request,
        after: str | None = Query(default=None, max_length=256),
        limit: int = Query(default=100, ge=1, le=1000),
    ) -> JSONResponse:
        """Seed 000's polling fallback: events after ``after`` (``reset`` for unknown cursors)."""
        log = hub().log
        client_id = request_client_id(request.scope)
        page = log.read_after(after, limit)
        if page is GONE or not isinstance(page, list):
            hub().metrics.resets_total += 1
            body = PollResponse(events=[], last_event_id=log.last_id, reset=True)
        else:
            visible = [_record(r) for r in page if r.visible_to(client_id)]
            last = page[-1].id if page else (after or log.last_id)
            body = PollResponse(events=visible, last_event_id=last)
        return JSONResponse(body.model_dump(mode="json", by_alias=True))

    @api.get("/api/tasks/{task_id}", tags=["tasks"])
    async def task_detail(task_id: str) -> dict[str, Any]:
        """One task and its logged events (scan of the retained log, newest 200)."""
        task = tasks().get(task_id)
        if task is None:
            raise _HTTPError(404, f"unknown task {task_id!r}")
        found: list[EventRecord] = []
        log = hub().log
        cursor: str | None = None
        needle = json.dumps(task_id)
        for _ in range(100):  # bounded: at most 100 pages of 1,000 events
            page = log.read_after(cursor, 1000)
            if page is GONE or not isinstance(page, list) or not page:
                break
            for rec in page:
                if rec.type in TASK_EVENT_TYPES and rec.target is None and needle in rec.data:
                    ev = _record(rec)
                    data = ev.data if isinstance(ev.data, dict) else {}
                    inner = data.get("task")
                    ident = inner.get("id") if isinstance(inner, dict) else data.get("id")
                    if ident == task_id:
                        found.append(ev)
            cursor = page[-1].id
        return {
            "task": task.model_dump(mode="json"),
            "events": [e.model_dump(mode="json") for e in found[-200:]],
        }

    @api.post("/api/tasks", tags=["tasks"], status_code=201)
    async def create_task(submit: TaskSubmit) -> Task:
        """A job system announces a task."""
        try:
            task = await tasks().create(submit)
        except ValueError as exc:
            raise _HTTPError(409, str(exc)) from None
        hub().log.flush()  # a 2xx answer means the change is durable
        return task

    @api.post("/api/tasks/{task_id}/events", tags=["tasks"])
    async def report(task_id: str, body: WorkerReport) -> Task:
        """A worker reports progress or an outcome."""
        try:
            task = await tasks().apply_report(task_id, body)
            hub().log.flush()
            return task
        except TaskNotFound:
            raise _HTTPError(404, f"unknown task {task_id!r}") from None
        except InvalidTransition as exc:
            raise _HTTPError(409, str(exc)) from None

    @api.delete("/api/tasks/{task_id}", tags=["tasks"], status_code=204)
    async def remove(task_id: str) -> Response:
        """Forget a task (publishes ``task_removed``)."""
        if tasks().get(task_id) is None:
            raise _HTTPError(404, f"unknown task {task_id!r}")
        await tasks().remove(task_id)
        hub().log.flush()
        return Response(status_code=204)

    @api.post(
        "/api/commands",
        tags=["commands"],
        status_code=202,
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {"oneOf": [CommandRequest.model_json_schema(), Message.model_json_schema()]}
                    }
                },
                "required": True,
            }
        },
    )
    async def command(request: Request) -> JSONResponse:
        """Submit a command (flat ``CommandRequest`` or a seed-004 ``Message`` of type ``command``)."""
        raw = await _body_json(request)
        source: str | None = None
        if isinstance(raw, dict) and raw.get("type") == MessageType.COMMAND.value and "payload" in raw:
            envelope = raw
            payload = envelope.get("payload")
            if not isinstance(payload, dict):
                raise _HTTPError(422, "command envelope payload must be an object")
            source = envelope.get("source") if isinstance(envelope.get("source"), str) else None
            raw = payload
        req = CommandRequest.model_validate(raw)
        client_id = req.client_id or request_client_id(request.scope) or source
        command_id = await state["scheduler"].submit(req, client_id=client_id)
        return JSONResponse({"commandId": command_id, "status": "accepted"}, status_code=202)

    def _command_view(record: CommandRecord) -> dict[str, Any]:
        return {
            "commandId": record.command_id,
            "action": record.action.value,
            "taskId": record.task_id,
            "clientId": record.client_id,
            "status": record.status.value,
            "attempt": record.attempt,
            "createdAt": int(record.created_at * 1000),
            "startedAt": None if record.started_at is None else int(record.started_at * 1000),
            "finishedAt": None if record.finished_at is None else int(record.finished_at * 1000),
            "result": record.result,
            "error": record.error,
        }

    def _known_command(command_id: str) -> CommandRecord:
        record: CommandRecord | None = state["scheduler"].get(command_id)
        if record is None:
            # The scheduler keeps a bounded history: an old command id is as unknown as a wrong one.
            raise _HTTPError(404, f"unknown command {command_id!r}")
        return record

    @api.get("/api/commands/{command_id}", tags=["commands"])
    async def command_status(command_id: str) -> dict[str, Any]:
        """Where a command is (seed 004 ``getTaskStatus``): status, attempt, result or error."""
        return _command_view(_known_command(command_id))

    @api.delete("/api/commands/{command_id}", tags=["commands"])
    async def command_cancel(command_id: str) -> JSONResponse:
        """Cancel a pending or running command (seed 004 ``cancelTask``); 409 once it is final.

        The final ``cancelled`` ack still travels to the sender as an event; this answer only
        saves the caller a round trip through the stream.
        """
        record = _known_command(command_id)
        if record.status.is_final:
            raise _HTTPError(
                409, f"command {command_id!r} already {record.status.value}", detail=_command_view(record)
            )
        cancelling = asyncio.ensure_future(state["scheduler"].cancel(command_id))
        # A handler that swallows its cancellation keeps running; the request must not hang on
        # it. The cancel goes on in the background and its final ack still reaches the sender.
        done, _ = await asyncio.wait({cancelling}, timeout=CANCEL_WAIT_S)
        if not done:
            return JSONResponse(_command_view(record), status_code=202)
        # A run that finished while we waited for it keeps its real outcome: report what happened.
        status = 200 if record.status is CommandStatus.CANCELLED else 409
        return JSONResponse(_command_view(record), status_code=status)

    def _message(req: MessageRequest, request: Request, target: str | None) -> Message:
        return Message(
            id=req.id or "msg_" + secrets.token_hex(8),
            type=req.type,
            priority=req.priority,
            timestamp=req.timestamp if req.timestamp is not None else int(time.time() * 1000),
            source=req.source or request_client_id(request.scope) or "server",
            target=target,
            payload=req.payload,
            metadata=req.metadata,
        )

    seen_messages: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def _deliver(msg: Message, target: str | None) -> dict[str, Any]:
        if msg.type is MessageType.HEARTBEAT:
            raise _HTTPError(422, "type 'heartbeat' is reserved for the server's heartbeat events")
        if msg.id in seen_messages:
            return seen_messages[msg.id]
        if target is not None and not hub().is_connected(target):
            raise _HTTPError(404, f"target client {target!r} is not connected")
        event_id = await hub().publish(msg.type.value, msg.model_dump_json(exclude_none=True), target=target)
        hub().log.flush()  # a 2xx answer means the event is durable
        result = {"success": True, "messageId": msg.id, "eventId": event_id}
        seen_messages[msg.id] = result
        while len(seen_messages) > 10_000:
            seen_messages.popitem(last=False)
        return result

    @api.post("/api/messages", tags=["messages"])
    async def send_message(body: MessageRequest, request: Request) -> dict[str, Any]:
        """Send a message: to ``target`` only (404 if not connected), else to everyone."""
        return await _deliver(_message(body, request, body.target), body.target)

    @api.post("/api/direct/{client_id}", tags=["messages"])
    async def direct(client_id: str, body: MessageRequest, request: Request) -> dict[str, Any]:
        """Send a message to one connected client (404 if not connected)."""
        return await _deliver(_message(body, request, client_id), client_id)

    @api.post("/api/broadcast", tags=["messages"])
    async def broadcast(body: BroadcastRequest, request: Request) -> dict[str, Any]:
        """Send to every client, or every connected client but ``excludeClientId``."""
        exclude = body.exclude_client_id
        msg = _message(body.message, request, None)
        if exclude is None:
            result = await _deliver(msg, None)
            return {**result, "sentCount": len({c.client_id for c in hub().connections()})}
        targets = sorted({c.client_id for c in hub().connections()} - {exclude})
        data = msg.model_dump_json(exclude_none=True)
        for client in targets:
            await hub().publish(msg.type.value, data, target=client)
        hub().log.flush()
        return {"success": True, "messageId": msg.id, "sentCount": len(targets)}

    @api.get("/api/connections", tags=["messages"])
    async def connections() -> list[dict[str, Any]]:
        """Open streams (seed 004 fields plus the cursor each has reached)."""
        now = time.time()
        return [
            {
                "clientId": c.client_id,
                "connectionId": c.connection_id,
                "createdAt": int(c.created_at * 1000),
                "lastActiveAt": int(c.last_active_at * 1000),
                "uptime": int((now - c.created_at) * 1000),
                "cursor": c.cursor,
            }
            for c in hub().connections()
        ]

    return api


def create_app(
    config: ServerConfig | None = None, *, log: EventLog | None = None, clock: Callable[[], float] = time.time
) -> MonitorApp:
    """Build the server.

    Args:
        config: Settings (defaults if None).
        log: Event log to use; by default :func:`open_log` (SQLite unless ``db=":memory:"``).
            A log passed in is flushed but not closed on shutdown (the caller owns it).
        clock: Unix-seconds clock for tasks and heartbeats.

    Returns:
        The ASGI app; its lifespan starts/stops the heartbeat timer, scheduler and demo.
    """
    config = config or ServerConfig()
    own_log = log is None
    event_log = log if log is not None else open_log(config)
    metrics = Metrics()
    hub = Hub(
        event_log,
        settings=HubSettings(
            heartbeat_interval_ms=config.heartbeat_interval_ms,
            keepalive_interval_ms=config.keepalive_interval_ms,
            retry_ms=config.retry_ms,
            max_queue_events=config.max_queue_events,
            max_queue_bytes=config.max_queue_bytes,
            max_connections=config.max_connections,
        ),
        metrics=metrics,
        clock=clock,
    )
    store = event_log.task_storage() if isinstance(event_log, SqliteLog) else None
    tasks = TaskService(hub, clock=clock, store=store)

    async def ack_sink(client_id: str | None, ack: CommandAck) -> None:
        message = Message(
            id="ack_" + secrets.token_hex(8),
            type=MessageType.ACK,
            timestamp=int(clock() * 1000),
            source="server",
            target=client_id,
            payload=ack.model_dump(mode="json"),
        )
        await hub.publish("ack", message.model_dump_json(), target=client_id)

    scheduler = CommandScheduler(
        ack_sink,
        max_concurrent=config.command_max_concurrent,
        default_timeout_ms=config.command_timeout_ms,
        max_retries=config.command_max_retries,
        enable_priority=config.command_enable_priority,
    )
    register_task_handlers(scheduler, tasks)
    state: dict[str, Any] = {"hub": hub, "tasks": tasks, "scheduler": scheduler}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        demo = None
        await hub.start()
        await scheduler.start()
        try:
            if config.demo:
                from monitor.server.demo import DemoWorkload

                demo = DemoWorkload(tasks, speed=config.demo_speed, concurrency=config.demo_concurrency)
                await demo.start()
            yield
        finally:
            if demo is not None:
                await demo.aclose()
            await scheduler.aclose()
            hub.begin_shutdown()
            await hub.wait_idle(config.drain_timeout_s)
            await hub.aclose()
            if own_log:
                event_log.close()
            else:
                event_log.flush()

    api = _build_api(state, config, lifespan)
    return MonitorApp(config, event_log, hub, tasks, scheduler, api)
