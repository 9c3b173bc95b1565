"""Resync: the engine announces a new server lifetime (or the user's F5) before its first event."""

from __future__ import annotations

import asyncio
import json

import pytest

from monitor.client.config import ClientConfig
from monitor.client.engine import StreamEngine
from monitor.core.connection import ConnectionState, Resync
from monitor.core.protocol import EPOCH_HEADER
from tests.client.rawhttp import RawServer, response, stream
from tests.waiting import until

pytestmark = pytest.mark.asyncio

_JSON = {"Content-Type": "application/json"}


def _config(srv: RawServer) -> ClientConfig:
    return ClientConfig(url=srv.url + "/api/tasks/stream", jitter=0.0, reconnect_interval=250)


def _snapshot(epoch: str, cursor: str | None = None) -> bytes:
    return json.dumps({"tasks": [], "cursor": cursor, "epoch": epoch}).encode()


class Timeline:
    """Records resyncs, snapshots and events in the order the engine delivers them."""

    def __init__(self, engine: StreamEngine) -> None:
        self.items: list[object] = []
        self.resyncs: list[Resync] = []
        engine.on_resync(self._resync)
        engine.on_snapshot(lambda s: self.items.append(f"snapshot:{s.epoch}"))
        engine.on_event(lambda e: self.items.append(e.data))

    def _resync(self, r: Resync) -> None:
        self.resyncs.append(r)
        self.items.append(f"resync:{r.reason.value}:{r.snapshot_follows}")


async def test_reset_event_announces_resync_before_the_snapshot_and_the_next_event() -> None:
    body = b"id: e1-1\ndata: a\n\nid: e1-2\nevent: reset\ndata: {}\n\nid: e1-3\ndata: b\n\n"
    async with RawServer() as srv:
        srv.script("/api/tasks", response(200, _snapshot("e1"), _JSON))
        srv.script("/api/tasks/stream", stream(body, stall=asyncio.Event(), headers={EPOCH_HEADER: "e1"}))
        engine = StreamEngine(_config(srv))
        line = Timeline(engine)
        await engine.start()
        try:
            await until(lambda: "b" in line.items)
            assert line.items == ["snapshot:e1", "a", "resync:reset:True", "snapshot:e1", "{}", "b"]
        finally:
            await engine.aclose()


async def test_declared_epoch_change_is_an_epoch_resync() -> None:
    body = b"id: e1-1\ndata: a\n\nid: e2-1\ndata: b\n\n"
    async with RawServer() as srv:
        srv.script("/api/tasks", response(200, _snapshot("e1"), _JSON), response(200, _snapshot("e2"), _JSON))
        srv.script("/api/tasks/stream", stream(body, stall=asyncio.Event(), headers={EPOCH_HEADER: "e1"}))
        engine = StreamEngine(_config(srv))
        line = Timeline(engine)
        await engine.start()
        try:
            await until(lambda: "b" in line.items)
            assert line.items == ["snapshot:e1", "a", "resync:epoch:True", "snapshot:e2", "b"]
            assert line.resyncs[0].detail == "epoch e1 -> e2"
        finally:
            await engine.aclose()


async def test_requested_resync_refetches_the_snapshot_and_reconnects() -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks", response(200, _snapshot("e1", "e1-1"), _JSON))
        srv.script(
            "/api/tasks/stream",
            stream(b"id: e1-2\ndata: a\n\n", stall=asyncio.Event(), headers={EPOCH_HEADER: "e1"}),
            stream(b"id: e1-3\ndata: b\n\n", stall=asyncio.Event(), headers={EPOCH_HEADER: "e1"}),
        )
        engine = StreamEngine(_config(srv))
        line = Timeline(engine)
        await engine.start()
        try:
            await until(lambda: "a" in line.items)
            engine.resync()
            await until(lambda: "b" in line.items)
            assert line.items == ["snapshot:e1", "a", "resync:requested:True", "snapshot:e1", "b"]
            streams = [r for r in srv.requests if r.path.endswith("/stream")]
            assert [r.headers.get("last-event-id") for r in streams] == [
                "e1-1",
                "e1-1",
            ]  # the snapshot's cursor
        finally:
            await engine.aclose()


async def test_requested_resync_without_snapshot_replays_from_the_start() -> None:
    # No snapshot endpoint: F5 reconnects without a cursor and the replayed events are delivered
    # again (they are the new view), not dropped as duplicates of the old one.
    replay = b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n"
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(replay, stall=asyncio.Event()))
        engine = StreamEngine(_config(srv))
        line = Timeline(engine)
        await engine.start()
        try:
            await until(lambda: line.items == ["a", "b"])
            engine.resync()
            await until(lambda: len(line.items) == 5)
            assert line.items == ["a", "b", "resync:requested:False", "a", "b"]
            streams = [r for r in srv.requests if r.path.endswith("/stream")]
            assert [r.headers.get("last-event-id") for r in streams] == [None, None]
            assert engine.status.state is ConnectionState.CONNECTED
        finally:
            await engine.aclose()


async def test_snapshot_url_that_is_a_stream_counts_as_no_snapshot_and_does_not_block() -> None:
    async with RawServer() as srv:
        never = asyncio.Event()
        srv.script("/api/tasks", stream(b": endless\n\n", stall=never))
        srv.script("/api/tasks/stream", stream(b"id: 1\ndata: a\n\n", stall=never))
        engine = StreamEngine(_config(srv))
        line = Timeline(engine)
        await engine.start()
        try:
            await until(lambda: line.items == ["a"], timeout=3)
            engine.resync()
            await until(lambda: line.items == ["a", "resync:requested:False", "a"], timeout=3)
        finally:
            await engine.aclose()


async def test_a_pending_snapshot_from_a_new_epoch_is_announced_not_adopted() -> None:
    # The first snapshot failed, so the next connection refetches it; meanwhile the server
    # restarted (epoch a -> b). That snapshot is a new lifetime, not a silent change of epoch.
    async with RawServer() as srv:
        srv.script(
            "/api/tasks",
            response(503),
            response(200, _snapshot("b", "b-3"), _JSON),
        )
        srv.script(
            "/api/tasks/stream",
            stream(b"id: a-1\ndata: a1\n\nid: a-2\ndata: a2\n\n", headers={EPOCH_HEADER: "a"}),
            stream(b"id: b-4\ndata: b4\n\n", stall=asyncio.Event(), headers={EPOCH_HEADER: "b"}),
        )
        engine = StreamEngine(_config(srv))
        line = Timeline(engine)
        await engine.start()
        try:
            await until(lambda: "b4" in line.items)
            assert line.items == ["a1", "a2", "resync:epoch:True", "snapshot:b", "b4"]
            assert line.resyncs[0].detail == "epoch a -> b"
        finally:
            await engine.aclose()


async def test_a_restarted_monitor_server_costs_one_resync_and_one_snapshot() -> None:
    # What `monitor serve` answers a cursor from its previous life: the new epoch in the header,
    # its head as Monitor-Cursor, and a reset event first. One piece of news, one snapshot.
    reset = b'retry: 1000\n\nevent: reset\ndata: {"reason": "cursor unknown"}\n\n'
    async with RawServer() as srv:
        srv.script(
            "/api/tasks",
            response(200, _snapshot("a", "a-1"), _JSON),
            response(200, _snapshot("b", "b-7"), _JSON),
        )
        srv.script(
            "/api/tasks/stream",
            stream(b"id: a-2\ndata: a2\n\n", headers={EPOCH_HEADER: "a"}),
            stream(
                reset + b"id: b-8\ndata: b8\n\n",
                stall=asyncio.Event(),
                headers={EPOCH_HEADER: "b", "Monitor-Cursor": "b-7"},
            ),
        )
        engine = StreamEngine(_config(srv))
        line = Timeline(engine)
        await engine.start()
        try:
            await until(lambda: "b8" in line.items)
            assert line.items == [
                "snapshot:a",
                "a2",
                "resync:epoch:True",
                "snapshot:b",
                '{"reason": "cursor unknown"}',  # the reset is still delivered
                "b8",
            ]
            assert [r.path for r in srv.requests].count("/api/tasks") == 2
        finally:
            await engine.aclose()
