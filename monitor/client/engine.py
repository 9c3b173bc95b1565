"""The streaming engine: one SSE connection kept alive for as long as the caller wants it.

Qt-free (asyncio + httpx) so that the desktop app, ``monitor watch`` and the tests share it.

Listener API (what the Qt ``SSEService`` and ``monitor watch`` use)::

    engine = StreamEngine(ClientConfig(url=...))
    engine.on_event(cb)      # cb(IncomingEvent): every new event, in order, deduplicated
    engine.on_batch(cb)      # cb(list[IncomingEvent]): the same events, one list per network read
    engine.on_status(cb)     # cb(ConnectionStatus): every state change, with reason and next attempt
    engine.on_snapshot(cb)   # cb(Snapshot): a full task list to reconcile (start, reset, gap)
    engine.on_resync(cb)     # cb(Resync): a new server lifetime (or F5), before its first event
    engine.on_error(cb)      # cb(str): a problem worth showing (malformed event, failed snapshot)
    engine.subscribe("ack", handler)   # the dispatcher (by type, priority, once)
    await engine.start(); ...; await engine.aclose()

Each ``on_*`` returns an unsubscribe callable. Callbacks run on the engine's task; one that raises
is logged and counted, and never stops the stream.

Rules (see docs/client.md for the why of each):

* 200 with ``text/event-stream`` (case-insensitive, parameters allowed) opens the stream; 204
  stops for good; 401/403 stop as "authentication failed" (after one retry with a fresh token
  when a token provider is set); 404/410, other 4xx and a wrong content type stop as "not a
  stream"; 408/429/5xx and network errors retry, honouring ``Retry-After``; a clean end of
  stream reconnects.
* The body is decoded with our spec-exact :class:`~monitor.core.sse.SSEDecoder` over the raw
  reads; the stream asks for ``Accept-Encoding: identity`` and a body compressed anyway is
  inflated in bounded pieces (:mod:`monitor.client.inflate`), so the decoder's caps bound memory.
* A read timeout of heartbeat interval + heartbeat timeout is the heartbeat watchdog: silence
  that long (no byte at all, comments included) means the connection is dead.
* ``Last-Event-ID`` is sent on every reconnect (and ``lastEventId`` in the query when
  configured). The first connection starts from a snapshot's cursor, so nothing published
  between the snapshot and the stream is lost; a ``reset`` event, an epoch change or a
  ``Monitor-Cursor`` header other than the id sent (a gap) refetches the snapshot.
* When reconnect attempts run out, polling takes over (if enabled), and a probe returns to
  streaming as soon as the stream works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, ClassVar, NoReturn, cast
from urllib.parse import urlsplit

import httpx
from pydantic import AliasChoices, BaseModel, BeforeValidator, Field, JsonValue, ValidationError

from monitor.client.config import ClientConfig, is_event_stream, request_headers, ssl_context
from monitor.client.dispatcher import Dispatcher
from monitor.client.inflate import BodyDecodeError, body_pieces
from monitor.core.backoff import ReconnectPolicy
from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind, Resync, ResyncReason
from monitor.core.gc_pause import gc_paused
from monitor.core.profile import ResumeMode, ServerDialect, merge_query
from monitor.core.protocol import EPOCH_HEADER, EventType, Snapshot
from monitor.core.sse import SSEDecodeError, SSEDecoder, SSEEvent

__all__ = ["CURSOR_HEADER", "EngineStats", "IncomingEvent", "PolledEvent", "StreamEngine", "TokenProvider"]

_log = logging.getLogger(__name__)

CURSOR_HEADER = "Monitor-Cursor"
TokenProvider = Callable[[], Awaitable[str | None]]
_BODY_EXCERPT = 300
_GC_PAUSE_BYTES = 256 * 1024  # about 1,000 tasks
_PRINTS = 256  # events of a lifetime fingerprinted (restart vs replay: both start at its lowest ids)


class IncomingEvent(SSEEvent):
    """One event as delivered to listeners: a decoded :class:`~monitor.core.sse.SSEEvent`.

    The decoder builds these directly, so there is no second object per event. Fields: ``type``
    (``message`` when none), ``data`` (the raw data string, usually JSON), ``last_event_id``
    and ``retry`` (set by a ``retry`` line in this event's block, else None).
    """

    __slots__ = ()
    via: ClassVar[str] = "stream"

    @property
    def id(self) -> str:
        """The event's id, or the last event id in force (``""`` if none)."""
        return self.last_event_id


class PolledEvent(IncomingEvent):
    """An event fetched by the polling fallback instead of the stream."""

    __slots__ = ()
    via: ClassVar[str] = "poll"


@dataclass
class EngineStats:
    """Seed 000's stats plus ours."""

    status: ConnectionState = ConnectionState.DISCONNECTED
    connected: bool = False
    reconnect_count: int = 0
    messages_received: int = 0
    last_message_time: float | None = None
    connected_since: float | None = None
    bytes_received: int = 0
    parse_errors: int = 0
    duplicates_dropped: int = 0
    snapshots: int = 0
    last_event_id: str = ""
    polls: int = 0

    @property
    def uptime(self) -> float:
        """Seconds the current connection has been up (0 when not connected)."""
        return 0.0 if self.connected_since is None else max(0.0, time.time() - self.connected_since)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (for ``monitor watch --stats`` and logs)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["status"] = self.status.value
        out["uptime"] = round(self.uptime, 3)
        return out


class _Stop(Exception):
    """The stream must not be retried (204, auth, not a stream)."""

    def __init__(self, failure: FailureKind, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.failure, self.reason, self.status = failure, reason, status


class _Reconnect(Exception):
    """Reconnect at once, without counting a failure (the resume mode just changed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Retry(Exception):
    """The attempt failed in a way worth retrying."""

    def __init__(
        self, failure: FailureKind, reason: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.failure, self.reason, self.status, self.retry_after = failure, reason, status, retry_after


@dataclass(frozen=True)
class _Outcome:
    """How a connection attempt ended (``final``: stopped for good, the status already says why)."""

    failure: FailureKind
    reason: str
    status: int | None = None
    retry_after: float | None = None
    final: bool = False


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not '²': a digit that float() refuses
        return min(float(value), 3600.0)
    with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
        return max(0.0, min(parsedate_to_datetime(value).timestamp() - now, 3600.0))
    return None


def _id_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _message_id(data: str) -> tuple[str, str] | None:
    """Dedup key of a seed-004 ``Message`` envelope (servers that send no SSE ids)."""
    if not data.startswith("{") or '"id"' not in data:
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack allows
        return None
    if isinstance(obj, dict) and isinstance(obj.get("id"), str) and "type" in obj and "payload" in obj:
        return ("msg", obj["id"])
    return None


class _PollRecord(BaseModel):
    # Seed 000's ``/poll`` sends integer ids; ours sends strings.
    id: Annotated[str, BeforeValidator(_id_text)]
    type: str = "message"
    data: JsonValue = None


class _PollAnswer(BaseModel):
    """A poll response as any of the servers we know sends it (seed 000's and ours)."""

    events: list[_PollRecord] = Field(max_length=100_000)
    last_event_id: Annotated[str, BeforeValidator(_id_text)] | None = Field(
        default=None, validation_alias=AliasChoices("lastEventId", "last_event_id")
    )
    reset: bool = False


@dataclass
class _Listeners:
    # Tuples, replaced on (un)subscribe: delivery iterates them without a copy per event, and a
    # listener that unsubscribes while being called does not make the loop skip its neighbour.
    event: tuple[Callable[[IncomingEvent], Any], ...] = ()
    batch: tuple[Callable[[list[IncomingEvent]], Any], ...] = ()
    status: tuple[Callable[[ConnectionStatus], Any], ...] = ()
    snapshot: tuple[Callable[[Snapshot], Any], ...] = ()
    resync: tuple[Callable[[Resync], Any], ...] = ()
    error: tuple[Callable[[str], Any], ...] = ()


class StreamEngine:
    """Keeps one SSE stream alive and delivers its events.

    Args:
        config: The client configuration.
        token_provider: Called for a fresh token after a 401/403 (once per failure).
        client: An httpx client to use (not closed by the engine); None creates one.
        clock: Unix-seconds clock (status times).
        policy: Reconnect policy; None builds one from ``config``.
        fetch_snapshot: Whether to fetch the task snapshot on start, reset and gaps.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        token_provider: TokenProvider | None = None,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        policy: ReconnectPolicy | None = None,
        fetch_snapshot: bool = True,
    ) -> None:
        self.config = config
        self._token = config.auth_token
        self._token_provider = token_provider
        self._own_client = client is None
        self._client = client
        self._clock = clock
        self.policy = policy or config.reconnect.backoff()
        self._fetch_snapshot = fetch_snapshot
        self.dispatcher = Dispatcher()
        self._listeners = _Listeners()
        self._stats = EngineStats()
        self._status = ConnectionStatus(
            ConnectionState.DISCONNECTED, ConnectionState.DISCONNECTED, "not started"
        )
        self._last_id = ""
        self._epoch: str | None = None
        # Epoch/cursor semantics only once a response declared them (EPOCH_HEADER).
        self._declared = False
        # Highest ordered (numeric) id of this lifetime; -1: none yet.
        self._high = -1
        # The first ordered id after a resume decides: same lifetime, replay, or a new one.
        self._check_lifetime = False
        self._resume_query = config.profile.resume is ResumeMode.HEADER_AND_QUERY
        self._sent_query = self._resume_query
        self._failures = 0
        self._received_at_connect = 0  # messages_received when the current connection opened
        # Fingerprints of the first events of a lifetime by ordered id (see _remember).
        self._prints: dict[int, int] = {}
        self._prints_budget = _PRINTS
        # This connection announced a new epoch: a reset as its first event is the same news.
        self._reset_expected = False
        self._seen: OrderedDict[str | tuple[str, str], None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._want_running = True
        self._need_snapshot = fetch_snapshot
        self._resync_requested = False
        self._closed = False
        self._started = False

    # ------------------------------------------------------------------ listeners

    def _add(self, kind: str, cb: Any) -> Callable[[], None]:
        listeners = self._listeners
        setattr(listeners, kind, (*getattr(listeners, kind), cb))

        def remove() -> None:
            current: tuple[Any, ...] = getattr(listeners, kind)
            if cb in current:
                i = current.index(cb)
                setattr(listeners, kind, current[:i] + current[i + 1 :])

        return remove

    def on_event(self, cb: Callable[[IncomingEvent], Any]) -> Callable[[], None]:
        """Call ``cb(event)`` for every new event; returns an unsubscribe callable."""
        return self._add("event", cb)

    def on_batch(self, cb: Callable[[list[IncomingEvent]], Any]) -> Callable[[], None]:
        """Call ``cb(events)`` with the new events of each network read (or poll), never empty.

        The same events as :meth:`on_event`, in the same order, after the per-event listeners
        and the dispatcher saw them. A consumer that can take events in bulk pays one call per
        read instead of one per event; the app validates and applies a whole read at once.
        Events before a snapshot refetch (``reset``, new epoch) are delivered before it.
        """
        return self._add("batch", cb)

    def on_status(self, cb: Callable[[ConnectionStatus], Any]) -> Callable[[], None]:
        """Call ``cb(status)`` on every state change."""
        return self._add("status", cb)

    def on_snapshot(self, cb: Callable[[Snapshot], Any]) -> Callable[[], None]:
        """Call ``cb(snapshot)`` when a full task list arrives (start, reset, gap)."""
        return self._add("snapshot", cb)

    def on_resync(self, cb: Callable[[Resync], Any]) -> Callable[[], None]:
        """Call ``cb(resync)`` when the old task list no longer holds (see :class:`Resync`).

        Announced before the first event of the new lifetime is delivered and before its
        snapshot (``on_snapshot``), if one follows (``resync.snapshot_follows``).
        """
        return self._add("resync", cb)

    def on_error(self, cb: Callable[[str], Any]) -> Callable[[], None]:
        """Call ``cb(text)`` for problems worth showing (malformed events, failed snapshot)."""
        return self._add("error", cb)

    def subscribe(self, event_type: str, handler: Callable[[Any], Any], **kw: Any) -> Callable[[], None]:
        """Subscribe to events by type on the dispatcher (handlers get :class:`IncomingEvent`)."""
        return self.dispatcher.subscribe(event_type, handler, **kw)

    def _notify(self, bucket: tuple[Any, ...], arg: Any) -> None:
        for cb in bucket:
            try:
                cb(arg)
            except Exception:  # noqa: BLE001 - a listener's bug must not stop the stream
                _log.exception("listener %r failed", cb)

    # ------------------------------------------------------------------ read side

    @property
    def status(self) -> ConnectionStatus:
        """The last announced status."""
        return self._status

    @property
    def last_event_id(self) -> str:
        """The id the next reconnect resumes from."""
        return self._last_id

    def set_last_event_id(self, value: str) -> None:
        """Seed the resume position (e.g. from saved state) before :meth:`start`."""
        self._last_id = value
        self._stats.last_event_id = value
        if value:
            self._need_snapshot = False

    def stats(self) -> EngineStats:
        """Live statistics."""
        self._stats.status = self._status.state
        self._stats.connected = self._status.state is ConnectionState.CONNECTED
        return self._stats

    def clear_queue(self) -> None:
        """Forget the dedup window and the dispatcher history (seed ``clearQueue``)."""
        self._seen.clear()
        self.dispatcher.history.clear()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the connection task.

        Raises:
            RuntimeError: Started twice or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("StreamEngine.start() called twice" if self._started else "engine is closed")
        self._started = True
        if self._client is None:
            self._client = httpx.AsyncClient(
                verify=ssl_context(self.config), trust_env=True, follow_redirects=True, http2=False
            )
        self._task = asyncio.create_task(self._run(), name="monitor-stream")

    async def aclose(self) -> None:
        """Stop, cancel and await every task, close the client we created; idempotent."""
        self._closed = True
        self._want_running = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.dispatcher.aclose()
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._status.state is not ConnectionState.DISCONNECTED:
            self._set(ConnectionState.DISCONNECTED, "closed")

    async def wait_closed(self) -> None:
        """Wait until the engine stopped by itself (204, auth failure...) or was closed."""
        task = self._task
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    def reconnect(self) -> None:
        """Reconnect now: reset the backoff and drop the current connection or wait."""
        self.policy.reset()
        self._want_running = True
        self._restart_task()

    def resync(self) -> None:
        """Rebuild the client's view from the server (the user's F5 / "Refresh all").

        Announces ``Resync(REQUESTED)`` and refetches the snapshot where the server has one;
        otherwise reconnects without a cursor, so the server replays what it has. Called before
        :meth:`start`, the first connection does it; after :meth:`aclose` it does nothing.
        """
        if self._closed:
            return
        self._resync_requested = True
        self.reconnect()

    def disconnect(self) -> None:
        """Close the stream and stay disconnected until :meth:`reconnect`."""
        self._want_running = False
        self._restart_task()

    def connect(self) -> None:
        """Open the stream again after :meth:`disconnect` (same as :meth:`reconnect`)."""
        self.reconnect()

    def _restart_task(self) -> None:
        if self._closed or not self._started:
            return
        old = self._task
        if old is not None and not old.done():
            old.cancel()

        async def chain() -> None:
            if old is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await old
            if self._want_running:
                await self._run()
            else:
                self._set(ConnectionState.DISCONNECTED, "disconnected by the user")

        self._task = asyncio.create_task(chain(), name="monitor-stream")

    # ------------------------------------------------------------------ status

    def _set(
        self,
        state: ConnectionState,
        reason: str,
        *,
        failure: FailureKind = FailureKind.NONE,
        next_at: float | None = None,
        http_status: int | None = None,
    ) -> None:
        prev = self._status
        status = ConnectionStatus(
            state=state,
            previous=prev.state,
            reason=reason,
            failure=failure,
            attempt=self.policy.attempt,
            next_attempt_at=next_at,
            since=self._clock() if state is not prev.state else prev.since,
            http_status=http_status,
        )
        if status == prev:
            return
        self._status = status
        self._notify(self._listeners.status, status)

    # ------------------------------------------------------------------ main loop

    async def _run(self) -> None:
        first = True
        while True:
            if first:
                self._set(ConnectionState.CONNECTING, "connecting")
            else:
                self._set(
                    ConnectionState.RECONNECTING,
                    f"reconnecting (attempt {self.policy.attempt})",
                    failure=self._status.failure,
                )
            first = False
            outcome = await self._attempt()
            if outcome is None:
                continue
            if outcome.final or not await self._after_attempt(outcome):
                return

    async def _attempt(self) -> _Outcome | None:
        """One connection, from request to its end; None: go round again at once."""
        try:
            await self._stream_once()
            return _Outcome(FailureKind.NONE, "the server ended the stream")
        except _Reconnect as now:
            self._set(ConnectionState.RECONNECTING, now.reason)
            return None
        except _Stop as stop:
            if stop.failure is FailureKind.NOT_A_STREAM and await self._poll_until_stream_works(stop.reason):
                return None
            self._set(ConnectionState.FAILED, stop.reason, failure=stop.failure, http_status=stop.status)
            return _Outcome(stop.failure, stop.reason, stop.status, final=True)
        except _Retry as err:
            return _Outcome(err.failure, err.reason, err.status, err.retry_after)
        except Exception as exc:  # noqa: BLE001 - a surprise from the network stack: log, retry
            _log.exception("stream attempt failed unexpectedly")
            return _Outcome(FailureKind.PROTOCOL, f"error: {exc!r}")
        finally:
            if self._stats.connected_since is not None:
                self._stats.connected_since = None
                # Stable = up long enough AND delivered an event (not only an open socket).
                self.policy.disconnected(delivered=self._stats.messages_received > self._received_at_connect)

    async def _after_attempt(self, outcome: _Outcome) -> bool:
        """Poll, wait out the backoff, or give up after an attempt; returns whether to go on."""
        timing = self.config.reconnect
        reason, status_code = outcome.reason, outcome.status
        if not timing.reconnect:
            self._set(ConnectionState.DISCONNECTED, reason, failure=outcome.failure, http_status=status_code)
            return False
        if outcome.failure is not FailureKind.NONE:
            self._failures += 1
        if self._failures >= timing.poll_after_failures and await self._poll_until_stream_works(reason):
            return True
        delay = self.policy.next_delay(outcome.retry_after)
        if delay is None:
            if await self._poll_until_stream_works(reason):
                return True
            self._set(
                ConnectionState.FAILED,
                f"gave up after {self.policy.attempt} attempts: {reason}",
                failure=FailureKind.EXHAUSTED,
                http_status=status_code,
            )
            return False
        self._stats.reconnect_count += 1
        self._set(
            ConnectionState.RECONNECTING,
            reason,
            failure=outcome.failure,
            next_at=self._clock() + delay,
            http_status=status_code,
        )
        await asyncio.sleep(delay)
        return True

    def _headers(self, accept: str = "text/event-stream") -> dict[str, str]:
        # Built fresh for every attempt (the token may have been refreshed, the id moved on).
        headers = request_headers(self.config, self._token, Accept=accept)
        if accept == "text/event-stream":
            headers["Cache-Control"] = "no-cache"
            # httpx asks for gzip and inflates each read in one unbounded piece; SSE gains little
            # from compression. A server that compresses anyway is inflated in bounded pieces.
            headers["Accept-Encoding"] = "identity"
        if self._last_id:
            headers["Last-Event-ID"] = self._last_id
        return headers

    def _query(self, url: str, *, cursor: bool) -> str:
        """``url`` with the client's query parameters merged into the user's own.

        Args:
            url: A stream or poll URL (its own query is kept).
            cursor: Whether to add the resume cursor (streams: when the resume mode says so;
                polls: always).
        """
        profile = self.config.profile
        extra: dict[str, str] = {}
        if (
            profile.dialect is ServerDialect.SEED004 or urlsplit(url).path.rstrip("/").endswith("/sse")
        ) and "clientId=" not in urlsplit(url).query:
            extra["clientId"] = profile.client_id
        if cursor and self._last_id:
            extra[profile.resume_query_name] = self._last_id
        if profile.token_in_query and self._token:
            extra[profile.token_query_name] = self._token
        return merge_query(url, extra)

    def _timeout(self, read: float | None) -> httpx.Timeout:
        connect = self.config.connection_timeout / 1000.0
        return httpx.Timeout(connect=connect, read=read, write=connect, pool=connect)

    async def _open(self, url: str, headers: dict[str, str], read: float | None) -> httpx.Response:
        """Send a GET and wait for its response headers, at most ``connection_timeout``.

        httpx's connect timeout covers the TCP connect only; a server that accepts and never
        answers would otherwise be found by the read timeout (heartbeat interval + timeout) and
        reported as a heartbeat timeout.

        Raises:
            _Retry: No response headers in time, or a network error.
        """
        assert self._client is not None
        limit = self.config.connection_timeout / 1000.0
        request = self._client.build_request("GET", url, headers=headers, timeout=self._timeout(read))
        try:
            return await asyncio.wait_for(self._client.send(request, stream=True), limit)
        except TimeoutError:
            raise _Retry(
                FailureKind.NETWORK, f"connection timeout: no response headers within {limit:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise _Retry(
                FailureKind.NETWORK, f"network error: {type(exc).__name__}: {exc}".rstrip(": ")
            ) from None
        except httpx.TooManyRedirects:
            # Not a TransportError: uncaught, it was a traceback and a retry forever.
            raise _Stop(
                FailureKind.NOT_A_STREAM, "not a stream: too many redirects (a redirect loop?)"
            ) from None

    async def _stream_once(self) -> None:
        assert self._client is not None
        if self._resync_requested:
            self._resync_requested = False
            await self._new_lifetime(ResyncReason.REQUESTED, "requested by the user")
        elif self._need_snapshot:
            await self._snapshot()
        refreshed = False
        while True:
            sent_id = self._last_id
            url = self._query(self.config.url, cursor=self._resume_query)
            response = await self._open(url, self._headers(), self.config.read_timeout_s)
            try:
                if response.status_code in (401, 403) and self._token_provider is not None and not refreshed:
                    refreshed = True
                    self._token = await self._token_provider()
                    continue
                await self._check_response(response)
                await self._consume(response, sent_id)
                return
            except httpx.ReadTimeout:
                raise _Retry(
                    FailureKind.HEARTBEAT,
                    f"no data for {self.config.read_timeout_s:.0f} s (heartbeat timeout)",
                ) from None
            except httpx.TransportError as exc:
                raise _Retry(
                    FailureKind.NETWORK, f"network error: {type(exc).__name__}: {exc}".rstrip(": ")
                ) from None
            finally:
                await response.aclose()

    async def _check_response(self, response: httpx.Response) -> None:
        code = response.status_code
        if code == 200 and is_event_stream(response.headers.get("content-type")):
            return
        excerpt = ""
        with contextlib.suppress(httpx.HTTPError, UnicodeDecodeError, BodyDecodeError):
            body = b""
            async with contextlib.aclosing(body_pieces(response, _BODY_EXCERPT)) as pieces:
                async for chunk in pieces:
                    body += chunk
                    if len(body) >= _BODY_EXCERPT:
                        break
            excerpt = body[:_BODY_EXCERPT].decode("utf-8", "replace").strip()
        detail = f": {excerpt}" if excerpt else ""
        if code == 200:
            ctype = response.headers.get("content-type", "none")
            raise _Stop(FailureKind.NOT_A_STREAM, f"not an event stream (content type {ctype}){detail}", code)
        if code == 204:
            raise _Stop(FailureKind.STOPPED, "the server asked the client to stop (HTTP 204)", code)
        if code in (401, 403):
            raise _Stop(FailureKind.AUTH, f"authentication failed (HTTP {code}){detail}", code)
        if code == 408 or code == 429 or code >= 500:
            raise _Retry(
                FailureKind.SERVER,
                f"HTTP {code}{detail}",
                code,
                _retry_after(response.headers.get("retry-after"), self._clock()),
            )
        raise _Stop(FailureKind.NOT_A_STREAM, f"not a stream (HTTP {code}){detail}", code)

    async def _declared_epoch(self, response: httpx.Response) -> bool:
        """Read the epoch a server declares (``EPOCH_HEADER``); returns whether it changed (a new
        lifetime, announced and its snapshot applied)."""
        epoch = response.headers.get(EPOCH_HEADER)
        if epoch is None:
            return False
        self._declared = True
        changed = self._epoch is not None and epoch != self._epoch
        if changed:
            await self._epoch_changed(epoch)
        self._epoch = epoch
        return changed

    async def _consume(self, response: httpx.Response, sent_id: str) -> None:
        cursor = response.headers.get(CURSOR_HEADER)
        self._stats.connected_since = time.time()
        self._received_at_connect = self._stats.messages_received
        self.policy.connected()
        self._failures = 0
        self._set(ConnectionState.CONNECTED, "connected", http_status=200)
        # The first ordered id after a resume decides between "same lifetime" and "new one".
        self._check_lifetime = bool(sent_id)
        self._sent_query = self._resume_query
        if await self._declared_epoch(response):
            # Resynced from the new lifetime's snapshot: the server's reset for our stale cursor
            # and the cursor gap are the same news, not worth a second and third snapshot.
            self._reset_expected = True
        elif cursor is not None and sent_id and cursor != sent_id and cursor != "earliest":
            # The server resumed from somewhere else than we asked: events were lost in between.
            _log.info("cursor gap: sent %s, server continues from %s", sent_id, cursor)
            await self._snapshot()
        if cursor and not self._last_id:
            # No cursor yet (an empty log's snapshot has none): where the server says this stream
            # starts is ours, so that a cut before the first event resumes there, not at "now".
            self._last_id = cursor
        decoder = SSEDecoder(
            max_line_bytes=self.config.max_line_bytes,
            max_event_bytes=self.config.max_event_bytes,
            event_class=IncomingEvent,
        )
        try:
            async with contextlib.aclosing(body_pieces(response)) as pieces:
                await self._decode(pieces, decoder)
        except BodyDecodeError as exc:
            self._protocol_error(str(exc))
        finally:
            decoder.close()
        # Keep the id of the last complete block even when no event was dispatched from it.
        if decoder.last_event_id and decoder.last_event_id != self._last_id:
            self._last_id = decoder.last_event_id
            self._stats.last_event_id = self._last_id

    async def _decode(self, pieces: AsyncIterator[bytes], decoder: SSEDecoder) -> None:
        """Feed the body to the decoder and accept each read's events."""
        prev_id: str | None = ""
        async for chunk in pieces:
            self._stats.bytes_received += len(chunk)
            try:
                events = decoder.feed(chunk)
            except SSEDecodeError as exc:
                self._protocol_error(str(exc))
            if decoder.retry is not None:
                self.policy.set_server_retry(decoder.retry)
            if not events:
                continue
            self._stats.last_message_time = time.time()
            # The decoder builds IncomingEvent instances (``event_class``, see _consume).
            prev_id = await self._accept(cast(list[IncomingEvent], events), prev_id)

    def _protocol_error(self, text: str) -> NoReturn:
        """The body cannot be decoded (caps, content encoding): counted, reported, reconnect."""
        self._stats.parse_errors += 1
        self._error(text)
        raise _Retry(FailureKind.PROTOCOL, text)

    async def _accept(self, events: list[IncomingEvent], prev_id: str | None) -> str | None:
        """Check, dedup and deliver ``events`` (one read or poll); returns the id in force after.

        This is the per-event hot path (100k+ events/s), hence one flat loop over locals; the rare
        cases (a reset, an epoch change, an id at or below the highest seen, opaque ids, id-less
        messages) are steps of their own. Ordered ids (all digits; with a declared epoch, the
        digits after the last ``-``) are deduplicated against the highest one seen in this
        lifetime, so a replay of any length is dropped; opaque ids against a window of recent ones.

        Args:
            events: The events, in order.
            prev_id: The id in force before them on a stream, or None when every event carries
                its own id (a poll). A block without an id line inherits the id in force: that is
                not its own id and must not be used for dedup (a fresh decoder starts with none).
        """
        stats = self._stats
        seen = self._seen
        dedup = self.config.enable_dedup
        dispatch = self.dispatcher.dispatch
        declared = self._declared
        reset = EventType.RESET.value  # a local plain str: the per-event compare stays cheap
        batch: list[IncomingEvent] = []
        try:
            for event in events:
                eid = event.last_event_id  # a field; .id is the same through a property
                etype = event.type
                own = eid != prev_id  # always true in a poll (prev_id None)
                if prev_id is not None:
                    prev_id = eid
                if etype == reset:
                    batch = await self._reset_event(batch)
                elif own and eid:
                    if declared:
                        epoch, _, seq = eid.rpartition("-")
                        if epoch != self._epoch:
                            batch = self._deliver_batch(batch)
                            await self._epoch_changed(epoch)
                    else:
                        seq = eid
                    try:
                        num = int(seq) if seq.isdigit() else -1
                    except ValueError:  # a digit int() refuses ('²'), or 4,301+ digits: opaque
                        num = -1
                    if num >= 0:
                        if num <= self._high:
                            batch, fresh = await self._id_not_above_high(batch, num, event)
                            if not fresh:
                                continue
                        self._high = num
                    elif dedup:
                        if eid in seen:
                            stats.duplicates_dropped += 1
                            continue
                        seen[eid] = None  # the window is trimmed per read (_deliver_batch)
                    self._check_lifetime = False
                    self._last_id = eid
                    stats.last_event_id = eid
                elif self._message_duplicate(event.data):
                    continue
                stats.messages_received += 1
                if self._listeners.event:
                    self._notify(self._listeners.event, event)
                dispatch(etype, event)
                batch.append(event)
        finally:
            # Delivered even when the read fails half-way: these events count as seen already.
            self._deliver_batch(batch)
        return prev_id

    async def _reset_event(self, batch: list[IncomingEvent]) -> list[IncomingEvent]:
        """A ``reset`` event: always delivered; it neither counts for dedup nor moves the cursor.

        Events before it reach batch listeners first. Right after this connection announced a
        new epoch (and fetched its snapshot), the reset that tells a stale cursor is the same
        news: it is delivered without a second resync.
        """
        if self._reset_expected and not batch:
            self._reset_expected = False
            return batch
        batch = self._deliver_batch(batch)
        await self._new_lifetime(ResyncReason.RESET, "the server sent a reset event")
        return batch

    async def _id_not_above_high(
        self, batch: list[IncomingEvent], num: int, event: IncomingEvent
    ) -> tuple[list[IncomingEvent], bool]:
        """An ordered id at or below the highest of this lifetime: a duplicate, or news.

        Usually a duplicate. Without a declared epoch, the first ordered id after a resume
        decides between "same lifetime" and "a new one" (a server whose ids restart at 1): an id
        below the highest, or an event that differs from the one we saw under its id, goes to
        :meth:`_ids_went_back`; an overlap at the cursor is a duplicate.

        Returns:
            The batch to go on with, and whether to deliver ``event`` (False: a duplicate).
        """
        if self._check_lifetime and not self._declared:
            same = self._same_as_seen(num, event)
            if same is False or num < self._high:
                batch = self._deliver_batch(batch)
                await self._ids_went_back(num, replay=same is not False)
                return batch, True
            self._check_lifetime = False
        if self.config.enable_dedup:
            self._stats.duplicates_dropped += 1
            return batch, False
        return batch, True

    def _same_as_seen(self, num: int, event: IncomingEvent) -> bool | None:
        """Whether ``event`` is the one seen under ordered id ``num`` (None: not remembered)."""
        seen = self._prints.get(num)
        return None if seen is None else seen == hash((event.type, event.data))

    def _message_duplicate(self, data: str) -> bool:
        """Dedup an id-less event by its seed-004 envelope id (``data.id``), if it has one."""
        if not self.config.enable_dedup:
            return False
        key = _message_id(data)
        if key is None:
            return False
        if key in self._seen:
            self._stats.duplicates_dropped += 1
            return True
        self._seen[key] = None
        return False

    async def _epoch_changed(self, epoch: str) -> None:
        old, self._epoch = self._epoch, epoch
        _log.info("server epoch changed %s -> %s", old, epoch)
        await self._new_lifetime(ResyncReason.EPOCH, f"epoch {old} -> {epoch}")
        # Later ids on this stream are compared with the stream's epoch, not the snapshot's (they
        # are the same unless the server restarted once more in between; then the next event
        # from the new epoch resyncs again).
        self._epoch = epoch

    async def _ids_went_back(self, num: int, *, replay: bool) -> None:
        """The first ordered id after a resume is below what we had: replay or a new lifetime.

        Args:
            num: The id.
            replay: The event may be one we had (the same fingerprint, or none remembered). An
                event that differs from the one seen under its id is a new lifetime for sure.

        Raises:
            _Reconnect: Resume mode AUTO, a possible replay, and the reconnect sent no query
                cursor: the server may have replayed from the start because it reads only the
                query (seed 000). From now on the query is sent too, and the next connection
                decides. Once the server was told the cursor, going back is a new lifetime.
        """
        high = self._high
        self._check_lifetime = False
        if replay and self.config.profile.resume is ResumeMode.AUTO and not self._sent_query:
            self._resume_query = True
            raise _Reconnect(
                f"the server went back to id {num} after {high}: resuming with the "
                f"{self.config.profile.resume_query_name} query from now on"
            )
        await self._new_lifetime(ResyncReason.IDS_RESTARTED, f"id {num} after {high}")

    def _deliver_batch(self, batch: list[IncomingEvent]) -> list[IncomingEvent]:
        """Hand ``batch`` to the batch listeners (if not empty); returns a new empty batch.

        Also trims the dedup window once per read: within a read it may grow by the read's size.
        """
        seen = self._seen
        window = self.config.dedup_window
        while len(seen) > window:
            seen.popitem(last=False)
        if batch:
            self._reset_expected = False
            if self._prints_budget > 0:
                self._remember(batch)
            self._notify(self._listeners.batch, batch)
            return []
        return batch

    def _remember(self, batch: list[IncomingEvent]) -> None:
        """Fingerprint the first events of a lifetime by ordered id (undeclared servers only).

        A server that restarts numbers from 1 again; a server that ignores the cursor replays
        from its start. Both send ids we had; only the events under them tell which it is, and
        both start at the lowest ids, so the first ``_PRINTS`` events of a lifetime suffice.
        """
        self._prints_budget -= len(batch)
        if self._declared:
            self._prints_budget = 0
            return
        prints = self._prints
        for event in batch:
            eid = event.last_event_id
            if eid.isdigit():
                # The first event under an id is its owner; id-less blocks after it inherit it.
                with contextlib.suppress(ValueError):  # what int() refuses is an opaque id
                    prints.setdefault(int(eid), hash((event.type, event.data)))

    def _error(self, text: str) -> None:
        _log.warning("%s", text)
        self._notify(self._listeners.error, text)

    # ------------------------------------------------------------------ snapshot

    async def _new_lifetime(self, reason: ResyncReason, detail: str) -> None:
        """Announce a resync, forget the old lifetime's ids, apply its snapshot if there is one.

        The snapshot is fetched first, so that the announcement can say whether one follows; it is
        delivered after the announcement. Without one, a user's request reconnects without a
        cursor (the server replays what it has); other reasons keep the new lifetime's ids.
        """
        snapshot = await self._get_snapshot() if self._fetch_snapshot else None
        self._announce(Resync(reason, snapshot is not None, detail))
        if snapshot is not None:
            self._apply_snapshot(snapshot)
        elif reason is ResyncReason.REQUESTED:
            self._last_id = ""
            self._stats.last_event_id = ""

    def _announce(self, resync: Resync) -> None:
        """Tell the listeners and forget the old lifetime's ids (dedup, high mark, fingerprints)."""
        _log.info("resync (%s, snapshot %s): %s", resync.reason.value, resync.snapshot_follows, resync.detail)
        self._notify(self._listeners.resync, resync)
        self._forget_ids()

    def _forget_ids(self) -> None:
        self._seen.clear()
        self._high = -1
        self._prints.clear()
        self._prints_budget = _PRINTS

    async def _snapshot(self) -> None:
        """Fetch the task list and resume the stream from its cursor; tolerate servers without it.

        A snapshot of another epoch than ours (the server restarted while a refetch was pending)
        is a new lifetime: announced as such before it is applied, never adopted silently.
        """
        snapshot = await self._get_snapshot()
        if snapshot is None:
            return
        if self._epoch is not None and snapshot.epoch != self._epoch:
            self._announce(Resync(ResyncReason.EPOCH, True, f"epoch {self._epoch} -> {snapshot.epoch}"))
        self._apply_snapshot(snapshot)

    async def _get_snapshot(self) -> Snapshot | None:
        """Fetch and validate the task list; None when the server has none or it failed.

        A 404/405 or an event stream (a server whose "snapshot" URL is the stream itself) means
        the server has no snapshots: the response is closed at once and the stream alone fills
        the table. Other failures are reported and retried at the next connection.
        """
        self._need_snapshot = False
        try:
            response = await self._open(
                self.config.resolved_snapshot_url,
                self._plain_headers(),
                self.config.connection_timeout / 1000.0 * 3,
            )
        except _Retry as exc:
            self._error(f"snapshot request failed: {exc.reason}")
            self._need_snapshot = True
            return None
        try:
            if response.status_code in (404, 405) or is_event_stream(response.headers.get("content-type")):
                return None
            if response.status_code != 200:
                self._error(f"snapshot request failed: HTTP {response.status_code}")
                self._need_snapshot = True
                return None
            content = await response.aread()
            if response.headers.get(EPOCH_HEADER) is not None:
                self._declared = True
        except httpx.HTTPError as exc:
            self._error(f"snapshot request failed: {type(exc).__name__}")
            self._need_snapshot = True
            return None
        finally:
            await response.aclose()
        try:
            # A large snapshot is millions of long-lived objects: validate it with the GC paused.
            with gc_paused(len(content) >= _GC_PAUSE_BYTES):
                return Snapshot.model_validate_json(content)
        except ValidationError as exc:
            self._stats.parse_errors += 1
            self._error(f"snapshot skipped: {exc.error_count()} validation errors")
            return None

    def _apply_snapshot(self, snapshot: Snapshot) -> None:
        self._stats.snapshots += 1
        self._epoch = snapshot.epoch
        if snapshot.cursor:
            self._last_id = snapshot.cursor
            self._stats.last_event_id = snapshot.cursor
        self._forget_ids()
        self._notify(self._listeners.snapshot, snapshot)

    def _plain_headers(self) -> dict[str, str]:
        return request_headers(self.config, self._token, Accept="application/json")

    # ------------------------------------------------------------------ polling fallback

    async def _poll_until_stream_works(self, why: str) -> bool:
        """Poll until a probe shows the stream works again (then return to streaming).

        Returns:
            False at once when polling is off or the poll endpoint does not answer (the caller
            goes on with reconnects); True once a probe found the stream working again.
        """
        timing = self.config.reconnect
        if not timing.fallback_to_polling or not await self._poll_once():
            return False
        self._set(ConnectionState.POLLING, f"polling ({why})", failure=FailureKind.EXHAUSTED)
        next_probe = time.monotonic() + timing.probe_interval_ms / 1000.0
        while True:
            await asyncio.sleep(timing.polling_interval_ms / 1000.0)
            await self._poll_once()
            if time.monotonic() >= next_probe:
                if await self._probe():
                    self.policy.reset()
                    self._failures = 0
                    return True
                next_probe = time.monotonic() + timing.probe_interval_ms / 1000.0

    async def _poll_once(self) -> bool:
        """One poll; returns whether the poll endpoint answered with a poll response."""
        fetched = await self._fetch_poll()
        if fetched is None:
            return False
        poll, epoch = fetched
        self._stats.polls += 1
        if self._status.state is ConnectionState.POLLING:
            self._set(ConnectionState.POLLING, "polling", failure=FailureKind.EXHAUSTED)
        if epoch is not None:
            self._declared = True
            if self._epoch is not None and epoch != self._epoch:
                await self._epoch_changed(epoch)
            self._epoch = epoch
        if poll.reset:
            await self._new_lifetime(ResyncReason.RESET, "the poll answer says reset")
            return True
        if poll.events:
            self._stats.last_message_time = time.time()
        # Ids going back in a poll answer are duplicates (a poll endpoint may ignore the cursor
        # and answer its latest page every time); a new lifetime shows on the next stream.
        self._check_lifetime = False
        await self._accept(
            [
                PolledEvent(
                    rec.type, rec.data if isinstance(rec.data, str) else _compact(rec.data), str(rec.id)
                )
                for rec in poll.events
            ],
            None,
        )
        self._check_lifetime = False
        if poll.last_event_id:
            self._last_id = poll.last_event_id
            self._stats.last_event_id = self._last_id
        return True

    async def _fetch_poll(self) -> tuple[_PollAnswer, str | None] | None:
        """GET the poll URL; the valid answer and the epoch it declares, or None (status set)."""
        assert self._client is not None
        # Both cursors: the header (seed 000's /poll reads only that) and the query (ours reads
        # ``after``; seed 000's stream reads ``lastEventId``).
        url = self._query(self.config.resolved_poll_url, cursor=True)
        if self._last_id:
            url = merge_query(url, {"after": self._last_id})
        try:
            response = await self._client.get(
                url,
                headers=self._headers("application/json"),
                timeout=self._timeout(self.config.connection_timeout / 1000.0),
            )
        except httpx.HTTPError as exc:
            self._set(ConnectionState.POLLING, f"polling: {type(exc).__name__}", failure=FailureKind.NETWORK)
            return None
        if response.status_code != 200:
            self._set(
                ConnectionState.POLLING, f"polling: HTTP {response.status_code}", failure=FailureKind.SERVER
            )
            return None
        try:
            return _PollAnswer.model_validate_json(response.content), response.headers.get(EPOCH_HEADER)
        except ValidationError:
            self._stats.parse_errors += 1
            self._error("poll response skipped: not a valid poll response")
            return None

    async def _probe(self) -> bool:
        """Does the stream answer with an event stream now? (Closes the probe connection.)"""
        try:
            response = await self._open(
                self._query(self.config.url, cursor=self._resume_query), self._headers(), 5.0
            )
        except (_Retry, _Stop):
            return False
        try:
            return response.status_code == 200 and is_event_stream(response.headers.get("content-type"))
        finally:
            await response.aclose()
