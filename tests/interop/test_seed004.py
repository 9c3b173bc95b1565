"""The unchanged engine against a port of seed 004's Express server (real loopback HTTP)."""

from __future__ import annotations

import json

import httpx
import pytest

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.connection import ConnectionState
from monitor.server.runner import ServerThread
from tests.interop.seed004_server import Seed004Backend, create_app
from tests.waiting import until


@pytest.mark.asyncio
async def test_engine_reads_seed004_stream_and_dedups_by_data_id() -> None:
    backend = Seed004Backend(token="secret")
    with ServerThread(create_app(backend), drain_timeout=1.0) as server:
        engine = StreamEngine(
            ClientConfig(
                url=server.url + "/sse",
                auth_token="secret",
                allow_token_in_query=True,  # the seed's server only reads ?token=
                jitter=0.0,
            ),
            fetch_snapshot=False,
        )
        got: list[IncomingEvent] = []
        engine.on_event(got.append)
        await engine.start()
        try:
            await until(lambda: engine.status.state is ConnectionState.CONNECTED and backend.clients)
            async with httpx.AsyncClient(base_url=server.url) as http:
                m1 = {"id": "m1", "type": "task_update", "payload": {}}
                m2 = {"id": "m2", "type": "notification", "payload": {}}
                for body in (m1, m1, m2):
                    r = await http.post("/api/messages", json=body)
                    assert r.status_code == 200
            await until(lambda: any(e.type == "notification" for e in got))
            named = [(e.type, json.loads(e.data)["id"]) for e in got if e.type != "connected"]
            assert named == [("task_update", "m1"), ("notification", "m2")]  # second m1 dropped
            assert engine.stats().duplicates_dropped == 1
        finally:
            await engine.aclose()
