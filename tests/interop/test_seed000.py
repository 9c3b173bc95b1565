"""The unchanged engine against a stand-in for seed 000's backend (real loopback HTTP)."""

from __future__ import annotations

import json

import pytest

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.server.runner import ServerThread
from tests.interop.seed000_server import Seed000Backend, create_app
from tests.waiting import until


@pytest.mark.asyncio
async def test_engine_resumes_from_seed000_with_lasteventid_query() -> None:
    backend = Seed000Backend()
    for i in range(3):
        backend.publish("task_update", {"n": i})
    with ServerThread(create_app(backend, period=0.05), drain_timeout=1.0) as server:
        engine = StreamEngine(
            ClientConfig(
                url=server.url + "/api/tasks/stream",
                send_last_event_id_query=True,
                jitter=0.0,
                reconnect_interval=250,
            ),
            fetch_snapshot=False,
        )
        got: list[IncomingEvent] = []
        engine.on_event(got.append)
        await engine.start()
        try:
            updates = lambda: [e for e in got if e.type == "task_update"]  # noqa: E731
            await until(lambda: len(updates()) == 3)
            await until(lambda: any(e.type == "heartbeat" for e in got))
            engine.reconnect()
            await until(lambda: len(backend.cursors_seen) >= 2)
            backend.publish("task_update", {"n": 3})
            await until(lambda: len(updates()) == 4)
            assert backend.cursors_seen[-1] == "3"  # resumed through the seed's query parameter
            assert [json.loads(e.data)["n"] for e in updates()] == [0, 1, 2, 3]  # none doubled
        finally:
            await engine.aclose()
