"""Cursors on the wire: the epoch header on stream, snapshot and poll; the poll's cursor rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from monitor.core.protocol import EPOCH_HEADER, PollResponse, Snapshot
from monitor.server.app import MonitorApp
from monitor.server.runner import ServerThread
from tests.server.sse_helpers import RawSSE
from tests.server.test_app import http, make


@pytest.fixture
def served(engine_settings: dict[str, Any]) -> Iterator[tuple[MonitorApp, ServerThread, httpx.Client]]:
    app, server = make(**engine_settings)  # every engine: memory, SQLite, Redis
    with server, http(server.url) as client:
        yield app, server, client


def _ids(body: httpx.Response) -> list[str]:
    return [e.id for e in PollResponse.model_validate(body.json()).events]


@pytest.mark.asyncio
async def test_epoch_header_on_stream_snapshot_and_poll(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    app, server, client = served
    epoch = app.log.epoch
    snap = client.get("/api/tasks")
    assert snap.headers[EPOCH_HEADER] == epoch == Snapshot.model_validate(snap.json()).epoch
    assert client.get("/api/tasks/poll").headers[EPOCH_HEADER] == epoch
    async with RawSSE(server.url) as sse:
        assert sse.status == 200
        assert sse.response_headers[EPOCH_HEADER.lower()] == epoch


def test_poll_honours_last_event_id_header_and_query(
    served: tuple[MonitorApp, ServerThread, httpx.Client],
) -> None:
    _, _, client = served
    for i in range(5):
        client.post("/api/tasks", json={"name": f"{i}.wav"})
    everything = _ids(client.get("/api/tasks/poll"))
    assert len(everything) == 5
    second = everything[1]
    rest = everything[2:]
    assert _ids(client.get("/api/tasks/poll", headers={"Last-Event-ID": second})) == rest
    assert _ids(client.get("/api/tasks/poll", params={"lastEventId": second})) == rest
    assert _ids(client.get("/api/tasks/poll", params={"last_event_id": second})) == rest
    assert _ids(client.get("/api/tasks/poll", params={"after": second})) == rest
    # The header wins over any query, as on the stream.
    both = client.get(
        "/api/tasks/poll",
        headers={"Last-Event-ID": everything[3]},
        params={"after": second, "lastEventId": second},
    )
    assert _ids(both) == everything[4:]
    # ``after`` wins over ``lastEventId``.
    assert (
        _ids(client.get("/api/tasks/poll", params={"after": everything[3], "lastEventId": second}))
        == everything[4:]
    )
    # Seed 000 sends an empty header before its first event: from the start, not a reset.
    blank = client.get("/api/tasks/poll", headers={"Last-Event-ID": ""})
    assert _ids(blank) == everything
    assert PollResponse.model_validate(blank.json()).reset is False
    # An unknown or oversized cursor in the header is a reset, never an error.
    for bad in ("zz-9", "x" * 500):
        gone = client.get("/api/tasks/poll", headers={"Last-Event-ID": bad})
        assert gone.status_code == 200
        assert PollResponse.model_validate(gone.json()).reset is True
