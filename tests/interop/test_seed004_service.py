"""The app's ``SSEService`` and the real ``DesktopApp`` against seed 004's Express server run as
written on node (``node/seed004_main.js``): every kind of seed-004 message, posted through the
seed's own HTTP routes, reaches ``message_received`` and decodes (``decode_message``) into the
right kind and audience; one of them shows in the app's Messages dock."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.core.messages import Audience, ChatMessage, MessageKind, decode_message
from monitor.core.profile import ConnectionProfile, ReconnectConfig, ServerDialect
from monitor.core.settings import AppSettings
from monitor.core.store import TaskStore
from tests.interop.procs import ServerProcess
from tests.waiting import until

pytestmark = pytest.mark.slow  # node + express start-up
CLIENT = "monitor-me"


async def _post(server: ServerProcess, path: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=10) as http:
        r = await http.post(path, json=body)
        assert r.status_code == 200, r.text


def test_every_message_kind_reaches_message_received_and_decodes(
    seed004: ServerProcess, run: Callable[[Coroutine[Any, Any, Any]], Any]
) -> None:
    from monitor.services.sse_service import SSEService

    profile = ConnectionProfile(
        stream_url=seed004.url + "/sse",  # the engine adds ?clientId= for the seed004 dialect
        client_id=CLIENT,
        dialect=ServerDialect.SEED004,
        reconnect=ReconnectConfig(reconnect_interval_ms=250),
    )
    got: list[tuple[str, Any]] = []

    def decoded() -> list[ChatMessage]:
        out = []
        for etype, data in got:
            message = decode_message(etype, data, client_id=CLIENT, received_at=time.time())
            assert message is None or isinstance(message, ChatMessage), message  # never an error
            if isinstance(message, ChatMessage):
                out.append(message)
        return out

    async def scenario() -> None:
        service = SSEService(AppSettings(profiles=[profile]), store=TaskStore())
        service.message_received.connect(lambda etype, data: got.append((etype, data)))
        await service.start()
        try:
            await until(lambda: bool(got), 20, "the seed's connect message")
            assert got[0][0] == "system"
            assert [r.query.get("clientId") for r in seed004.requests("/sse")] == [[CLIENT]]
            posts: list[tuple[str, dict[str, Any]]] = [
                ("/api/messages", {"id": "m-text", "type": "text", "payload": {"content": "hello"}}),
                ("/api/messages", {"id": "m-json", "type": "json", "payload": {"n": 1}}),
                (
                    "/api/messages",
                    {"id": "m-sys", "type": "system", "priority": 2, "payload": {"event": "maintenance"}},
                ),
                ("/api/messages", {"id": "m-err", "type": "error", "payload": {"message": "disk full"}}),
                ("/api/broadcast", {"message": {"payload": {"content": "to all"}}}),
                # The SDK's sendText(content, {target}) posts to /api/messages; the seed relays it
                # to that client only, with the target in the envelope.
                (
                    "/api/messages",
                    {"id": "m-dm", "type": "text", "target": CLIENT, "payload": {"content": "just you"}},
                ),
                # The direct route sends to the client in its path; the envelope carries no
                # target unless the poster put one in, so nothing says it was direct.
                (f"/api/direct/{CLIENT}", {"type": "text", "payload": {"content": "via route"}}),
            ]
            for path, body in posts:
                await _post(seed004, path, body)
            await until(lambda: len(decoded()) >= 1 + len(posts), 20, "every message")
        finally:
            await service.aclose()
        messages = decoded()
        assert [(m.kind, m.audience, m.text) for m in messages[1:]] == [
            (MessageKind.TEXT, Audience.EVERYONE, "hello"),
            (MessageKind.JSON, Audience.EVERYONE, '{"n": 1}'),
            (MessageKind.SYSTEM, Audience.EVERYONE, "maintenance"),
            (MessageKind.ERROR, Audience.EVERYONE, "disk full"),
            (MessageKind.BROADCAST, Audience.EVERYONE, "to all"),
            (MessageKind.TEXT, Audience.DIRECT, "just you"),
            (MessageKind.TEXT, Audience.EVERYONE, "via route"),
        ]
        assert (messages[0].kind, messages[0].system_event) == (MessageKind.SYSTEM, "connect")
        assert [m.id for m in messages[1:5]] == ["m-text", "m-json", "m-sys", "m-err"]
        assert int(messages[3].priority) == 2

    run(scenario())


def test_a_message_shows_in_the_apps_dock(
    seed004: ServerProcess, run: Callable[[Coroutine[Any, Any, Any]], Any], tmp_path: Path
) -> None:
    from tests.test_app_seams import parts_of, running_app

    async def scenario() -> None:
        url = seed004.url + f"/sse?clientId={CLIENT}"
        async with running_app(tmp_path, "--stream", url, demo=False) as desktop:
            parts = parts_of(desktop)
            await until(lambda: bool(seed004.requests("/sse")), 20, "the app's stream")
            await until(lambda: len(parts.messages.store) >= 1, 20, "the seed's connect message")
            await _post(
                seed004,
                "/api/messages",
                {"id": "m-1", "type": "error", "priority": 3, "payload": {"message": "<b>disk</b> full"}},
            )
            await until(
                lambda: any(m.id == "m-1" for m in parts.messages.store), 20, "the error message in the dock"
            )
            message = next(m for m in parts.messages.store if m.id == "m-1")
            assert message.kind is MessageKind.ERROR
            assert "<b>disk</b> full" in message.text  # plain text, kept as sent

    run(scenario())
