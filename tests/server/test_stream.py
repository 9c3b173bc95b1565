"""The streaming core over real loopback uvicorn: framing, resume, reset, targeting, limits.

These use a hub-only ASGI app (``HubApp``) so they exercise the log, hub and stream endpoint
without the task service; ``test_app.py`` covers the same paths through ``create_app``.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator

import pytest

from monitor.core.protocol import Heartbeat, ResetNotice, ShutdownNotice
from monitor.server.runner import ServerThread
from tests.server.conftest import LogFactory
from tests.server.sse_helpers import HubApp, RawSSE, until


@pytest.fixture
def served() -> Iterator[tuple[HubApp, ServerThread]]:
    app = HubApp(
        heartbeat_interval_ms=60_000,
        keepalive_interval_ms=60_000,
        max_queue_events=100_000,
        max_queue_bytes=64 << 20,
    )
    with ServerThread(app) as server:
        yield app, server


def publish(server: ServerThread, app: HubApp, type_: str, data: object, target: str | None = None) -> str:
    return server.call(lambda: app.hub.publish_nowait(type_, json.dumps(data), target=target).id)


@pytest.mark.asyncio
async def test_framing_and_headers(served: tuple[HubApp, ServerThread]) -> None:
    app, server = served
    async with RawSSE(server.url, headers={"X-Client-Id": "c1"}) as sse:
        assert sse.status == 200
        h = sse.response_headers
        assert h["content-type"].startswith("text/event-stream")
        assert h["cache-control"] == "no-store"
        assert h["x-accel-buffering"] == "no"
        assert h["monitor-cursor"] == "earliest"
        assert "content-length" not in h
        first = await sse.next_event()
        assert first is not None
        assert first.retry == 3000
        eid = publish(server, app, "task_created", {"line": "a\nb"})
        ev = await sse.next_event()
        assert ev is not None
        assert (ev.type, ev.id, ev.data) == ("task_created", eid, '{"line": "a\\nb"}')
        assert server.call(lambda: [c.client_id for c in app.hub.connections()]) == ["c1"]


@pytest.mark.asyncio
async def test_heartbeat_and_keepalive_from_shared_timer() -> None:
    app = HubApp(heartbeat_interval_ms=150, keepalive_interval_ms=100)
    with ServerThread(app) as server:
        async with RawSSE(server.url) as sse:
            kinds: set[str] = set()
            async with asyncio.timeout(3):
                while not {"heartbeat", ":comment"} <= kinds:
                    ev = await sse.next_event(comments=True)
                    assert ev is not None
                    kinds.add(ev.type)
                    if ev.type == "heartbeat":
                        hb = Heartbeat.model_validate_json(ev.data)
                        assert hb.interval_ms == 150
                        assert hb.server_time > 0
                        assert ev.id is None  # heartbeats do not move the cursor
        # one timer task for the hub, no matter how many streams were open
        names = server.call(lambda: [t.get_name() for t in asyncio.all_tasks()])
        assert names.count("monitor-hub-timer") == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["header", "last_event_id", "lastEventId"])
async def test_resume_while_publishing_has_no_gap_and_no_duplicate(
    served: tuple[HubApp, ServerThread], how: str
) -> None:
    app, server = served
    total = 1500
    seen: list[int] = []
    async with RawSSE(server.url) as sse:
        assert (await sse.next_event()).retry is not None  # type: ignore[union-attr]

        async def pump() -> None:
            for i in range(total):
                app.hub.publish_nowait("tick", json.dumps({"n": i}))
                if i % 3 == 0:
                    await asyncio.sleep(0)  # yield so streams interleave with publishing

        fut = server.submit(pump())
        last_id = None
        while len(seen) < 200:
            ev = await sse.next_event()
            assert ev is not None
            seen.append(ev.json()["n"])
            last_id = ev.id
    assert last_id is not None
    if how == "header":
        path, headers = "/api/tasks/stream", {"Last-Event-ID": last_id}
    else:
        path, headers = f"/api/tasks/stream?{how}={last_id}", {}
    async with RawSSE(server.url, path=path, headers=headers) as sse:
        assert sse.response_headers["monitor-cursor"] == last_id
        while seen[-1] != total - 1:
            ev = await sse.next_event()
            assert ev is not None
            if ev.type == "tick":
                seen.append(ev.json()["n"])
    fut.result(5)
    assert seen == list(range(total))


@pytest.mark.asyncio
async def test_header_cursor_wins_over_query(served: tuple[HubApp, ServerThread]) -> None:
    app, server = served
    ids = [publish(server, app, "tick", {"n": i}) for i in range(5)]
    async with RawSSE(
        server.url, path=f"/sse?last_event_id={ids[0]}", headers={"Last-Event-ID": ids[3]}
    ) as sse:
        assert sse.response_headers["monitor-cursor"] == ids[3]
        await sse.next_event()  # retry
        ev = await sse.next_event()
        assert ev is not None
        assert ev.id == ids[4]


@pytest.mark.asyncio
@pytest.mark.parametrize("cursor", ["nonsense", "deadbeef-1", "x" * 300])
async def test_unknown_cursor_gets_one_reset(served: tuple[HubApp, ServerThread], cursor: str) -> None:
    app, server = served
    head = publish(server, app, "tick", {"n": 0})
    async with RawSSE(server.url, headers={"Last-Event-ID": cursor}) as sse:
        assert sse.response_headers["monitor-cursor"] == head  # != what we sent: loss detectable
        retry = await sse.next_event()
        assert retry is not None
        assert retry.retry == 3000
        first = await sse.next_event()
        assert first is not None
        assert first.type == "reset"
        notice = ResetNotice.model_validate_json(first.data)
        assert notice.reason
        nxt = publish(server, app, "tick", {"n": 1})
        ev = await sse.next_event()
        assert ev is not None
        assert ev.id == nxt
    assert app.hub.metrics.resets_total == 1


@pytest.mark.asyncio
async def test_trimmed_cursor_gets_reset() -> None:
    from monitor.server.log import MemoryLog

    app = HubApp(MemoryLog(max_events=3))
    with ServerThread(app) as server:
        ids = [publish(server, app, "tick", {"n": i}) for i in range(6)]
        async with RawSSE(server.url, headers={"Last-Event-ID": ids[0]}) as sse:
            await sse.next_event()
            ev = await sse.next_event()
            assert ev is not None
            assert ev.type == "reset"
        async with RawSSE(server.url, headers={"Last-Event-ID": ids[2]}) as sse:  # just before window
            await sse.next_event()
            ev = await sse.next_event()
            assert ev is not None
            assert ev.id == ids[3]


@pytest.mark.asyncio
async def test_targeted_events_reach_and_replay_only_to_their_client(
    served: tuple[HubApp, ServerThread],
) -> None:
    app, server = served
    async with (
        RawSSE(server.url, headers={"X-Client-Id": "alice"}) as a,
        RawSSE(server.url, path="/sse?clientId=bob") as b,
    ):
        await a.next_event()
        await b.next_event()
        start = server.call(lambda: app.log.last_id)
        publish(server, app, "ack", {"to": "alice"}, target="alice")
        everyone = publish(server, app, "system", {"to": "all"})
        ev_b = await b.next_event()
        assert ev_b is not None
        assert ev_b.id == everyone
        ev_a = await a.next_event()
        assert ev_a is not None
        assert ev_a.json() == {"to": "alice"}
    # replay is scoped the same way
    for client, expected in (("alice", [{"to": "alice"}, {"to": "all"}]), ("bob", [{"to": "all"}])):
        async with RawSSE(
            server.url, headers={"X-Client-Id": client, "Last-Event-ID": start or "earliest"}
        ) as s:
            await s.next_event()
            got = [(await s.next_event()).json() for _ in expected]  # type: ignore[union-attr]
            assert got == expected


@pytest.mark.asyncio
async def test_max_connections_answers_503_with_retry_after() -> None:
    app = HubApp(max_connections=1)
    with ServerThread(app) as server:
        async with RawSSE(server.url) as first:
            assert first.status == 200
            async with RawSSE(server.url) as second:
                assert second.status == 503
                assert int(second.response_headers["retry-after"]) >= 1
                body = json.loads(await second.read_body())
                assert body["error"] == "too many connections"
        assert app.hub.metrics.connections_rejected_total == 1


@pytest.mark.asyncio
async def test_slow_consumer_is_disconnected_and_can_resume() -> None:
    app = HubApp(max_queue_events=50, max_queue_bytes=256 * 1024)
    with ServerThread(app) as server:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small window: fills quickly
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
        _reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(b"GET /api/tasks/stream HTTP/1.1\r\nHost: x\r\nX-Client-Id: slow\r\n\r\n")
        await writer.drain()
        await until(lambda: len(app.hub) == 1, what="stream attached")
        # Never read: publish until the kernel buffers and the bounded queue are full.
        blob = "x" * 8000
        last = ""
        for _ in range(2000):
            last = publish(server, app, "big", {"blob": blob})
            if app.hub.metrics.slow_consumer_drops_total:
                break
        assert app.hub.metrics.slow_consumer_drops_total == 1
        await until(lambda: len(app.hub) == 0, what="slow stream detached")
        writer.close()
        # A healthy client is unaffected, and the slow one can resume from any cursor it had.
        async with RawSSE(server.url, headers={"Last-Event-ID": last}) as again:
            assert again.response_headers["monitor-cursor"] == last


@pytest.mark.asyncio
async def test_client_disconnect_is_noticed(served: tuple[HubApp, ServerThread]) -> None:
    app, server = served
    sse = await RawSSE(server.url).open()
    await sse.next_event()
    assert len(app.hub) == 1
    await sse.close()
    # The next write to the dead stream notices it (heartbeats guarantee writes in production).
    publish(server, app, "tick", {})
    await until(lambda: len(app.hub) == 0, what="stream detached")


@pytest.mark.asyncio
async def test_stop_sends_shutdown_with_retry_to_every_stream() -> None:
    app = HubApp()
    server = ServerThread(app).start()
    clients = [await RawSSE(server.url).open() for _ in range(3)]
    try:
        for c in clients:
            await c.next_event()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        stopping = loop.run_in_executor(None, server.stop)
        for c in clients:
            ev = await c.next_event()
            assert ev is not None
            assert ev.type == "shutdown"
            notice = ShutdownNotice.model_validate_json(ev.data)
            assert ev.retry == notice.retry_ms
            assert 3000 <= notice.retry_ms <= 6000
            assert await c.next_event() is None  # the server ended the stream
        await stopping
        assert loop.time() - t0 < 3.0
    finally:
        for c in clients:
            await c.close()


@pytest.mark.asyncio
async def test_reconnects_during_continuous_publishing_lose_and_double_nothing(make_log: LogFactory) -> None:
    """Publishing never pauses while a client drops and resumes three times (small replay pages,
    so replay and live delivery overlap): the union of what it saw is every event exactly once."""
    import threading

    from monitor.server.log import EARLIEST

    app = HubApp(
        make_log(),
        replay_page=7,
        heartbeat_interval_ms=60_000,
        keepalive_interval_ms=60_000,
        max_queue_events=100_000,
        max_queue_bytes=64 << 20,
    )
    stop = threading.Event()
    published: list[int] = []

    async def pump() -> None:
        n = 0
        while not stop.is_set():
            for _ in range(4):
                app.hub.publish_nowait("tick", json.dumps({"n": n}))
                published.append(n)
                n += 1
            # Pacing, not synchronisation: keeps the publisher running for the whole test
            # without flooding the client's queue.
            await asyncio.sleep(0.001)

    seen: list[int] = []
    replays_during_publish = 0
    try:
        with ServerThread(app) as server:
            fut = server.submit(pump())
            cursor: str | None = None
            for cycle in range(4):
                if cursor is None:
                    # "earliest": the whole log, including what was published before we came.
                    path, headers = "/api/tasks/stream", {"Last-Event-ID": EARLIEST}
                elif cycle % 2:
                    path, headers = "/api/tasks/stream", {"Last-Event-ID": cursor}
                else:
                    path, headers = f"/sse?clientId=c&lastEventId={cursor}", {}
                before = len(published)
                async with RawSSE(server.url, path=path, headers=headers) as sse:
                    assert sse.response_headers["monitor-cursor"] == (cursor or EARLIEST)
                    got = 0
                    while got < 150:
                        ev = await sse.next_event()
                        assert ev is not None
                        if ev.type == "tick":
                            seen.append(ev.json()["n"])
                            cursor = ev.id
                            got += 1
                if cursor is not None and len(published) > before and not fut.done():
                    replays_during_publish += 1
            stop.set()
            fut.result(5)
            # Drain: one last resume reads up to the final published event.
            final = len(published) - 1
            async with RawSSE(server.url, headers={"Last-Event-ID": cursor or ""}) as sse:
                while seen[-1] != final:
                    ev = await sse.next_event()
                    assert ev is not None
                    if ev.type == "tick":
                        seen.append(ev.json()["n"])
    finally:
        stop.set()
        app.log.close()
    assert replays_during_publish >= 3  # the resumes really overlapped publishing
    assert app.hub.metrics.replays_total >= 4
    assert seen == list(range(len(published)))  # no gap, no duplicate, in order


@pytest.mark.asyncio
async def test_lean_path_one_task_per_stream_and_one_encode_per_event(
    served: tuple[HubApp, ServerThread], monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 idle streams add at most one asyncio task each (uvicorn's request cycle: no reader or
    timer tasks of ours), and one published event is encoded once for all of them."""
    from monitor.server import hub as hub_module

    app, server = served

    def task_count() -> int:
        return server.call(lambda: len(asyncio.all_tasks()))

    idle = task_count()
    streams = [await RawSSE(server.url, headers={"X-Client-Id": f"c{i}"}).open() for i in range(20)]
    try:
        for s in streams:
            assert (await s.next_event()).retry is not None  # type: ignore[union-attr]
        await until(lambda: len(app.hub) == 20, what="20 streams attached")
        extra = task_count() - idle
        assert 1 <= extra <= 20, extra
        calls: list[str] = []
        real = hub_module.encode_frame

        def counting(event: str, data: str, **kw: object) -> bytes:
            calls.append(event)
            return real(event, data, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(hub_module, "encode_frame", counting)
        publish(server, app, "tick", {"n": 1})
        for s in streams:
            ev = await s.next_event()
            assert ev is not None
            assert (ev.type, ev.json()) == ("tick", {"n": 1})
        assert calls == ["tick"]
    finally:
        for s in streams:
            await s.close()
