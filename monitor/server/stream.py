"""The SSE endpoint as a pure ASGI app: ``GET /api/tasks/stream`` and ``GET /sse``.

One coroutine per connection and nothing else (no per-connection timers or reader tasks): the
hub queues shared, pre-encoded frames and wakes the coroutine, which writes everything queued in
one ``send`` (bursts coalesce naturally while a write is in flight).

Cursor rules (Mercure's): ``Last-Event-ID`` header, else ``last_event_id`` / ``lastEventId``
query. The stream subscribes first and reads the log in the same synchronous step, then writes
the replay page by page while live events queue behind it; frames whose sequence was already
written are dropped, so nothing is lost or doubled. An unknown, trimmed, malformed or foreign-epoch
cursor yields one ``reset`` event. The ``Monitor-Cursor`` response header names the position the
stream continues from: the client's cursor when resumed, else the current head (or ``earliest``
for an empty log); a client that sees a different value than it sent knows it lost events.

Disconnects: under uvicorn the coroutine reads the protocol cycle's ``disconnected`` flag after
each write (heartbeats guarantee writes) and can abort the transport of a slow consumer. Under
another ASGI server it falls back to a small task that waits for ``http.disconnect``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final
from urllib.parse import parse_qsl

from monitor.core.protocol import EPOCH_HEADER, MAX_ID_LENGTH, ErrorBody, EventType, ResetNotice, encode_frame
from monitor.server.hub import Connection, Hub
from monitor.server.identity import ClientRegistry, request_principal
from monitor.server.log import EARLIEST, GONE, LogRecord, LogWriteError

__all__ = [
    "CURSOR_HEADER",
    "INVALID_CLIENT_ID",
    "StreamEndpoint",
    "client_id_is_valid",
    "request_client_id",
    "request_cursor",
    "request_header",
    "send_error",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Response header naming the cursor the stream continues from.
CURSOR_HEADER = "Monitor-Cursor"
_EPOCH_HEADER = EPOCH_HEADER.lower().encode()
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9._:@~+-]{1,128}$")


async def send_error(
    send: Send,
    status: int,
    error: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    detail: Any = None,
) -> None:
    """Answer with an :class:`ErrorBody` JSON response."""
    body = ErrorBody(error=error, detail=detail).model_dump_json().encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def request_header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) in ``scope``, or None."""
    for key, value in scope.get("headers", ()):
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


#: The answer to a malformed ``X-Client-Id`` (or ``clientId`` query), on every route.
INVALID_CLIENT_ID: Final = "invalid client id: 1-128 characters of A-Z a-z 0-9 . _ : @ ~ + -"


def client_id_is_valid(scope: Scope) -> bool:
    """False if the request names a client id (header or query) that breaks the id rules."""
    client_id = request_client_id(scope)
    return client_id is None or _CLIENT_ID_RE.match(client_id) is not None


def request_client_id(scope: Scope) -> str | None:
    """``X-Client-Id`` header, else ``clientId`` / ``client_id`` query; None if absent."""
    value = request_header(scope, b"x-client-id")
    if value:
        return value
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    return query.get("clientId") or query.get("client_id") or None


def request_cursor(scope: Scope) -> str | None:
    """The client's cursor: ``Last-Event-ID`` header, else ``last_event_id`` / ``lastEventId`` query.

    Blank values count as absent (seed 000's poll sends ``Last-Event-ID: ''`` before its first event).
    """
    header = request_header(scope, b"last-event-id")
    if header is not None and header.strip():
        return header.strip()
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    value = query.get("last_event_id") or query.get("lastEventId")
    return value.strip() if value and value.strip() else None


def _direct_writer(cycle: Any, transport: asyncio.Transport) -> Callable[[bytes], bool] | None:
    """A synchronous body writer for uvicorn's h11 cycle (``Connection.direct``), or None.

    It does what the cycle's ``send`` does for a body chunk (h11 frames it, the transport writes
    it) and declines, returning False, whenever that ``send`` would wait or refuse: writing paused
    by flow control (a slow reader: the frame is queued and the queue bound applies as before),
    the peer gone, or the response complete.
    """
    try:
        import h11
    except ImportError:  # pragma: no cover - uvicorn's h11 protocol needs it
        return None
    conn = getattr(cycle, "conn", None)
    flow = getattr(cycle, "flow", None)
    if not isinstance(conn, h11.Connection) or flow is None:
        return None
    data = h11.Data

    def write(frame: bytes) -> bool:
        if flow.write_paused or cycle.disconnected or cycle.response_complete or transport.is_closing():
            return False
        try:
            transport.write(conn.send(data(data=frame)))
        except Exception:  # noqa: BLE001 - h11 refused: the coroutine's own send will say why
            return False
        return True

    return write


class StreamEndpoint:
    """ASGI app for one SSE stream per request."""

    def __init__(
        self,
        hub: Hub,
        *,
        replay_page: int = 500,
        tcp_user_timeout_ms: int = 45_000,
        registry: ClientRegistry | None = None,
    ) -> None:
        """Serve streams from ``hub``.

        Args:
            hub: Where events come from.
            replay_page: Events read from the log per replay step.
            tcp_user_timeout_ms: ``TCP_USER_TIMEOUT`` for stream sockets (Linux; 0 = leave the
                kernel default). Heartbeats alone never detect a peer that vanished without a FIN:
                the kernel keeps retransmitting for ~15 minutes while writes still "succeed".
            registry: Where the id made up for a stream without one is registered to the
                request's principal (so that it lists among that principal's connections).
        """
        self.hub = hub
        self.registry = registry
        self.replay_page = replay_page
        self.tcp_user_timeout_ms = tcp_user_timeout_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one GET."""
        hub = self.hub
        if scope.get("method", "GET") not in ("GET", "HEAD"):
            await send_error(send, 405, "method not allowed", headers=[(b"allow", b"GET, HEAD")])
            return
        client_id = request_client_id(scope)
        if client_id is not None and not _CLIENT_ID_RE.match(client_id):
            await send_error(send, 400, INVALID_CLIENT_ID)
            return
        cursor = request_cursor(scope)
        if cursor is not None and len(cursor) > MAX_ID_LENGTH:
            cursor = "invalid"  # treated as unknown: the client gets a reset, not an error
        if hub.closing or hub.full:
            hub.metrics.connections_rejected_total += 1
            retry_after = str(max(1, hub.settings.retry_ms // 1000)).encode()
            reason = "server shutting down" if hub.closing else "too many connections"
            await send_error(send, 503, reason, headers=[(b"retry-after", retry_after)])
            return
        if client_id is None:
            client_id = "anon-" + secrets.token_hex(6)
            if self.registry is not None:
                # A made-up id is unguessable: a stream whose id could not be stored still runs.
                with contextlib.suppress(LogWriteError):
                    self.registry.claim(client_id, request_principal(scope))

        # Subscribe, then read the log, with no await in between: nothing can slip through.
        conn = hub.attach(client_id)
        try:
            await self._serve(conn, cursor, scope, receive, send)
        finally:
            hub.detach(conn)

    def _frames(self, conn: Connection, records: list[LogRecord]) -> bytes:
        out = [encode_frame(r.type, r.data, id=r.id) for r in records if r.visible_to(conn.client_id)]
        if records:
            conn.last_seq = records[-1].seq
            conn.cursor = records[-1].id
        self.hub.metrics.replayed_events_total += len(out)
        return b"".join(out)

    async def _serve(
        self, conn: Connection, cursor: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        hub = self.hub
        log = hub.log
        head_id = log.last_id
        head_seq = int(head_id.rpartition("-")[2]) if head_id else 0
        first = b"retry: %d\n\n" % hub.settings.retry_ms
        more = False
        if cursor is None:
            used = head_id or EARLIEST
            conn.last_seq, conn.cursor = head_seq, head_id
        else:
            page = log.read_after(cursor, self.replay_page)
            if page is GONE:
                hub.metrics.resets_total += 1
                used = head_id or EARLIEST
                conn.last_seq, conn.cursor = head_seq, head_id
                notice = ResetNotice(
                    reason="cursor unknown or expired; refetch the snapshot", cursor=cursor[:128]
                )
                first += encode_frame(EventType.RESET, notice.model_dump_json())
            else:
                assert isinstance(page, list)
                hub.metrics.replays_total += 1
                used = cursor if cursor != EARLIEST else EARLIEST
                first += self._frames(conn, page)
                more = len(page) >= self.replay_page

        cycle: Any = getattr(send, "__self__", None)
        lean = cycle is not None and hasattr(cycle, "disconnected") and hasattr(cycle, "transport")
        watcher: asyncio.Task[None] | None = None
        if lean:
            transport = cycle.transport
            conn.abort = transport.abort
            sock = transport.get_extra_info("socket")
            option = getattr(socket, "TCP_USER_TIMEOUT", None)
            if sock is not None and option is not None and self.tcp_user_timeout_ms > 0:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, option, self.tcp_user_timeout_ms)

            def gone() -> bool:
                return bool(cycle.disconnected) or transport.is_closing()

            conn.gone = gone
            direct = _direct_writer(cycle, transport)
        else:
            direct = None
            lost = asyncio.Event()
            watcher = asyncio.get_running_loop().create_task(self._watch(receive, conn, lost))

            def gone() -> bool:
                return lost.is_set()

        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-store"),
                        (b"x-accel-buffering", b"no"),
                        (CURSOR_HEADER.lower().encode(), used.encode("latin-1", "replace")),
                        (_EPOCH_HEADER, log.epoch.encode("latin-1", "replace")),
                        (b"monitor-client-id", conn.client_id.encode()),
                        (b"monitor-connection-id", conn.connection_id.encode()),
                    ],
                }
            )
            if scope.get("method") == "HEAD":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send({"type": "http.response.body", "body": first, "more_body": True})
            # Remaining replay pages; live events queue meanwhile and are deduped below.
            while more and not conn.dropped and not gone():
                page = log.read_after(conn.cursor, self.replay_page)
                if page is GONE or not isinstance(page, list) or not page:
                    break
                more = len(page) >= self.replay_page
                await send(
                    {"type": "http.response.body", "body": self._frames(conn, page), "more_body": True}
                )
            conn.direct = direct
            await self._live(conn, send, gone)
        except OSError:
            return  # client went away mid-write (servers other than uvicorn raise here)
        finally:
            conn.direct = None
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    async def _live(self, conn: Connection, send: Send, gone: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        completed = False
        try:
            completed = await self._pump(conn, send, gone, loop)
        finally:
            if not completed:
                # End the HTTP response so the server does not report an incomplete one; a no-op
                # if the peer is already gone.
                with contextlib.suppress(OSError, RuntimeError):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _pump(
        self, conn: Connection, send: Send, gone: Callable[[], bool], loop: asyncio.AbstractEventLoop
    ) -> bool:
        """Write queued frames until the stream ends; True if the response was completed."""
        while not conn.dropped and not gone():
            if not conn.queue:
                if conn.closing:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return True
                conn.waiter = loop.create_future()
                try:
                    await conn.waiter
                finally:
                    conn.waiter = None
                continue
            chunks: list[bytes] = []
            last = conn.last_seq
            for seq, frame in conn.take():
                if seq == 0:
                    chunks.append(frame)  # heartbeat / keep-alive / shutdown: not logged
                elif seq > last:
                    chunks.append(frame)
                    last = seq
            if last != conn.last_seq:
                conn.last_seq = last
                conn.cursor = f"{self.hub.log.epoch}-{last}"
            if chunks:
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
        return False

    @staticmethod
    async def _watch(receive: Receive, conn: Connection, lost: asyncio.Event) -> None:
        """Portable disconnect detection for servers other than uvicorn."""
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                lost.set()
                conn.wake()
                return
