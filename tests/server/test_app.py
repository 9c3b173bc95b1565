"""The HTTP app end to end: real uvicorn on 127.0.0.1 (ServerThread), httpx and raw SSE clients."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from monitor.core.protocol import (
    CommandAck,
    CommandAction,
    CommandStatus,
    ErrorBody,
    Message,
    PollResponse,
    Snapshot,
    Task,
    TaskSnapshotEvent,
    TaskState,
)
from monitor.server.app import MonitorApp, create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from tests.server.sse_helpers import RawSSE, SSEEvent, until

QUIET = {"heartbeat_interval_ms": 60_000, "keepalive_interval_ms": 60_000}


def make(**kw: Any) -> tuple[MonitorApp, ServerThread]:
    app = create_app(ServerConfig(**{"db": ":memory:", **QUIET, **kw}))
    return app, ServerThread(app)


@pytest.fixture
def served(engine_settings: dict[str, Any]) -> Iterator[tuple[MonitorApp, ServerThread, httpx.Client]]:
    app, server = make(**engine_settings)  # every engine: memory, SQLite, Redis (conftest.py)
    with server, http(server.url) as client:
        yield app, server, client


def http(url: str) -> httpx.Client:
    """A sync client with TCP_NODELAY: httpx writes headers and body separately, and Nagle plus
    delayed ACKs would otherwise add 40 ms to every POST."""
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    return httpx.Client(
        base_url=url, timeout=5.0, trust_env=False, transport=httpx.HTTPTransport(socket_options=nodelay)
    )


def error_of(resp: httpx.Response) -> ErrorBody:
    return ErrorBody.model_validate(resp.json())


async def next_of(sse: RawSSE, *types: str, timeout: float = 5.0) -> SSEEvent:
    """The next event whose type is one of ``types`` (others are skipped)."""
    while True:
        ev = await sse.next_event(timeout)
        assert ev is not None, f"stream ended while waiting for {types}"
        if ev.type in types:
            return ev


def ack_of(ev: SSEEvent) -> CommandAck:
    msg = Message.model_validate_json(ev.data)
    return CommandAck.model_validate(msg.payload)


# ---------------------------------------------------------------------------- tasks & read side


@pytest.mark.asyncio
async def test_snapshot_then_stream_from_its_cursor(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    _, server, client = served
    created = client.post("/api/tasks", json={"name": "a.wav", "kind": "transcription"})
    assert created.status_code == 201
    task = Task.model_validate(created.json())
    snap = Snapshot.model_validate(client.get("/api/tasks").json())
    assert [t.id for t in snap.tasks] == [task.id]
    assert snap.cursor is not None
    assert snap.cursor.startswith(snap.epoch + "-")
    async with RawSSE(server.url, headers={"Last-Event-ID": snap.cursor}) as sse:
        assert sse.response_headers["monitor-cursor"] == snap.cursor
        second = Task.model_validate(client.post("/api/tasks", json={"name": "b.wav"}).json())
        ev = await next_of(sse, "task_created")  # a.wav's creation is not replayed again
        assert TaskSnapshotEvent.model_validate_json(ev.data).task.id == second.id


def test_task_detail_and_404(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, _, client = served
    task = client.post("/api/tasks", json={"name": "a.wav"}).json()
    client.post(f"/api/tasks/{task['id']}/events", json={"kind": "started"})
    client.post(f"/api/tasks/{task['id']}/events", json={"kind": "progress", "progress": 40.0})
    detail = client.get(f"/api/tasks/{task['id']}").json()
    assert detail["task"]["id"] == task["id"]
    assert detail["task"]["progress"] == 40.0
    types = [e["type"] for e in detail["events"]]
    assert types[0] == "task_created"
    assert "task_progress" in types
    missing = client.get("/api/tasks/nope")
    assert missing.status_code == 404
    assert "nope" in error_of(missing).error


def test_poll_fallback(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, _, client = served
    client.post("/api/tasks", json={"name": "a.wav"})
    first = client.get("/api/tasks/poll")
    assert "lastEventId" in first.json()
    page = PollResponse.model_validate(first.json())
    assert [e.type for e in page.events] == ["task_created"]
    assert page.reset is False
    empty = PollResponse.model_validate(
        client.get("/api/tasks/poll", params={"after": page.last_event_id}).json()
    )
    assert empty.events == []
    assert empty.last_event_id == page.last_event_id
    gone = PollResponse.model_validate(client.get("/api/tasks/poll", params={"after": "zz-9"}).json())
    assert gone.reset is True
    assert client.get("/api/tasks/poll", params={"limit": 0}).status_code == 422


@pytest.mark.asyncio
async def test_worker_reports_reach_the_stream(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, server, client = served
    async with RawSSE(server.url) as sse:
        task = client.post("/api/tasks", json={"name": "a.wav"}).json()
        tid = task["id"]
        assert client.post(f"/api/tasks/{tid}/events", json={"kind": "started"}).json()["state"] == "running"
        client.post(f"/api/tasks/{tid}/events", json={"kind": "progress", "progress": 55.5, "stage": "x"})
        done = client.post(f"/api/tasks/{tid}/events", json={"kind": "completed", "result": {"words": 3}})
        assert done.json()["state"] == "completed"
        prog = await next_of(sse, "task_progress")
        assert json.loads(prog.data)["progress"] == 55.5
        complete = await next_of(sse, "task_complete")
        assert TaskSnapshotEvent.model_validate_json(complete.data).task.result == {"words": 3}
    bad = client.post(f"/api/tasks/{tid}/events", json={"kind": "started"})
    assert bad.status_code == 409
    assert client.post("/api/tasks", json={"id": tid, "name": "again.wav"}).status_code == 409  # duplicate id
    assert client.post("/api/tasks/nope/events", json={"kind": "started"}).status_code == 404


# ---------------------------------------------------------------------------- commands


@pytest.mark.asyncio
async def test_command_lifecycle_with_acks(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, server, client = served
    hdr = {"X-Client-Id": "ctl"}
    async with (
        RawSSE(server.url, headers=hdr) as sse,
        RawSSE(server.url, headers={"X-Client-Id": "other"}) as spy,
    ):
        tid = client.post("/api/tasks", json={"name": "a.wav"}).json()["id"]
        client.post(f"/api/tasks/{tid}/events", json={"kind": "started"})

        async def command(action: str, expect: CommandStatus, state: TaskState | None) -> CommandAck:
            resp = client.post("/api/commands", json={"action": action, "taskId": tid}, headers=hdr)
            assert resp.status_code == 202
            body = resp.json()
            assert body["status"] == "accepted"
            first = ack_of(await next_of(sse, "ack"))
            assert (first.command_id, first.status) == (body["commandId"], CommandStatus.ACCEPTED)
            final = ack_of(await next_of(sse, "ack"))
            assert final.command_id == body["commandId"]
            assert final.status == expect, final
            if state is not None:
                assert Task.model_validate(client.get(f"/api/tasks/{tid}").json()["task"]).state == state
            return final

        await command("pause", CommandStatus.SUCCEEDED, TaskState.PAUSED)
        await command("resume", CommandStatus.SUCCEEDED, None)
        assert client.get(f"/api/tasks/{tid}").json()["task"]["state"] in ("queued", "running")
        await command("cancel", CommandStatus.SUCCEEDED, None)
        client.post(f"/api/tasks/{tid}/events", json={"kind": "cancelled"})
        bad = await command("pause", CommandStatus.REJECTED, TaskState.CANCELLED)  # invalid transition
        assert bad.success is False
        assert bad.error
        await command("retry", CommandStatus.SUCCEEDED, TaskState.QUEUED)
        assert client.get(f"/api/tasks/{tid}").json()["task"]["attempt"] == 2
        # acks are addressed: the other client saw task events but no ack
        ev = await next_of(spy, "task_updated", "ack")
        assert ev.type == "task_updated"


@pytest.mark.asyncio
async def test_seed004_command_envelope_and_ack_survives_reconnect(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    _, server, client = served
    tid = client.post("/api/tasks", json={"name": "a.wav"}).json()["id"]
    cursor = client.get("/api/tasks").json()["cursor"]
    envelope = {
        "id": "m-1",
        "type": "command",
        "priority": 2,
        "timestamp": 1,
        "source": "desk-1",
        "payload": {"commandId": "c-42", "action": "query", "taskId": tid, "params": {}, "requireAck": True},
    }
    resp = client.post("/api/commands", json=envelope)
    assert resp.status_code == 202
    assert resp.json() == {"commandId": "c-42", "status": "accepted"}
    # not connected while the acks were published: they are replayed on connect, to desk-1 only
    async with RawSSE(server.url, headers={"X-Client-Id": "desk-1", "Last-Event-ID": cursor}) as sse:
        acks = [ack_of(await next_of(sse, "ack")) for _ in range(2)]
    assert [a.status for a in acks] == [CommandStatus.ACCEPTED, CommandStatus.SUCCEEDED]
    assert all(a.command_id == "c-42" for a in acks)
    assert Task.model_validate(acks[1].result).id == tid  # query answers with the task
    async with RawSSE(server.url, headers={"X-Client-Id": "desk-2", "Last-Event-ID": cursor}) as other:
        server.call(lambda: None)
        client.post("/api/messages", json={"type": "system", "payload": "marker"})
        assert (await next_of(other, "ack", "system")).type == "system"


@pytest.mark.asyncio
async def test_command_timeout_and_handler_retry(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    app, server, client = served
    calls: list[int] = []

    async def flaky(record: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("transient")
        return {"ran": len(calls)}

    async def stuck(record: Any) -> Any:
        import asyncio

        await asyncio.Event().wait()  # never finishes: the scheduler must time it out

    server.call(app.scheduler.register_handler, CommandAction.EXECUTE, stuck)
    hdr = {"X-Client-Id": "ctl"}
    async with RawSSE(server.url, headers=hdr) as sse:
        r = client.post(
            "/api/commands", json={"action": "execute", "timeout": 200, "params": {"job": "x"}}, headers=hdr
        )
        assert r.status_code == 202
        acks = [ack_of(await next_of(sse, "ack")) for _ in range(2)]
        assert acks[-1].status == CommandStatus.TIMED_OUT
        server.call(app.scheduler.register_handler, CommandAction.EXECUTE, flaky)
        r = client.post("/api/commands", json={"action": "execute", "timeout": 5000}, headers=hdr)
        final = None
        while final is None or not final.status.is_final:
            final = ack_of(await next_of(sse, "ack"))
        assert final.status == CommandStatus.SUCCEEDED
        assert final.result == {"ran": 2}
        assert len(calls) == 2


def test_command_bad_input(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, _, client = served
    assert client.post("/api/commands", json={"action": "explode"}).status_code == 422
    assert client.post("/api/commands", json={"type": "command", "payload": 3}).status_code == 422
    r = client.post("/api/commands", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "malformed JSON" in error_of(r).error


# ---------------------------------------------------------------------------- idempotency


def test_idempotent_post_runs_once(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    app, _, client = served
    hdr = {"Idempotency-Key": "k-1", "X-Client-Id": "c"}
    first = client.post("/api/tasks", json={"name": "a.wav"}, headers=hdr)
    again = client.post("/api/tasks", json={"name": "a.wav"}, headers=hdr)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(client.get("/api/tasks").json()["tasks"]) == 1
    other_client = client.post("/api/tasks", json={"name": "a.wav"}, headers={**hdr, "X-Client-Id": "d"})
    assert other_client.json()["id"] != first.json()["id"]  # keys are scoped per client
    assert app.hub.metrics.idempotent_replays_total == 1


# ---------------------------------------------------------------------------- auth & limits


@pytest.mark.asyncio
async def test_auth_401_and_open_healthz() -> None:
    _, server = make(tokens=["s3cret", "other"])
    with server:
        async with httpx.AsyncClient(base_url=server.url, timeout=5.0, trust_env=False) as client:
            assert (await client.get("/healthz")).status_code == 200
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic s3cret"}):
                r = await client.get("/api/tasks", headers=headers)
                assert r.status_code == 401
                assert r.headers["www-authenticate"].startswith("Bearer")
                assert error_of(r).error
            ok = await client.get("/api/tasks", headers={"Authorization": "Bearer s3cret"})
            assert ok.status_code == 200
            query = await client.get("/api/tasks", params={"access_token": "s3cret"})
            assert query.status_code == 401  # query tokens are not enabled
        async with RawSSE(server.url) as sse:
            assert sse.status == 401
        async with RawSSE(server.url, headers={"Authorization": "Bearer other"}) as sse:
            assert sse.status == 200


@pytest.mark.asyncio
async def test_query_token_when_enabled_is_scrubbed() -> None:
    app, server = make(tokens=["s3cret"], allow_query_token=True)
    seen: list[bytes] = []
    inner = app.api

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope["query_string"])
        await inner(scope, receive, send)

    app.api = spy  # type: ignore[assignment]
    with server:
        async with httpx.AsyncClient(base_url=server.url, timeout=5.0, trust_env=False) as client:
            good = await client.get("/api/tasks", params={"access_token": "s3cret", "x": "1"})
            assert good.status_code == 200
            assert (await client.get("/api/tasks", params={"access_token": "bad"})).status_code == 401
        async with RawSSE(server.url, path="/api/tasks/stream?access_token=s3cret") as sse:
            assert sse.status == 200
    assert seen
    assert all(b"s3cret" not in q for q in seen)


def test_body_limit_413(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    app, _, client = served
    big = b'{"name":"' + b"x" * (app.config.max_body_bytes + 10) + b'"}'
    r = client.post("/api/tasks", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "larger than" in error_of(r).error

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        for _ in range(40):
            yield b"x" * 32768

    r = client.post("/api/tasks", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.asyncio
async def test_max_connections_503() -> None:
    _, server = make(max_connections=1)
    with server:
        async with RawSSE(server.url) as a, RawSSE(server.url) as b:
            assert a.status == 200
            assert b.status == 503
            assert "retry-after" in b.response_headers


# ---------------------------------------------------------------------------- bad input


def test_malformed_and_wrong_types_get_clear_4xx(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    _, _, client = served
    r = client.post("/api/tasks", content=b'{"name": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert error_of(r).error == "malformed JSON body"
    r = client.post("/api/tasks", json={"name": 5})
    assert r.status_code == 422
    body = error_of(r)
    assert "name" in body.error
    assert isinstance(body.detail, list)
    assert client.post("/api/tasks", json={"name": "a", "extra": 1}).status_code == 422
    assert client.post("/api/tasks", json=[1, 2]).status_code == 422
    r = client.get("/no/such/route")
    assert r.status_code == 404
    assert error_of(r).error == "not found"
    assert client.put("/api/tasks").status_code == 405


def test_fuzz_garbage_bodies_never_500(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, _, client = served
    tid = client.post("/api/tasks", json={"name": "a.wav"}).json()["id"]
    rng = random.Random(1234)
    atoms: list[Any] = [
        None,
        True,
        0,
        -1,
        1e308,
        "",
        "x" * 300,
        [],
        {},
        {"a": [1, {"b": None}]},
        "\u0000",
        3.5,
    ]
    keys = [
        "name",
        "kind",
        "id",
        "action",
        "taskId",
        "progress",
        "type",
        "payload",
        "message",
        "target",
        "timeout",
    ]
    paths = [
        "/api/tasks",
        f"/api/tasks/{tid}/events",
        "/api/commands",
        "/api/messages",
        "/api/broadcast",
        "/api/direct/nobody",
    ]
    for i in range(150):
        path = rng.choice(paths)
        mode = i % 3
        if mode == 0:
            content = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
        elif mode == 1:
            content = json.dumps(rng.choice(atoms)).encode()
        else:
            obj = {rng.choice(keys): rng.choice(atoms) for _ in range(rng.randint(1, 4))}
            content = json.dumps(obj).encode()
        r = client.post(path, content=content, headers={"content-type": "application/json"})
        assert r.status_code < 500, (path, content, r.text)
        if r.status_code >= 400:
            assert error_of(r).error


# ---------------------------------------------------------------------------- messages & ops


@pytest.mark.asyncio
async def test_messages_direct_broadcast_and_connections(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    _, server, client = served
    assert client.post("/api/direct/ghost", json={"payload": "hi"}).status_code == 404
    assert client.post("/api/messages", json={"target": "ghost", "payload": "hi"}).status_code == 404
    async with (
        RawSSE(server.url, headers={"X-Client-Id": "a"}) as a,
        RawSSE(server.url, path="/sse?clientId=b") as b,
    ):
        conns = client.get("/api/connections").json()
        assert sorted(c["clientId"] for c in conns) == ["a", "b"]
        assert {"connectionId", "createdAt", "lastActiveAt", "uptime", "cursor"} <= conns[0].keys()
        r = client.post("/api/direct/a", json={"type": "json", "payload": {"n": 1}})
        assert r.status_code == 200
        ev = await next_of(a, "json")
        msg = Message.model_validate_json(ev.data)
        assert (msg.target, msg.payload, msg.source) == ("a", {"n": 1}, "server")
        assert ev.id == r.json()["eventId"]
        r = client.post(
            "/api/broadcast", json={"message": {"type": "system", "payload": "x"}, "excludeClientId": "a"}
        )
        assert r.json()["sentCount"] == 1
        assert Message.model_validate_json((await next_of(b, "system")).data).payload == "x"
        once = {"id": "m-1", "type": "text", "payload": "once"}
        first = client.post("/api/messages", json=once).json()
        assert client.post("/api/messages", json=once).json() == first  # same id: delivered once
        ev_a = await next_of(a, "text", "system")
        assert (ev_a.type, ev_a.id) == ("text", first["eventId"])  # a was excluded from the broadcast
        assert client.post("/api/messages", json={"type": "heartbeat"}).status_code == 422


def test_metrics_healthz_openapi(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, _, client = served
    client.post("/api/tasks", json={"name": "a.wav"})
    text = client.get("/metrics").text
    for name in (
        "monitor_connections ",
        "monitor_events_published_total 1",
        "monitor_replays_total",
        "monitor_resets_total",
        "monitor_slow_consumer_drops_total",
        "monitor_heartbeats_total",
    ):
        assert name in text
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert {"/api/tasks", "/api/commands", "/api/tasks/stream", "/api/tasks/poll"} <= spec["paths"].keys()


@pytest.mark.asyncio
async def test_stop_with_open_streams_is_prompt() -> None:
    import asyncio

    _, server = make(drain_timeout_s=2.0)
    server.start()
    sse = await RawSSE(server.url).open()
    try:
        await sse.next_event()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        stopping = loop.run_in_executor(None, server.stop)
        assert (await next_of(sse, "shutdown")).retry is not None
        await stopping
        assert loop.time() - t0 < 2.0
    finally:
        await sse.close()


@pytest.mark.asyncio
async def test_demo_mode_produces_live_task_events() -> None:
    _, server = make(demo=True, demo_speed=200.0)
    with server:
        async with RawSSE(server.url) as sse:
            created = await next_of(sse, "task_created", timeout=10)
            task = TaskSnapshotEvent.model_validate_json(created.data).task
            ev = await next_of(
                sse, "task_progress", "task_updated", "task_complete", "task_failed", timeout=10
            )
            assert ev.id is not None
        assert task.name


@pytest.mark.asyncio
async def test_cors_allowlist_and_stream_behind_middleware() -> None:
    app, server = make(cors_origins=["https://ok.example"])
    with server, http(server.url) as client:
        pre = client.options(
            "/api/commands",
            headers={"Origin": "https://ok.example", "Access-Control-Request-Method": "POST"},
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://ok.example"
        bad = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in bad.headers
        # Behind the CORS middleware the stream uses the portable disconnect watcher.
        sse = await RawSSE(server.url, headers={"Origin": "https://ok.example"}).open()
        assert sse.response_headers["access-control-allow-origin"] == "https://ok.example"
        assert "monitor-cursor" in sse.response_headers["access-control-expose-headers"].lower()
        await sse.next_event()
        client.post("/api/messages", json={"type": "text", "payload": "hi"})
        assert (await next_of(sse, "text")).json()["payload"] == "hi"
        await sse.close()
        await until(lambda: len(app.hub) == 0, what="stream detached without any write")


@pytest.mark.asyncio
async def test_racing_duplicates_with_one_key_execute_once() -> None:
    import asyncio

    app, server = make()
    with server:
        async with httpx.AsyncClient(base_url=server.url, timeout=5.0, trust_env=False) as client:
            hdr = {"Idempotency-Key": "race"}
            answers = await asyncio.gather(
                *(client.post("/api/tasks", json={"name": "r.wav"}, headers=hdr) for _ in range(8))
            )
            assert {r.status_code for r in answers} == {201}
            assert len({r.json()["id"] for r in answers}) == 1
            assert len((await client.get("/api/tasks")).json()["tasks"]) == 1
    assert app.hub.metrics.idempotent_replays_total == 7


@pytest.mark.asyncio
@pytest.mark.skipif(not hasattr(socket, "TCP_USER_TIMEOUT"), reason="TCP_USER_TIMEOUT is Linux-only")
async def test_stream_sockets_get_tcp_user_timeout() -> None:
    _, server = make(tcp_user_timeout_ms=30_000)
    with server:
        async with RawSSE(server.url) as sse:
            await sse.next_event()

            def option_values() -> list[int]:
                # uvicorn's live protocol objects: the only place the server-side socket is visible.
                out = []
                for proto in server.server.server_state.connections:
                    sock = proto.transport.get_extra_info("socket")  # type: ignore[attr-defined]
                    out.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT))
                return out

            assert server.call(option_values) == [30_000]


@pytest.mark.asyncio
async def test_delete_task(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    _, server, client = served
    tid = client.post("/api/tasks", json={"name": "a.wav"}).json()["id"]
    async with RawSSE(server.url) as sse:
        assert client.delete(f"/api/tasks/{tid}").status_code == 204
        removed = await next_of(sse, "task_removed")
        # The task in ``jobId``; ``id`` is the event's own id (seed 000's client dedups on it).
        assert json.loads(removed.data) == {"id": removed.id, "jobId": tid}
    assert client.delete(f"/api/tasks/{tid}").status_code == 404
    assert client.get("/api/tasks").json()["tasks"] == []


@pytest.mark.asyncio
async def test_command_status_and_cancel_of_pending_and_running_over_http() -> None:
    """``GET``/``DELETE /api/commands/{id}``: one slot, so the second command waits; both cancel."""
    import threading

    app, server = make(command_max_concurrent=1)
    started = threading.Event()
    stopped = threading.Event()

    async def stuck(record: Any) -> Any:
        import asyncio

        started.set()
        try:
            await asyncio.Event().wait()  # runs until cancelled
        finally:
            stopped.set()  # the handler really stopped, not just its ack

    hdr = {"X-Client-Id": "ctl"}
    with server, http(server.url) as client:
        server.call(app.scheduler.register_handler, CommandAction.EXECUTE, stuck)
        async with RawSSE(server.url, headers=hdr) as sse:
            running = client.post("/api/commands", json={"action": "execute"}, headers=hdr).json()
            pending = client.post("/api/commands", json={"action": "execute"}, headers=hdr).json()
            assert started.wait(5)
            run_id, pend_id = running["commandId"], pending["commandId"]
            assert client.get(f"/api/commands/{run_id}").json()["status"] == "running"
            assert client.get(f"/api/commands/{pend_id}").json()["status"] == "accepted"

            r = client.delete(f"/api/commands/{pend_id}")
            assert r.status_code == 200
            assert r.json()["status"] == "cancelled"
            assert not stopped.is_set()  # cancelling the pending one left the running one alone
            r = client.delete(f"/api/commands/{run_id}")
            assert (r.status_code, r.json()["status"]) == (200, "cancelled")
            assert stopped.is_set()  # answered only after the handler was really cancelled

            finals = {}
            while len(finals) < 2:
                ack = ack_of(await next_of(sse, "ack"))
                if ack.status.is_final:
                    finals[ack.command_id] = ack.status
            assert finals == {run_id: CommandStatus.CANCELLED, pend_id: CommandStatus.CANCELLED}

        again = client.delete(f"/api/commands/{run_id}")
        assert again.status_code == 409
        assert "already cancelled" in error_of(again).error
        assert client.get(f"/api/commands/{run_id}").json()["attempt"] == 1
        assert client.get("/api/commands/nope").status_code == 404
        assert client.delete("/api/commands/nope").status_code == 404


def test_chunked_body_over_the_limit_is_413(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    """No Content-Length (chunked upload): the server counts what arrives and stops at the limit."""
    app, _, client = served
    limit = app.config.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"name":"'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    r = client.post("/api/tasks", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert str(limit) in error_of(r).error
    assert client.get("/api/tasks").json()["tasks"] == []  # nothing was created
    assert client.get("/healthz").status_code == 200  # and the server is fine


@pytest.mark.asyncio
async def test_fuzz_bad_cursors_ids_and_queries_never_500(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    """Garbage in every GET/DELETE parameter and stream header: 2xx/4xx, never 5xx, server alive."""
    _, server, client = served
    rng = random.Random(99)
    junk = [
        "",
        "-",
        "-1",
        "0",
        "1e309",
        "x" * 5000,
        "%00",
        "%ZZ",
        "deadbeef-99999999999999999999",
        "../../etc/passwd",
        "\u202e\u00e9",
        "a b",
        "'; DROP TABLE events;--",
    ]
    for i in range(120):
        value = rng.choice(junk)
        quoted = httpx.URL("http://x/").copy_with(path="/" + value.replace("/", "%2F")).raw_path.decode()
        kind = i % 6
        if kind == 0:
            r = client.get("/api/tasks/poll", params={"after": value, "limit": rng.choice(junk)})
        elif kind == 1:
            r = client.get("/api/tasks/poll", params={"after": value})
        elif kind == 2:
            r = client.get(f"/api/tasks{quoted}")
        elif kind == 3:
            r = client.get(f"/api/commands{quoted}")
        elif kind == 4:
            r = client.delete(f"/api/commands{quoted}")
        else:
            r = client.get("/api/tasks/poll", params={"after": value, "clientId": value})
        assert r.status_code < 500, (kind, value, r.text)
        if r.status_code >= 400:
            assert error_of(r).error
    # The stream: bad cursors get a reset (never an error), bad client ids a clear 400.
    for value in ["x" * 5000, "deadbeef-1", "-", "\u00e9\u00e9", "1-2-3", "earliest-"]:
        safe = value.encode("utf-8").decode("latin-1")  # what a raw client puts on the wire
        async with RawSSE(server.url, headers={"Last-Event-ID": safe}) as sse:
            assert sse.status == 200
            assert (await next_of(sse, "reset")).type == "reset"
    for value in ["a b", "x" * 200, "é", "<script>"]:
        path = "/sse?clientId=" + httpx.URL("http://x/", params={"c": value}).query.decode()[2:]
        async with RawSSE(server.url, path=path) as sse:
            assert sse.status == 400
    assert client.get("/healthz").status_code == 200


def test_cors_is_off_by_default(served: tuple[MonitorApp, ServerThread, httpx.Client]) -> None:
    """Without an allowlist no response carries CORS headers, so browsers block other origins."""
    _, _, client = served
    origin = {"Origin": "https://evil.example"}
    plain = client.get("/api/tasks", headers=origin)
    assert plain.status_code == 200
    assert not any(h.startswith("access-control-") for h in plain.headers)
    pre = client.options("/api/commands", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 405
    assert not any(h.startswith("access-control-") for h in pre.headers)


@pytest.mark.asyncio
async def test_stalled_request_body_gets_408_and_frees_the_server() -> None:
    """A client that declares a body and never sends it (slowloris) is answered 408 and closed."""
    import asyncio

    app, server = make(body_timeout_s=0.3)
    with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            writer.write(
                b"POST /api/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"na'
            )
            await writer.drain()
            async with asyncio.timeout(5):
                raw = await reader.read()  # until the server closes the connection
        finally:
            writer.close()
            await writer.wait_closed()
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408")
        assert "not received within 0.3 s" in ErrorBody.model_validate_json(body).error
        assert app.hub.metrics.body_timeouts_total == 1
        with http(server.url) as client:
            assert "monitor_body_timeouts_total 1" in client.get("/metrics").text
            assert client.get("/api/tasks").json()["tasks"] == []


@pytest.mark.asyncio
async def test_cancel_of_a_handler_that_ignores_cancellation_does_not_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``DELETE`` answers ``202`` after ``CANCEL_WAIT_S``; the run keeps its real outcome."""
    import asyncio
    import threading

    from monitor.server import app as app_module

    monkeypatch.setattr(app_module, "CANCEL_WAIT_S", 0.2)
    app, server = make()
    release = asyncio.Event()  # set from the server's loop via server.call
    started = threading.Event()

    async def stubborn(record: Any) -> Any:
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            await release.wait()  # a badly behaved handler: swallows its cancellation
        return "finished anyway"

    hdr = {"X-Client-Id": "ctl"}
    with server, http(server.url) as client:
        server.call(app.scheduler.register_handler, CommandAction.EXECUTE, stubborn)
        async with RawSSE(server.url, headers=hdr) as sse:
            cid = client.post("/api/commands", json={"action": "execute"}, headers=hdr).json()["commandId"]
            assert started.wait(5)
            r = client.delete(f"/api/commands/{cid}")
            assert (r.status_code, r.json()["status"]) == (202, "running")
            server.call(release.set)
            final = None
            while final is None or not final.status.is_final:
                final = ack_of(await next_of(sse, "ack"))
            assert (final.command_id, final.status) == (cid, CommandStatus.SUCCEEDED)
            assert final.result == "finished anyway"
        assert client.get(f"/api/commands/{cid}").json()["status"] == "succeeded"
