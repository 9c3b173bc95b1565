"""The engine's response rules, reconnects and watchdog against scripted loopback servers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind
from monitor.core.protocol import EPOCH_HEADER
from tests.client.rawhttp import RawServer, response, stream

pytestmark = pytest.mark.asyncio


def _config(srv: RawServer, **kw: object) -> ClientConfig:
    base: dict[str, object] = {"url": srv.url + "/api/tasks/stream", "jitter": 0.0, "reconnect_interval": 250}
    base.update(kw)
    return ClientConfig.model_validate(base)


class Recorder:
    def __init__(self, engine: StreamEngine) -> None:
        self.events: list[IncomingEvent] = []
        self.statuses: list[ConnectionStatus] = []
        self.changed = asyncio.Condition()
        engine.on_event(self._ev)
        engine.on_status(self._st)

    def _ev(self, e: IncomingEvent) -> None:
        self.events.append(e)
        asyncio.get_running_loop().create_task(self._notify())

    def _st(self, s: ConnectionStatus) -> None:
        self.statuses.append(s)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def until(self, pred: Callable[[], bool], timeout: float = 5.0) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(pred), timeout)

    def states(self) -> list[ConnectionState]:
        return [s.state for s in self.statuses]


async def _run(cfg: ClientConfig, **kw: object) -> tuple[StreamEngine, Recorder]:
    engine = StreamEngine(cfg, fetch_snapshot=False, **kw)  # type: ignore[arg-type]
    rec = Recorder(engine)
    await engine.start()
    return engine, rec


async def test_opens_on_event_stream_content_type_with_parameters() -> None:
    async with RawServer() as srv:
        srv.script(
            "/api/tasks/stream",
            stream(b"id: 1\ndata: a\n\n", content_type="Text/Event-Stream; charset=latin-1"),
            stream(stall=asyncio.Event()),
        )
        engine, rec = await _run(_config(srv))
        try:
            await rec.until(lambda: len(rec.events) == 1)
            assert rec.events[0].data == "a"
            assert ConnectionState.CONNECTED in rec.states()
            req = srv.requests[0]
            assert req.headers["accept"] == "text/event-stream"
            assert "last-event-id" not in req.headers
        finally:
            await engine.aclose()


async def test_204_stops_for_good() -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", response(204))
        engine, rec = await _run(_config(srv))
        try:
            await rec.until(lambda: ConnectionState.FAILED in rec.states())
            assert rec.statuses[-1].failure is FailureKind.STOPPED
            await engine.wait_closed()
            assert len(srv.requests) == 1  # a 204 is final: no retry, no polling
        finally:
            await engine.aclose()


@pytest.mark.parametrize("code", [401, 403])
async def test_auth_failure_stops_with_reason(code: int) -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", response(code, b'{"detail":"bad token"}'))
        engine, rec = await _run(_config(srv, auth_token="t0"))
        try:
            await rec.until(lambda: ConnectionState.FAILED in rec.states())
            last = rec.statuses[-1]
            assert last.failure is FailureKind.AUTH
            assert "authentication failed" in last.reason
            assert last.http_status == code
            assert srv.requests[0].headers["authorization"] == "Bearer t0"
        finally:
            await engine.aclose()


async def test_auth_retried_once_with_a_fresh_token() -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", response(401), stream(b"data: ok\n\n", stall=asyncio.Event()))
        calls = 0

        async def provider() -> str:
            nonlocal calls
            calls += 1
            return "fresh"

        engine, rec = await _run(_config(srv, auth_token="old"), token_provider=provider)
        try:
            await rec.until(lambda: len(rec.events) == 1)
            assert calls == 1
            assert [r.headers["authorization"] for r in srv.requests] == ["Bearer old", "Bearer fresh"]
        finally:
            await engine.aclose()


@pytest.mark.parametrize(
    ("handler", "needle"),
    [
        (response(404, b"<h1>Not Found</h1>"), "HTTP 404"),
        (response(410), "HTTP 410"),
        (response(400, b"bad"), "HTTP 400"),
        (stream(b"{}", content_type="application/json"), "content type application/json"),
    ],
)
async def test_not_a_stream_stops_with_status_and_excerpt(handler: object, needle: str) -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", handler)  # type: ignore[arg-type]
        engine, rec = await _run(_config(srv))
        try:
            await rec.until(lambda: ConnectionState.FAILED in rec.states())
            last = rec.statuses[-1]
            assert last.failure is FailureKind.NOT_A_STREAM
            assert needle in last.reason
            await engine.wait_closed()
            # One stream request, no retry; the poll endpoint was asked once (it answered 404).
            assert [r.path for r in srv.requests] == ["/api/tasks/stream", "/api/tasks/poll"]
        finally:
            await engine.aclose()


async def test_503_retries_honouring_retry_after() -> None:
    async with RawServer() as srv:
        srv.script(
            "/api/tasks/stream",
            response(503, headers={"Retry-After": "1"}),
            stream(b"data: back\n\n", stall=asyncio.Event()),
        )
        engine, rec = await _run(_config(srv))
        try:
            await rec.until(lambda: len(rec.events) == 1, timeout=5)
            waiting = [
                s for s in rec.statuses if s.state is ConnectionState.RECONNECTING and s.next_attempt_at
            ]
            assert waiting
            assert waiting[0].next_attempt_at is not None
            assert waiting[0].next_attempt_at - waiting[0].since >= 0.99
            assert waiting[0].http_status == 503
        finally:
            await engine.aclose()


async def test_clean_end_reconnects_with_last_event_id_and_fresh_headers() -> None:
    async with RawServer() as srv:
        srv.script(
            "/api/tasks/stream",
            stream(b"id: 7\ndata: a\n\n"),
            stream(b"id: 8\ndata: b\n\n", stall=asyncio.Event()),
        )
        headers = {"X-Team": "audio"}
        engine, rec = await _run(_config(srv, headers=headers, send_last_event_id_query=True))
        try:
            await rec.until(lambda: len(rec.events) == 2)
            first, second = srv.requests[:2]
            assert "last-event-id" not in first.headers
            assert second.headers["last-event-id"] == "7"
            assert "lastEventId=7" in second.query
            assert second.headers["x-team"] == "audio"
            assert headers == {"X-Team": "audio"}  # the caller's dict is never changed
            assert engine.stats().reconnect_count == 1
        finally:
            await engine.aclose()


async def test_replayed_duplicate_is_dropped_and_inherited_ids_are_not() -> None:
    async with RawServer() as srv:
        srv.script(
            "/api/tasks/stream",
            stream(b"id: 1\ndata: a\n\ndata: no-id-inherits-1\n\n"),
            stream(b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n", stall=asyncio.Event()),
        )
        engine, rec = await _run(_config(srv))
        try:
            await rec.until(lambda: [e.data for e in rec.events][-1:] == ["b"])
            assert [e.data for e in rec.events] == ["a", "no-id-inherits-1", "b"]
            assert engine.stats().duplicates_dropped == 1
        finally:
            await engine.aclose()


async def test_silent_stream_is_detected_by_the_watchdog() -> None:
    async with RawServer() as srv:
        stall = asyncio.Event()
        srv.script(
            "/api/tasks/stream",
            stream(b"data: a\n\n", stall=stall),
            stream(b"data: b\n\n", stall=asyncio.Event()),
        )
        engine, rec = await _run(_config(srv, heartbeat_interval=200, heartbeat_timeout=200))
        try:
            await rec.until(lambda: len(rec.events) == 2, timeout=5)
            heartbeat = [s for s in rec.statuses if s.failure is FailureKind.HEARTBEAT]
            assert heartbeat
            assert "heartbeat" in heartbeat[0].reason
        finally:
            stall.set()
            await engine.aclose()


async def test_oversized_line_is_a_protocol_error_then_reconnect() -> None:
    async with RawServer() as srv:
        srv.script(
            "/api/tasks/stream",
            stream(b"data: " + b"x" * 5000 + b"\n\n"),
            stream(b"data: ok\n\n", stall=asyncio.Event()),
        )
        engine, rec = await _run(_config(srv, max_line_bytes=1024))
        try:
            await rec.until(lambda: len(rec.events) == 1)
            assert rec.events[0].data == "ok"
            assert engine.stats().parse_errors == 1
        finally:
            await engine.aclose()


async def test_polling_fallback_then_back_to_streaming() -> None:
    async with RawServer() as srv:
        poll_body = (
            b'{"events":[{"id":"e-1","type":"task_progress","data":{"id":"t1","progress":5}}],'
            b'"lastEventId":"e-1"}'
        )
        srv.script(
            "/api/tasks/stream",
            response(503),
            response(503),
            response(503),
            stream(b"id: e-2\ndata: streamed\n\n", stall=asyncio.Event()),
        )
        srv.script("/api/tasks/poll", response(200, poll_body, {"Content-Type": "application/json"}))
        cfg = _config(srv, max_reconnect_attempts=1, polling_interval=50, probe_interval=100)
        engine, rec = await _run(cfg)
        try:
            await rec.until(lambda: any(e.data == "streamed" for e in rec.events), timeout=8)
            states = rec.states()
            assert ConnectionState.POLLING in states
            assert states.index(ConnectionState.POLLING) < len(states) - 1
            assert states[-1] is ConnectionState.CONNECTED
            polled = [e for e in rec.events if e.via == "poll"]
            assert len(polled) == 1  # the same poll answer repeated is deduplicated by id
            assert polled[0].type == "task_progress"
            stream_reqs = [r for r in srv.requests if r.path.endswith("/stream")]
            assert stream_reqs[-1].headers.get("last-event-id") == "e-1"
        finally:
            await engine.aclose()


async def test_exhausted_without_polling_fails() -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", response(500))
        engine, rec = await _run(_config(srv, max_reconnect_attempts=1, fallback_to_polling=False))
        try:
            await rec.until(lambda: ConnectionState.FAILED in rec.states())
            assert rec.statuses[-1].failure is FailureKind.EXHAUSTED
        finally:
            await engine.aclose()


async def test_network_error_retries() -> None:
    async with RawServer() as srv:
        port = srv.port
    cfg = ClientConfig(
        url=f"http://127.0.0.1:{port}/api/tasks/stream",
        jitter=0.0,
        max_reconnect_attempts=2,
        fallback_to_polling=False,
        reconnect_interval=250,
    )
    engine, rec = await _run(cfg)
    try:
        await rec.until(lambda: ConnectionState.FAILED in rec.states())
        assert any(s.failure is FailureKind.NETWORK for s in rec.statuses)
    finally:
        await engine.aclose()


async def test_start_twice_refused_and_aclose_idempotent() -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(stall=asyncio.Event()))
        engine = StreamEngine(_config(srv), fetch_snapshot=False)
        await engine.start()
        with pytest.raises(RuntimeError, match="twice"):
            await engine.start()
        await engine.aclose()
        await engine.aclose()
        assert engine.status.state is ConnectionState.DISCONNECTED


async def test_disconnect_then_reconnect_now() -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(b"id: 1\ndata: a\n\n", stall=asyncio.Event()))
        engine, rec = await _run(_config(srv))
        try:
            await rec.until(lambda: len(rec.events) == 1)
            engine.disconnect()
            await rec.until(lambda: rec.states()[-1] is ConnectionState.DISCONNECTED)
            assert "user" in rec.statuses[-1].reason
            engine.reconnect()
            await rec.until(lambda: rec.states()[-1] is ConnectionState.CONNECTED and len(srv.requests) == 2)
            assert srv.requests[1].headers["last-event-id"] == "1"
            assert engine.policy.attempt == 0
        finally:
            await engine.aclose()


async def test_batches_carry_each_read_in_order_and_refetches_split_them() -> None:
    # One network read holds: an event, a reset, an event, two events from a new server epoch,
    # and a repeat of one of them. Batch listeners must see the same events as per-event listeners, and every
    # event before a refetch must be delivered before that snapshot.
    body = (
        b"id: e1-1\nevent: a\ndata: 1\n\n"
        b"id: e1-2\nevent: reset\ndata: {}\n\n"
        b"id: e1-3\nevent: b\ndata: 3\n\n"
        b"id: e2-1\nevent: c\ndata: 4\n\n"
        b"id: e2-2\nevent: d\ndata: 5\n\n"
        b"id: e2-1\nevent: c\ndata: 4\n\n"
    )
    snapshot = b'{"tasks": [], "cursor": null, "epoch": "e1"}'
    async with RawServer() as srv:
        srv.script("/api/tasks", response(200, snapshot, {"Content-Type": "application/json"}))
        srv.script("/api/tasks/stream", stream(body, stall=asyncio.Event(), headers={EPOCH_HEADER: "e1"}))
        engine = StreamEngine(_config(srv))
        order: list[object] = []
        singles: list[str] = []
        engine.on_snapshot(lambda _s: order.append("snapshot"))
        engine.on_batch(lambda batch: order.append([e.type for e in batch]))
        engine.on_event(lambda e: singles.append(e.type))
        rec = Recorder(engine)
        await engine.start()
        try:
            # The read is handled in one synchronous step, so once the recorder wakes for its
            # events, the batch listener has had the whole read too.
            await rec.until(lambda: len(order) == 6 and engine.stats().duplicates_dropped == 1)
            assert order == ["snapshot", ["a"], "snapshot", ["reset", "b"], "snapshot", ["c", "d"]]
            assert singles == ["a", "reset", "b", "c", "d"]
            assert engine.stats().duplicates_dropped == 1
        finally:
            await engine.aclose()
