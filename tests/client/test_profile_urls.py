"""The URL is the user's: stream, poll, snapshot and command URLs keep path prefix and query.

Each test runs against a loopback server that logs the request target exactly as received.
"""

from __future__ import annotations

import asyncio

import pytest

from monitor.client.config import ClientConfig
from monitor.client.discovery import discover_capabilities
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.connection import ConnectionState
from monitor.core.profile import ConnectionProfile, ResumeMode, merge_query
from tests.client.rawhttp import RawServer, response, stream
from tests.waiting import until

_JSON = {"Content-Type": "application/json"}


def _config(url: str, **profile: object) -> ClientConfig:
    return ClientConfig(
        profile=ConnectionProfile.model_validate(
            {"stream_url": url, "reconnect": {"jitter": 0.0, "reconnect_interval_ms": 250}, **profile}
        )
    )


def test_merge_query_keeps_the_users_parameters() -> None:
    assert merge_query("http://h/sse?clientId=me&token=t", {"lastEventId": "7"}) == (
        "http://h/sse?clientId=me&token=t&lastEventId=7"
    )
    # A stale cursor typed into the URL is replaced by the current one, other parameters kept.
    assert merge_query("http://h/s?lastEventId=1&a=b", {"lastEventId": "9"}) == "http://h/s?a=b&lastEventId=9"
    assert merge_query("http://h/s?x=1", {}) == "http://h/s?x=1"


def test_derived_urls_keep_prefix_and_query() -> None:
    p = ConnectionProfile(stream_url="http://h/monitor/api/tasks/stream?topic=x#frag")
    assert p.stream_url == "http://h/monitor/api/tasks/stream?topic=x"
    assert p.resolved_snapshot_url == "http://h/monitor/api/tasks?topic=x"
    assert p.resolved_poll_url == "http://h/monitor/api/tasks/poll?topic=x"
    assert p.resolved_commands_url == "http://h/monitor/api/commands?topic=x"
    seed000 = ConnectionProfile(stream_url="http://h:1/stream")
    assert seed000.resolved_poll_url == "http://h:1/poll"
    over = ConnectionProfile(stream_url="http://h/sse?c=1", api_base="http://h/v2", poll_url="http://p/q?z=1")
    assert over.resolved_poll_url == "http://p/q?z=1"
    assert over.resolved_commands_url == "http://h/v2/commands"


@pytest.mark.asyncio
async def test_stream_url_exactly_as_given_on_every_request_and_reconnect() -> None:
    async with RawServer() as srv:
        srv.script(
            "/monitor/sse",
            stream(b"id: 1\ndata: a\n\n"),
            stream(b"id: 2\ndata: b\n\n", stall=asyncio.Event()),
        )
        engine = StreamEngine(
            _config(srv.url + "/monitor/sse?clientId=me&token=t#frag", resume=ResumeMode.HEADER_AND_QUERY),
            fetch_snapshot=False,
        )
        got: list[IncomingEvent] = []
        engine.on_event(got.append)
        await engine.start()
        try:
            await until(lambda: len(got) == 2)
            targets = [r.target for r in srv.requests]
            assert targets == [
                "/monitor/sse?clientId=me&token=t",
                "/monitor/sse?clientId=me&token=t&lastEventId=1",
            ]
            assert srv.requests[1].headers["last-event-id"] == "1"
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_poll_url_keeps_prefix_and_query_and_sends_both_cursors() -> None:
    poll = b'{"events":[{"id":1,"type":"task_progress","data":{"x":1}}],"lastEventId":1}'
    async with RawServer() as srv:
        srv.script("/p/api/tasks/stream", response(404, b"no stream here"))
        srv.script("/p/api/tasks/poll", response(200, poll, _JSON))
        cfg = _config(
            srv.url + "/p/api/tasks/stream?topic=x",
            reconnect={"polling_interval_ms": 50, "probe_interval_ms": 60_000},
        )
        engine = StreamEngine(cfg, fetch_snapshot=False)
        got: list[IncomingEvent] = []
        engine.on_event(got.append)
        await engine.start()
        try:
            await until(lambda: len([r for r in srv.requests if r.path.endswith("/poll")]) >= 3)
            polls = [r for r in srv.requests if r.path.endswith("/poll")]
            assert polls[0].target == "/p/api/tasks/poll?topic=x"
            assert polls[1].target == "/p/api/tasks/poll?topic=x&lastEventId=1&after=1"
            assert polls[1].headers["last-event-id"] == "1"
            assert [e.id for e in got] == ["1"]  # integer id accepted, the repeat deduplicated
            assert engine.status.state is ConnectionState.POLLING
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_snapshot_url_keeps_prefix_and_query() -> None:
    async with RawServer() as srv:
        srv.script("/p/api/tasks", response(200, b'{"tasks": [], "cursor": null, "epoch": "e"}', _JSON))
        srv.script("/p/api/tasks/stream", stream(stall=asyncio.Event()))
        engine = StreamEngine(_config(srv.url + "/p/api/tasks/stream?topic=x"))
        await engine.start()
        try:
            await until(lambda: engine.status.state is ConnectionState.CONNECTED)
            assert srv.requests[0].target == "/p/api/tasks?topic=x"
            assert srv.requests[1].target == "/p/api/tasks/stream?topic=x"
        finally:
            await engine.aclose()


@pytest.mark.asyncio
async def test_commands_url_and_capabilities() -> None:
    async with RawServer() as srv:
        srv.script("/p/api/tasks", response(200, b"{}", _JSON))
        srv.script("/p/api/commands", response(405, b"method not allowed"))
        caps = await discover_capabilities(_config(srv.url + "/p/api/tasks/stream?topic=x"), timeout=2)
        targets = sorted(r.target for r in srv.requests)
        assert targets == ["/p/api/commands?topic=x", "/p/api/tasks/poll?topic=x", "/p/api/tasks?topic=x"]
        assert (caps.snapshot, caps.poll, caps.commands) == (True, False, True)
        assert caps.reason("poll") == f"GET {srv.url}/p/api/tasks/poll?topic=x: HTTP 404"
        assert caps.reason("snapshot") == ""


@pytest.mark.asyncio
async def test_no_answer_is_not_a_missing_endpoint() -> None:
    # A probe cut off by the network (or a 5xx) says nothing about the endpoint: counting it as
    # missing would disable Cancel/Pause for the whole connection after one blip.
    async with RawServer() as srv:
        srv.script("/api/tasks", response(503, b"restarting"))
        srv.script("/api/commands", response(404, b"no"))
        dead = srv.url  # after the block the port refuses connections
        caps = await discover_capabilities(_config(srv.url + "/api/tasks/stream"), timeout=2)
        assert (caps.snapshot, caps.commands) == (True, False)  # 503 unknown, 404 absent
    caps = await discover_capabilities(_config(dead + "/api/tasks/stream"), timeout=2)
    assert (caps.snapshot, caps.poll, caps.commands, caps.reasons) == (True, True, True, ())


@pytest.mark.asyncio
async def test_token_in_query_only_on_opt_in_with_a_warning() -> None:
    async with RawServer() as srv:
        srv.script("/sse", stream(stall=asyncio.Event()))
        plain = _config(srv.url + "/sse")
        assert plain.profile.warnings() == []
        cfg = ClientConfig(profile=plain.profile.model_copy(update={"token_in_query": True}), auth_token="s3")
        assert "token" in cfg.profile.warnings()[0]
        engine = StreamEngine(cfg, fetch_snapshot=False)
        await engine.start()
        try:
            await until(lambda: srv.requests)
            req = srv.requests[0]
            assert req.target == f"/sse?clientId={cfg.client_id}&token=s3"
            assert req.headers["authorization"] == "Bearer s3"
        finally:
            await engine.aclose()
