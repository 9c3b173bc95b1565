"""Hostile streams (issue 13): compression bombs, deep JSON, huge ``retry:`` values.

Each test runs the real engine with real httpx against a raw loopback server (``rawhttp``) that
sends what a hostile or broken server would.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import pytest
import pytest_asyncio

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.backoff import ReconnectPolicy
from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind
from monitor.core.news import NewsError, TaskPatch, decode_news, decode_news_batch
from monitor.core.protocol import TASK_EVENT_TYPES
from monitor.core.sse import MAX_RETRY_MS, SSEDecoder
from tests.client.rawhttp import RawServer, stream
from tests.waiting import until

_MIB = 1 << 20


def _config(srv: RawServer, **kw: object) -> ClientConfig:
    base: dict[str, object] = {
        "url": srv.url + "/api/tasks/stream",
        "jitter": 0.0,
        "reconnect_interval": 250,
        "reconnect": False,  # one connection: the test sees how it ended
    }
    base.update(kw)
    return ClientConfig.model_validate(base)


def _compressed(parts: list[tuple[bytes, int]], wbits: int = 31) -> bytes:
    """gzip (wbits 31), zlib (15) or raw deflate (-15) of each ``block`` repeated ``times``."""
    co = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = [co.compress(block) for block, times in parts for _ in range(times)]
    out.append(co.flush())
    return b"".join(out)


class _Run:
    def __init__(self, engine: StreamEngine) -> None:
        self.engine = engine
        self.events: list[IncomingEvent] = []
        self.statuses: list[ConnectionStatus] = []
        self.errors: list[str] = []
        engine.on_event(self.events.append)
        engine.on_status(self.statuses.append)
        engine.on_error(self.errors.append)

    @property
    def ended(self) -> ConnectionStatus | None:
        last = self.statuses[-1] if self.statuses else None
        return last if last is not None and last.state is ConnectionState.DISCONNECTED else None


@pytest_asyncio.fixture(autouse=True)
async def _finalise_abandoned_generators() -> AsyncIterator[None]:
    """After each test, inside its loop: let httpx's abandoned body iterators finish closing.

    A read cut short leaves httpx's nested body iterators (async generators, five levels)
    half-way; closing the outer one drops the next, whose finaliser schedules its ``aclose()``
    as a task one loop turn later, and so on down the chain. The leak check would count the
    chain's tail if the loop closed in between: here it runs out first (three quiet turns).
    """
    yield
    gc.collect()
    this = asyncio.current_task()
    quiet = 0
    while quiet < 3:
        await asyncio.sleep(0)  # a turn of the loop: the finaliser's call_soon creates its task
        others = [t for t in asyncio.all_tasks() if t is not this]
        quiet = 0 if others else quiet + 1
        await asyncio.gather(*others)


async def _start(cfg: ClientConfig, on_batch: Callable[[list[IncomingEvent]], object] | None = None) -> _Run:
    engine = StreamEngine(cfg, fetch_snapshot=False)
    run = _Run(engine)
    if on_batch is not None:
        engine.on_batch(on_batch)
    await engine.start()
    return run


@contextmanager
def _peak_memory() -> Iterator[list[int]]:
    """Traced Python allocations: the peak above the start, in bytes (appended on exit)."""
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    out: list[int] = []
    try:
        yield out
    finally:
        out.append(tracemalloc.get_traced_memory()[1] - start)
        tracemalloc.stop()


# ---------------------------------------------------------------------------- 1. compression


@pytest.mark.asyncio
async def test_gzip_bomb_of_one_endless_line_is_a_protocol_failure_in_bounded_memory() -> None:
    # 128 MiB of one line in about 130 KB of gzip: httpx used to inflate each 64 KiB read into
    # one 64 MiB piece before the decoder's 1 MiB line cap could say no.
    bomb = _compressed([(b"a" * _MIB, 128)])
    assert len(bomb) < 200_000
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(bomb, headers={"Content-Encoding": "gzip"}))
        with _peak_memory() as peak:
            run = await _start(_config(srv))
            try:
                await until(lambda: run.ended is not None, 20, "the stream to end")
            finally:
                await run.engine.aclose()
        ended = run.ended
        assert ended is not None
        assert ended.failure is FailureKind.PROTOCOL
        assert "exceeds the limit" in ended.reason
        assert run.engine.stats().parse_errors == 1
        assert peak[0] < 16 * _MIB, f"peak {peak[0] / _MIB:.1f} MiB"
        assert srv.requests[0].headers["accept-encoding"] == "identity"


@pytest.mark.asyncio
async def test_gzip_bomb_of_newlines_is_processed_in_bounded_memory() -> None:
    # 1 MiB of blank lines (1 KB of gzip), then one real event: every line is read, nothing
    # grows, and the event after the bomb arrives.
    bomb = _compressed([(b"\n" * _MIB, 1), (b"id: 7\ndata: after the bomb\n\n", 1)])
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(bomb, headers={"Content-Encoding": "gzip"}))
        with _peak_memory() as peak:
            run = await _start(_config(srv))
            try:
                await until(lambda: run.ended is not None, 60, "the stream to end")
            finally:
                await run.engine.aclose()
        assert [(e.id, e.data) for e in run.events] == [("7", "after the bomb")]
        assert run.engine.stats().parse_errors == 0
        assert peak[0] < 32 * _MIB, f"peak {peak[0] / _MIB:.1f} MiB"


@pytest.mark.parametrize(
    ("coding", "wbits"),
    [("gzip", 31), ("x-gzip", 31), ("deflate", 15), ("deflate", -15), ("GZip, identity", 31)],
)
@pytest.mark.asyncio
async def test_compressed_stream_delivers_every_event(coding: str, wbits: int) -> None:
    body = _compressed([(b"id: %d\ndata: event %d\n\n" % (i, i), 1) for i in range(1, 501)], wbits)
    # Cut into small writes so that pieces of the compressed data arrive in separate reads.
    chunks = [body[i : i + 97] for i in range(0, len(body), 97)]
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(*chunks, headers={"Content-Encoding": coding}))
        run = await _start(_config(srv))
        try:
            await until(lambda: run.ended is not None, 10, "the stream to end")
        finally:
            await run.engine.aclose()
        assert [e.data for e in run.events] == [f"event {i}" for i in range(1, 501)]
        assert run.ended is not None
        assert run.ended.failure is FailureKind.NONE


@pytest.mark.parametrize(
    ("coding", "body", "reason"),
    [
        ("br", b"\x0b\x02\x80data: x\n\n\x03", "unsupported content encoding 'br'"),
        ("gzip", b"id: 1\ndata: not gzip at all\n\n", "corrupt gzip body"),
    ],
)
@pytest.mark.asyncio
async def test_unsupported_or_corrupt_encoding_is_a_protocol_failure(
    coding: str, body: bytes, reason: str
) -> None:
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(body, headers={"Content-Encoding": coding}))
        run = await _start(_config(srv))
        try:
            await until(lambda: run.ended is not None, 10, "the stream to end")
        finally:
            await run.engine.aclose()
        assert run.ended is not None
        assert run.ended.failure is FailureKind.PROTOCOL
        assert reason in run.ended.reason
        assert run.events == []
        assert any(reason in e for e in run.errors)


@pytest.mark.asyncio
async def test_gzip_bomb_in_an_error_body_is_read_only_for_its_excerpt() -> None:
    bomb = _compressed([(b"x" * _MIB, 128)])

    async def handler(req: object, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 500 X\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n" + bomb)

    async with RawServer() as srv:
        srv.script("/api/tasks/stream", handler)
        with _peak_memory() as peak:
            run = await _start(_config(srv))
            try:
                await until(lambda: run.ended is not None, 10, "the stream to end")
            finally:
                await run.engine.aclose()
        assert run.ended is not None
        assert run.ended.http_status == 500
        assert run.ended.reason.startswith("HTTP 500: xxxx")
        assert peak[0] < 16 * _MIB, f"peak {peak[0] / _MIB:.1f} MiB"


# ---------------------------------------------------------------------------- 2. deep JSON

_DEEP = "[" * 1000 + "]" * 1000


def test_decode_news_never_raises_on_deep_json() -> None:
    for event_type, raw in [
        ("task_progress", '{"id":"a","progress":1,"stage":' + _DEEP + "}"),
        ("task_updated", '{"task":{"id":"a","metadata":{"x":' + _DEEP + "}}}"),
        ("task_complete", '{"jobId":"a","result":' + _DEEP + "}"),
        ("progress", _DEEP),
        ("task_progress", "[" * 100_000),
    ]:
        news = decode_news(event_type, raw, received_at=0.0)
        assert isinstance(news, NewsError), event_type
        assert "nested too deeply" in news.reason


@pytest.mark.asyncio
async def test_deep_json_costs_only_its_own_event_in_a_read() -> None:
    # One read: valid task events around a 1,000-deep one, and an id-less seed-004-looking
    # message whose nesting used to escape the engine's dedup (a RecursionError, the read lost).
    deep_message = '{"id":' + _DEEP + ',"type":"text","payload":1}'
    body = (
        b'id: 1\nevent: task_progress\ndata: {"id":"a","progress":10}\n\n'
        + b'id: 2\nevent: task_progress\ndata: {"id":"b","progress":%s}\n\n' % _DEEP.encode()
        + b'id: 3\nevent: task_progress\ndata: {"id":"c","progress":30}\n\n'
        + b"event: message\ndata: %s\n\n" % deep_message.encode()
        + b'id: 4\nevent: task_progress\ndata: {"id":"d","progress":40}\n\n'
    )
    patches: list[TaskPatch] = []
    errors: list[NewsError] = []

    def on_batch(events: list[IncomingEvent]) -> None:
        tasks = [e for e in events if e.type in TASK_EVENT_TYPES]
        got, bad = decode_news_batch(tasks, received_at=0.0)
        patches.extend(got)
        errors.extend(error for _, error in bad)

    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(body))
        run = await _start(_config(srv), on_batch)
        try:
            await until(lambda: run.ended is not None, 10, "the stream to end")
        finally:
            await run.engine.aclose()
        assert [e.id for e in run.events] == ["1", "2", "3", "3", "4"]
        assert [(p.id, p.progress) for p in patches] == [("a", 10.0), ("c", 30.0), ("d", 40.0)]
        assert [e.reason for e in errors] == ["task_progress: data is nested too deeply"]
        assert run.ended is not None
        assert run.ended.failure is FailureKind.NONE  # the server ended it, not an error
        assert run.engine.stats().last_event_id == "4"


# ---------------------------------------------------------------------------- 3. huge numbers


@pytest.mark.parametrize("digits", [10, 11, 309, 4301, 100_000])
def test_decoder_caps_a_huge_retry(digits: int) -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: " + b"9" * digits + b"\ndata: x\n\n")
    assert [e.data for e in events] == ["x"]
    assert decoder.retry == events[0].retry == (int("9" * digits) if digits <= 10 else MAX_RETRY_MS)


def test_policy_clamps_a_huge_server_retry() -> None:
    policy = ReconnectPolicy(max_interval=30000, jitter=0)
    policy.set_server_retry(10**400)
    assert policy.base_delay_ms == 30000
    assert policy.next_delay() == 30.0


@pytest.mark.asyncio
@pytest.mark.parametrize("digits", [309, 4301])
async def test_huge_retry_keeps_the_read_and_the_connection(digits: int) -> None:
    body = (
        b"id: 1\ndata: before\n\n"
        + b"retry: "
        + b"7" * digits
        + b"\nid: 2\ndata: with it\n\n"
        + b"id: 3\ndata: after\n\n"
    )
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(body))
        run = await _start(_config(srv, max_reconnect_interval=20000))
        try:
            await until(lambda: run.ended is not None, 10, "the stream to end")
        finally:
            await run.engine.aclose()
        assert [e.data for e in run.events] == ["before", "with it", "after"]
        assert run.events[1].retry == MAX_RETRY_MS
        assert run.ended is not None
        assert run.ended.failure is FailureKind.NONE
        assert run.ended.reason == "the server ended the stream"
        assert run.engine.policy.base_delay_ms == 20000
        assert len(srv.requests) == 1


@pytest.mark.asyncio
async def test_ids_that_int_refuses_are_opaque_not_a_failed_read() -> None:
    huge = b"5" * 5000
    body = b"id: 1\ndata: a\n\nid: " + huge + b"\ndata: b\n\nid: \xc2\xb2\ndata: c\n\nid: 2\ndata: d\n\n"
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(body))
        run = await _start(_config(srv))
        try:
            await until(lambda: run.ended is not None, 10, "the stream to end")
        finally:
            await run.engine.aclose()
        assert [e.data for e in run.events] == ["a", "b", "c", "d"]
        assert run.ended is not None
        assert run.ended.failure is FailureKind.NONE
        assert run.engine.last_event_id == "2"


# ---------------------------------------------------------------------------- 4. backoff reset


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "attempts"), [(b"data: a\n\n", [1, 1, 1]), (b": only a comment\n\n", [1, 2, 3])]
)
async def test_backoff_resets_after_a_stable_connection_that_delivered(
    body: bytes, attempts: list[int]
) -> None:
    # stable_after 0: every connection is long enough; only delivering an event resets the count.
    async with RawServer() as srv:
        srv.script("/api/tasks/stream", stream(body))
        run = await _start(_config(srv, reconnect=True, stable_after=0, reconnect_decay=1.0))
        try:
            await until(lambda: len(srv.requests) >= 4, 10, "three reconnects")
        finally:
            await run.engine.aclose()
        waits = [s.attempt for s in run.statuses if s.next_attempt_at is not None]
        assert waits[:3] == attempts
