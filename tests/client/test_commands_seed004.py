"""The command sender in seed 004's dialect against a loopback mirror of its server (real HTTP).

The server is :mod:`tests.client.seed004_relay` (the seed's ``handleSendCommand`` /
``handleDirectMessage`` / ``/sse`` mirrored in Python, see its docstring): the seed's own node
server is H4's stand-in and was not ready when this was written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from monitor.client.commands import CommandError, CommandSender, Seed004Codec
from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.connection import ConnectionState
from monitor.core.profile import ServerDialect
from monitor.core.protocol import CommandStatus
from monitor.server.runner import ServerThread
from tests.client.seed004_relay import Seed004Relay
from tests.waiting import until

ME = "monitor-h5-test"


@pytest.fixture
def relay() -> Seed004Relay:
    return Seed004Relay(keepalive_s=0.2)


async def _engine(url: str) -> StreamEngine:
    engine = StreamEngine(ClientConfig(url=url + "/sse", client_id=ME, jitter=0.0), fetch_snapshot=False)
    await engine.start()
    await until(lambda: engine.status.state is ConnectionState.CONNECTED)
    return engine


@pytest.fixture
def server(relay: Seed004Relay) -> Iterator[str]:
    with ServerThread(relay.app, drain_timeout=1.0) as srv:
        yield srv.url


@pytest.mark.asyncio
async def test_cancel_ends_acknowledged_by_the_relay_answer(relay: Seed004Relay, server: str) -> None:
    engine = await _engine(server)
    echoes: list[IncomingEvent] = []
    engine.subscribe("command", echoes.append)
    sender = CommandSender(engine.config, engine=engine, dialect=ServerDialect.SEED004, ack_margin_ms=0)
    await sender.start()
    try:
        await until(lambda: ME in relay.connections)
        ack = await until_result(sender.cancel("t1"))
        assert ack.success is True
        assert ack.status is CommandStatus.SUCCEEDED
        assert ack.task_id == "t1"
        [posted] = relay.commands
        assert posted["type"] == "command"
        assert posted["source"] == ME
        assert posted["payload"]["commandId"] == ack.command_id
        assert posted["payload"]["action"] == "cancel"
        assert posted["payload"]["requireAck"] is True
        assert "target" not in posted, "the SDK's sendCommand has no target: the server broadcasts"
        # The seed relays the command to every client, us included: the same envelope comes back.
        await until(lambda: bool(echoes))
        assert json.loads(echoes[0].data) == posted
        assert sender.awaiting_ack == 0
    finally:
        await sender.aclose()
        await engine.aclose()


@pytest.mark.asyncio
async def test_acks_over_the_stream_when_a_worker_sends_them(relay: Seed004Relay, server: str) -> None:
    engine = await _engine(server)
    sender = CommandSender(engine.config, engine=engine, codec=Seed004Codec(ack_from_stream=True))
    await sender.start()
    try:
        async with httpx.AsyncClient(base_url=server) as worker:
            ok = sender.pause("t1")
            await until(lambda: len(relay.commands) == 1)
            await until(lambda: sender.queue_size == 0)
            assert not ok.done(), "the relay answer is interim in this mode"
            cid = relay.commands[0]["payload"]["commandId"]
            # CommandScheduler.sendAck's message, delivered as the seed delivers a direct message.
            r = await worker.post(
                f"/api/direct/{ME}",
                json={"type": "ack", "priority": 3, "payload": {"commandId": cid, "success": True}},
            )
            assert r.json() == {"success": True}
            ack = await until_result(ok)
            assert (ack.command_id, ack.success) == (cid, True)

            bad = sender.resume("t2")
            await until(lambda: len(relay.commands) == 2)
            cid2 = relay.commands[1]["payload"]["commandId"]
            await worker.post(
                f"/api/direct/{ME}",
                json={
                    "type": "command",
                    "priority": 2,
                    "source": "scheduler",
                    "payload": {
                        "event": "task_failed",
                        "taskId": "task_1",
                        "commandId": cid2,
                        "error": "not paused",
                    },
                },
            )
            with pytest.raises(CommandError, match="not paused"):
                await until_result(bad)
    finally:
        await sender.aclose()
        await engine.aclose()


@pytest.mark.asyncio
async def test_without_a_stream_the_relay_answer_still_acks(relay: Seed004Relay, server: str) -> None:
    # No engine at all (monitor watch posting a command): the POST answer is the ack.
    cfg = ClientConfig(url=server + "/sse", client_id=ME)
    sender = CommandSender(cfg, dialect=ServerDialect.SEED004)
    await sender.start()
    try:
        ack = await until_result(sender.query("t9"))
        assert ack.success is True
        assert relay.commands[0]["payload"]["params"] == {"taskId": "t9"}
    finally:
        await sender.aclose()


async def until_result(future: asyncio.Future[Any], timeout: float = 10.0) -> Any:
    """The future's result, failing the test after ``timeout`` seconds (never the sender's 35 s)."""
    return await asyncio.wait_for(future, timeout)
