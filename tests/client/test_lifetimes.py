"""Ids are opaque unless declared; new server lifetimes; dedup across replays; polling; timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind, Resync, ResyncReason
from monitor.core.profile import ConnectionProfile, ResumeMode
from monitor.core.protocol import EPOCH_HEADER
from tests.client.rawhttp import RawServer, Request, response, stream
from tests.waiting import until

_JSON = {"Content-Type": "application/json"}


def _config(srv: RawServer, *, resume: ResumeMode = ResumeMode.AUTO, **timing: object) -> ClientConfig:
    reconnect = {"jitter": 0.0, "reconnect_interval_ms": 250, **timing}
    return ClientConfig(
        profile=ConnectionProfile.model_validate(
            {"stream_url": srv.url + "/stream", "resume": resume, "reconnect": reconnect}
        )
    )


def _frames(ids: range) -> bytes:
    return b"".join(f"id: {i}\ndata: {i}\n\n".encode() for i in ids)


class Seen:
    def __init__(self, engine: StreamEngine) -> None:
        self.events: list[IncomingEvent] = []
        self.resyncs: list[Resync] = []
        self.statuses: list[ConnectionStatus] = []
        engine.on_event(self.events.append)
        engine.on_resync(self.resyncs.append)
        engine.on_status(self.statuses.append)

    @property
    def data(self) -> list[str]:
        return [e.data for e in self.events]


@pytest.mark.asyncio
async def test_uuid_ids_never_trigger_a_snapshot() -> None:
    ids = ["0b7c9c1e-5d0b-4c55-9a43-2f0f0e0d9a11", "7f3e2b1a-0c9d-4e8f-a7b6-c5d4e3f2a1b0"]
    body = b"".join(f"id: {i}\ndata: x\n\n".encode() for i in ids)
    async with RawServer() as srv:
        srv.script("/api/tasks", response(200, b'{"tasks": [], "cursor": null, "epoch": "e"}', _JSON))
        srv.script("/stream", stream(body, stall=asyncio.Event()))
        engine = StreamEngine(_config(srv))
        seen = Seen(engine)
        await engine.start()
        try:
            await until(lambda: len(seen.events) == 2)
            assert [r.path for r in srv.requests] == ["/api/tasks", "/stream"]  # the start-up one only
            assert seen.resyncs == []
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_dedup_holds_across_a_replay_longer_than_the_window() -> None:
    # One connection replays 3,000 events (window: 2,048) before the first new one.
    body = _frames(range(1, 3001)) + _frames(range(1, 3001)) + _frames(range(3001, 3002))
    async with RawServer() as srv:
        srv.script("/stream", stream(body, stall=asyncio.Event()))
        engine = StreamEngine(_config(srv), fetch_snapshot=False)
        seen = Seen(engine)
        await engine.start()
        try:
            await until(lambda: engine.stats().duplicates_dropped == 3000)
            assert seen.data == [str(i) for i in range(1, 3002)]
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_auto_resume_detects_a_server_reading_only_the_query() -> None:
    # Seed 000's backend: resumes from the lastEventId query, ignores the header, so a header-only
    # reconnect replays everything. AUTO reconnects with the query at once: no duplicate, no resync.
    def seed000(req: Request) -> bytes:
        after = dict(p.split("=", 1) for p in req.query.split("&") if "=" in p).get("lastEventId")
        start = int(after) + 1 if after else 1
        return _frames(range(1, 2501)[start - 1 :] if start <= 2500 else range(0)) + _frames(
            range(2501, 2502)
        )

    async def handler(req: Request, w: asyncio.StreamWriter) -> None:
        first = len(srv.requests) == 1
        body = _frames(range(1, 2501)) if first else seed000(req)
        await stream(body, stall=None if first else asyncio.Event())(req, w)

    async with RawServer() as srv:
        srv.script("/stream", handler)
        engine = StreamEngine(_config(srv), fetch_snapshot=False)
        seen = Seen(engine)
        await engine.start()
        try:
            await until(lambda: "2501" in seen.data, timeout=8)
            assert seen.data == [str(i) for i in range(1, 2502)]
            assert seen.resyncs == []
            targets = [r.target for r in srv.requests]
            assert targets[:3] == ["/stream", "/stream", "/stream?lastEventId=2500"]
            assert [r.headers.get("last-event-id") for r in srv.requests[:3]] == [None, "2500", "2500"]
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_numeric_ids_restarting_are_a_new_lifetime_not_duplicates() -> None:
    async with RawServer() as srv:
        srv.script(
            "/stream", stream(_frames(range(1, 6))), stream(_frames(range(1, 3)), stall=asyncio.Event())
        )
        engine = StreamEngine(_config(srv, resume=ResumeMode.HEADER_AND_QUERY), fetch_snapshot=False)
        seen = Seen(engine)
        await engine.start()
        try:
            await until(lambda: len(seen.events) == 7)
            assert seen.data == ["1", "2", "3", "4", "5", "1", "2"]
            assert [(r.reason, r.snapshot_follows) for r in seen.resyncs] == [
                (ResyncReason.IDS_RESTARTED, False)
            ]
            assert seen.resyncs[0].detail == "id 1 after 5"
            assert engine.stats().duplicates_dropped == 0
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_declared_epoch_changing_across_a_reconnect_is_a_resync() -> None:
    async with RawServer() as srv:
        srv.script(
            "/stream",
            stream(b"id: a-1\ndata: 1\n\nid: a-2\ndata: 2\n\n", headers={EPOCH_HEADER: "a"}),
            stream(b"id: b-1\ndata: 3\n\n", stall=asyncio.Event(), headers={EPOCH_HEADER: "b"}),
        )
        engine = StreamEngine(_config(srv), fetch_snapshot=False)
        seen = Seen(engine)
        await engine.start()
        try:
            await until(lambda: len(seen.events) == 3)
            assert [(r.reason, r.detail) for r in seen.resyncs] == [(ResyncReason.EPOCH, "epoch a -> b")]
            assert seen.data == ["1", "2", "3"]
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_polling_starts_after_consecutive_failures_and_returns_to_the_stream() -> None:
    # Seed 000's shape: integer ids. This server ignores the cursor: the repeats are duplicates.
    poll = (
        b'{"events":[{"id":1,"type":"message","data":{"n":1}},'
        b'{"id":2,"type":"message","data":{"n":2}}],"lastEventId":"2"}'
    )
    async with RawServer() as srv:
        srv.script(
            "/stream",
            response(503),
            response(503),
            stream(b"id: 3\ndata: streamed\n\n", stall=asyncio.Event()),
        )
        srv.script("/poll", response(200, poll, _JSON))
        cfg = _config(srv, poll_after_failures=2, polling_interval_ms=50, probe_interval_ms=150)
        engine = StreamEngine(cfg, fetch_snapshot=False)
        seen = Seen(engine)
        await engine.start()
        try:
            await until(lambda: "streamed" in seen.data, timeout=8)
            states = [s.state for s in seen.statuses]
            assert ConnectionState.POLLING in states
            assert states[-1] is ConnectionState.CONNECTED
            assert seen.data == ['{"n":1}', '{"n":2}', "streamed"]
            paths = [r.path for r in srv.requests]
            assert paths[:3] == ["/stream", "/stream", "/poll"]  # polling after the 2nd failure
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_connection_timeout_bounds_the_time_to_response_headers() -> None:
    accepted = asyncio.Event()
    conns: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conns.append(writer)
        accepted.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await reader.read()  # accepts, reads the request, never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cfg = ClientConfig(
        profile=ConnectionProfile.model_validate(
            {
                "stream_url": f"http://127.0.0.1:{port}/stream",
                "reconnect": {"connection_timeout_ms": 500, "heartbeat_interval_ms": 30_000, "jitter": 0.0},
            }
        )
    )
    engine = StreamEngine(cfg, fetch_snapshot=False)
    seen = Seen(engine)
    t0 = time.monotonic()
    await engine.start()
    try:
        await until(lambda: any(s.state is ConnectionState.RECONNECTING for s in seen.statuses), timeout=5)
        elapsed = time.monotonic() - t0
        status = next(s for s in seen.statuses if s.state is ConnectionState.RECONNECTING)
        assert accepted.is_set()
        assert 0.4 <= elapsed < 3.0
        assert status.failure is FailureKind.NETWORK
        assert "connection timeout" in status.reason
        assert "heartbeat" not in status.reason
    finally:
        await engine.aclose()
        for w in conns:
            w.close()
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
@pytest.mark.parametrize("first_new_id", [1, 2])
async def test_auto_a_restart_with_different_events_under_old_ids_is_a_new_lifetime(
    first_new_id: int,
) -> None:
    # Seed 000 restarted: a header-only reconnect gets ids the old lifetime had, with other events
    # under them (also at the cursor itself). Not a replay: no switch to the query, a resync.
    new = b"".join(f"id: {i}\ndata: new{i}\n\n".encode() for i in range(first_new_id, 4))
    async with RawServer() as srv:
        srv.script(
            "/stream",
            stream(b"id: 1\ndata: old1\n\nid: 2\ndata: old2\n\n"),
            stream(new, stall=asyncio.Event()),
        )
        engine = StreamEngine(_config(srv), fetch_snapshot=False)
        seen = Seen(engine)
        await engine.start()
        try:
            await until(lambda: "new3" in seen.data)
            assert seen.data == ["old1", "old2", *(f"new{i}" for i in range(first_new_id, 4))]
            assert [r.reason for r in seen.resyncs] == [ResyncReason.IDS_RESTARTED]
            assert [r.target for r in srv.requests] == ["/stream", "/stream"]  # no query retry
        finally:
            await engine.aclose()
