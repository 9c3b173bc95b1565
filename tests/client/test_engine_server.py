"""The engine and the command sender against the real reference server over loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from monitor.client.commands import CommandError, CommandSender, CommandTimeout, QueueFull
from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.protocol import CommandAck, CommandStatus, MessagePriority, Snapshot
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from tests.client.rawhttp import RawServer, response
from tests.waiting import until

pytestmark = pytest.mark.asyncio


def _server(db: str = ":memory:", port: int = 0) -> ServerThread:
    cfg = ServerConfig(port=port, db=db, heartbeat_interval_ms=500, retry_ms=250)
    return ServerThread(create_app(cfg), port=port)


async def _submit(http: httpx.AsyncClient, name: str) -> str:
    r = await http.post("/api/tasks", json={"name": name})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


async def test_snapshot_first_then_stream_resumes_from_its_cursor() -> None:
    with _server() as srv:
        async with httpx.AsyncClient(base_url=srv.url) as http:
            before = [await _submit(http, f"before-{i}") for i in range(3)]
            engine = StreamEngine(ClientConfig(url=srv.url + "/api/tasks/stream"))
            snaps: list[Snapshot] = []
            events: list[IncomingEvent] = []
            engine.on_snapshot(snaps.append)
            engine.on_event(events.append)
            await engine.start()
            try:
                await until(lambda: engine.status.state.value == "connected")
                after = [await _submit(http, f"after-{i}") for i in range(3)]
                await until(lambda: len([e for e in events if e.type == "task_created"]) == 3)
                assert [t.id for t in snaps[0].tasks] == before
                created = [json.loads(e.data)["task"]["id"] for e in events if e.type == "task_created"]
                assert created == after  # nothing from before the snapshot again, nothing missed
            finally:
                await engine.aclose()


async def test_server_killed_and_restarted_no_event_lost_or_doubled(tmp_path: Path) -> None:
    db = str(tmp_path / "events.sqlite3")
    first = _server(db).start()
    port = first.port
    engine = StreamEngine(
        ClientConfig(url=first.url + "/api/tasks/stream", jitter=0.0, reconnect_interval=250)
    )
    events: list[IncomingEvent] = []
    engine.on_event(events.append)
    await engine.start()
    try:
        async with httpx.AsyncClient(base_url=first.url) as http:
            await until(lambda: engine.status.state.value == "connected")
            ids = [await _submit(http, f"a-{i}") for i in range(5)]
            await until(lambda: sum(e.type == "task_created" for e in events) == 5)
        await asyncio.to_thread(first.stop)
        await until(lambda: engine.status.state.value in ("reconnecting", "connecting"))
        second = _server(db, port=port).start()
        try:
            async with httpx.AsyncClient(base_url=second.url) as http:
                ids += [await _submit(http, f"b-{i}") for i in range(5)]  # maybe before we are back
            await until(lambda: sum(e.type == "task_created" for e in events) >= 10, timeout=10)
            created = [json.loads(e.data)["task"]["id"] for e in events if e.type == "task_created"]
            assert created == ids
            assert engine.status.state.value == "connected"
            assert engine.stats().reconnect_count >= 1
        finally:
            await engine.aclose()
            await asyncio.to_thread(second.stop)
    finally:
        await engine.aclose()


async def test_command_acked_over_the_stream() -> None:
    with _server() as srv:
        async with httpx.AsyncClient(base_url=srv.url) as http:
            task_id = await _submit(http, "to-cancel")
        cfg = ClientConfig(url=srv.url + "/api/tasks/stream")
        engine = StreamEngine(cfg)
        sender = CommandSender(cfg, engine=engine)
        await engine.start()
        await sender.start()
        try:
            await until(lambda: engine.status.state.value == "connected")
            ack = await asyncio.wait_for(sender.cancel(task_id), 10)
            assert isinstance(ack, CommandAck)
            assert ack.status is CommandStatus.SUCCEEDED
            assert ack.task_id == task_id
            with pytest.raises(CommandError):  # cancelling a cancelled task is refused, with a reason
                await asyncio.wait_for(sender.pause(task_id), 10)
        finally:
            await sender.aclose()
            await engine.aclose()


async def test_ack_timeout_calls_on_timeout() -> None:
    async with RawServer() as srv:
        srv.script("/api/commands", response(202, b'{"commandId":"x","status":"accepted"}'))
        srv.script("/api/tasks/stream", response(204))
        cfg = ClientConfig(url=srv.url + "/api/tasks/stream")
        engine = StreamEngine(cfg, fetch_snapshot=False)
        sender = CommandSender(cfg, engine=engine, ack_margin_ms=0)
        await sender.start()
        timeouts: list[CommandError] = []
        try:
            fut = sender.send_command("cancel", "t1", timeout_ms=200, on_timeout=timeouts.append)
            with pytest.raises(CommandTimeout, match="no answer"):
                await asyncio.wait_for(fut, 5)
            assert len(timeouts) == 1
        finally:
            await sender.aclose()


async def test_offline_command_sent_once_with_one_idempotency_key_and_survives_restart(
    tmp_path: Path,
) -> None:
    state = tmp_path / "outbox.json"
    async with RawServer() as srv:
        srv.script("/api/commands", response(503), response(503), response(202, b'{"status":"accepted"}'))
        cfg = ClientConfig(url=srv.url + "/api/tasks/stream")
        first = CommandSender(cfg, state_path=state, retry_schedule=(60.0,))
        await first.start()
        fut = first.send_command("pause", "t9", require_ack=False)
        await srv.wait_requests(1)
        assert json.loads(state.read_text())["queue"][0]["body"]["task_id"] == "t9"
        await first.aclose()  # "quit" while the command waits for its retry
        assert fut.cancelled()
        second = CommandSender(cfg, state_path=state, retry_schedule=(0.05,))
        await second.start()
        try:
            await until(lambda: second.queue_size == 0 and second.sent == 1)
            posts = [r for r in srv.requests if r.path == "/api/commands"]
            assert len(posts) == 3
            assert len({r.headers["idempotency-key"] for r in posts}) == 1
            assert json.loads(state.read_text())["queue"] == []
        finally:
            await second.aclose()


async def test_full_queue_evicts_lowest_priority_never_a_more_urgent_one() -> None:
    cfg = ClientConfig(url="http://127.0.0.1:9/api/tasks/stream", message_queue_size=2)
    sender = CommandSender(cfg)  # not started: items stay queued
    low = sender.send_text("low", priority=MessagePriority.LOW)
    high = sender.send_command("cancel", "t1", priority=MessagePriority.HIGH)
    normal = sender.send_text("normal", priority=MessagePriority.NORMAL)
    with pytest.raises(QueueFull, match="evicted"):
        await low
    lower = sender.send_text("too low", priority=MessagePriority.LOW)
    with pytest.raises(QueueFull, match="more urgent"):
        await lower
    assert sender.queue_size == 2
    assert not high.done()
    assert not normal.done()
    sender.clear_queue()
    for fut in (high, normal):
        with pytest.raises(CommandError):
            await fut


async def test_stalled_connection_through_a_proxy_is_detected_and_recovered() -> None:
    from tests.client.tcpproxy import StallingProxy

    with _server() as srv:
        async with StallingProxy(srv.port) as proxy:
            url = f"http://127.0.0.1:{proxy.port}/api/tasks/stream"
            # Heartbeats every 500 ms from the server; silence > 300 + 300 ms means dead.
            engine = StreamEngine(
                ClientConfig(url=url, heartbeat_interval=300, heartbeat_timeout=300, jitter=0.0)
            )
            events: list[IncomingEvent] = []
            engine.on_event(events.append)
            await engine.start()
            try:
                await until(lambda: engine.status.state.value == "connected")
                async with httpx.AsyncClient(base_url=srv.url) as http:
                    await _submit(http, "before-stall")
                    await until(lambda: any(e.type == "task_created" for e in events))
                    proxy.freeze()
                    during = await _submit(http, "during-stall")
                    await until(lambda: engine.stats().reconnect_count >= 1, timeout=5)
                    await until(lambda: engine.status.state.value == "connected", timeout=5)
                    await until(lambda: any(during in e.data for e in events if e.type == "task_created"))
                assert engine.status.failure.value in ("none", "heartbeat")
                assert proxy.connections >= 2
                created = [e for e in events if e.type == "task_created"]
                assert len(created) == 2  # the event sent into the dead connection arrives once, by replay
            finally:
                await engine.aclose()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _spawn_server(port: int, db: Path) -> asyncio.subprocess.Process:
    import os
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor",
        "serve",
        "--port",
        str(port),
        "--db",
        str(db),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "500"},
    )
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)  # polling for the port to open, bounded
    raise TimeoutError("server did not start")


async def test_sigkill_mid_stream_and_restart_loses_and_doubles_nothing(tmp_path: Path) -> None:
    port, db = _free_port(), tmp_path / "log.sqlite3"
    url = f"http://127.0.0.1:{port}"
    proc = await _spawn_server(port, db)
    engine = StreamEngine(ClientConfig(url=url + "/api/tasks/stream", jitter=0.0, reconnect_interval=250))
    events: list[IncomingEvent] = []
    engine.on_event(events.append)
    await engine.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            await until(lambda: engine.status.state.value == "connected")
            ids = [await _submit(http, f"a-{i}") for i in range(20)]
        proc.kill()  # SIGKILL: no shutdown event, no FIN from the app, whatever was in flight
        await proc.wait()
        await until(lambda: engine.status.state.value in ("reconnecting", "connecting"))
        proc = await _spawn_server(port, db)
        async with httpx.AsyncClient(base_url=url) as http:
            ids += [await _submit(http, f"b-{i}") for i in range(20)]
        await until(lambda: sum(e.type == "task_created" for e in events) >= 40, timeout=15)
        created = [json.loads(e.data)["task"]["id"] for e in events if e.type == "task_created"]
        assert created == ids
    finally:
        await engine.aclose()
        proc.kill()
        await proc.wait()


async def test_command_queued_while_offline_runs_exactly_once_after_reconnect(tmp_path: Path) -> None:
    port, db = _free_port(), tmp_path / "log.sqlite3"
    url = f"http://127.0.0.1:{port}"
    proc = await _spawn_server(port, db)
    async with httpx.AsyncClient(base_url=url) as http:
        task_id = await _submit(http, "pause-me")
        assert (await http.post(f"/api/tasks/{task_id}/events", json={"kind": "started"})).status_code < 300
    proc.kill()
    await proc.wait()
    cfg = ClientConfig(url=url + "/api/tasks/stream", jitter=0.0, reconnect_interval=250)
    engine = StreamEngine(cfg)
    sender = CommandSender(cfg, engine=engine, retry_schedule=(0.2,))
    await engine.start()
    await sender.start()
    try:
        fut = sender.pause(task_id)
        await until(lambda: sender.queue_size == 1 and engine.stats().reconnect_count >= 1)
        proc = await _spawn_server(port, db)
        ack = await asyncio.wait_for(fut, 15)
        assert ack.status is CommandStatus.SUCCEEDED
        async with httpx.AsyncClient(base_url=url) as http:
            detail = (await http.get(f"/api/tasks/{task_id}")).json()
        paused = [
            e
            for e in detail["events"]
            if e["type"] == "task_updated" and e["data"]["task"]["state"] == "paused"
        ]
        assert len(paused) == 1
        assert detail["task"]["state"] == "paused"
    finally:
        await sender.aclose()
        await engine.aclose()
        proc.kill()
        await proc.wait()
