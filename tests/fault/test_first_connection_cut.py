"""A stream cut before its first event, on a server whose log is empty, loses nothing.

An empty log's snapshot has no cursor; the server's ``Monitor-Cursor`` header says where the
stream starts (``earliest``). Found by the fault suite (the first 72 events were lost): the
engine reconnected without a cursor, and a stream without one starts at "now".
"""

from __future__ import annotations

import httpx
import pytest

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from tests.client.tcpproxy import StallingProxy
from tests.waiting import until

pytestmark = pytest.mark.asyncio


async def test_a_stall_before_the_first_event_of_an_empty_log_loses_nothing() -> None:
    config = ServerConfig(port=0, db=":memory:", heartbeat_interval_ms=200, retry_ms=50, log_level="warning")
    with ServerThread(create_app(config), log_level="error") as srv:
        async with StallingProxy(srv.port) as proxy:
            url = f"http://127.0.0.1:{proxy.port}/api/tasks/stream"
            engine = StreamEngine(
                ClientConfig(
                    url=url, heartbeat_interval=250, heartbeat_timeout=250, jitter=0.0, reconnect_interval=50
                )
            )
            events: list[IncomingEvent] = []
            engine.on_event(events.append)
            await engine.start()
            try:
                await until(lambda: engine.stats().connected, 10, "connected")
                proxy.freeze()  # the first stream goes silent before any event
                async with httpx.AsyncClient(base_url=srv.url) as http:
                    for name in ("one", "two", "three"):
                        (await http.post("/api/tasks", json={"name": name})).raise_for_status()
                await until(lambda: engine.stats().reconnect_count >= 1, 10, "the stall noticed")
                await until(lambda: len([e for e in events if e.type == "task_created"]) == 3, 10, "3 events")
                assert [e.id.rsplit("-", 1)[1] for e in events if e.type == "task_created"] == ["1", "2", "3"]
            finally:
                await engine.aclose()
