"""``monitor watch``, the ``SSEService`` and the command sender against seed 004's Express server
run as written on node (``node/seed004_main.js``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from monitor.client.commands import CommandSender, Seed004Codec
from monitor.client.config import ClientConfig
from monitor.client.engine import StreamEngine
from tests.interop.procs import ServerProcess
from tests.interop.watching import Watch
from tests.waiting import until

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def _post(server: ServerProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
        r = await http.post(path, json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())


async def test_watch_gets_connect_and_messages_over_one_request(seed004: ServerProcess) -> None:
    async with Watch(seed004.url + "/sse?clientId=me&token=t") as watch:
        await until(lambda: bool(watch.of_type("system")) or watch.exited(), 20, "the connect message")
        assert not watch.exited(), "\n".join(watch.stderr)
        await _post(seed004, "/api/messages", {"id": "m1", "type": "text", "payload": {"content": "hi"}})
        await _post(seed004, "/api/direct/me", {"type": "json", "payload": {"a": 1}})
        await _post(seed004, "/api/broadcast", {"message": {"payload": {"note": "all"}}})
        await until(lambda: len(watch.events) >= 4, 20, "four messages")
        assert [e["type"] for e in watch.events] == ["system", "text", "json", "broadcast"]
        assert watch.events[1]["data"]["payload"] == {"content": "hi"}
        assert len(seed004.requests("/sse")) == 1


async def test_command_in_seed004_envelope_resolved_by_its_ack(seed004: ServerProcess) -> None:
    base = seed004.url
    # The worker that executes commands: the seed leaves it undefined (its CommandScheduler is
    # wired to no route and only logs its acks), so the test plays it over the seed's own routes.
    worker = StreamEngine(ClientConfig(url=base + "/sse?clientId=worker", jitter=0.0), fetch_snapshot=False)
    commands: list[dict[str, Any]] = []
    worker.on_event(lambda e: commands.append(json.loads(e.data)) if e.type != "system" else None)
    config = ClientConfig(
        url=base + "/sse?clientId=monitor-1", client_id="monitor-1", dialect="seed004", jitter=0.0
    )
    engine = StreamEngine(config, fetch_snapshot=False)
    # ack_from_stream: the relay's {success, messageId} answer only says "delivered"; the command
    # waits for the worker's ack message (a server that wires the seed's CommandScheduler).
    sender = CommandSender(config, engine=engine, codec=Seed004Codec(ack_from_stream=True))
    await worker.start()
    await engine.start()
    await sender.start()
    try:
        await until(lambda: len(seed004.requests("/sse")) >= 2, 20, "both connected")
        done = sender.cancel("t1", timeout_ms=10_000)
        await until(lambda: bool(commands), 20, "the relayed command")
        cmd = commands[0]
        assert cmd["type"] == "command"
        assert cmd["source"] == "monitor-1"
        payload = cmd["payload"]
        assert (payload["action"], payload["taskId"], payload["requireAck"]) == ("cancel", "t1", True)
        assert not done.done()  # the relay's answer is not the ack
        ack = {"commandId": payload["commandId"], "success": True}  # the scheduler's sendAck payload
        await _post(
            seed004, "/api/messages", {"id": "a1", "type": "ack", "target": "monitor-1", "payload": ack}
        )
        result = await asyncio.wait_for(done, 20)
        assert result.success
    finally:
        await sender.aclose()
        await engine.aclose()
        await worker.aclose()
