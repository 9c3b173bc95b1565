"""Server messages through the real app: ``DesktopApp --demo`` (the reference server in-process,
over loopback), messages posted to the server over HTTP as another client would, seen in the
Messages dock and as notifications (issue 10, item 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from monitor.core.messages import Audience, MessageKind
from monitor.core.notify_policy import Notice
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until


def test_messages_reach_the_dock_and_notify(qloop: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path) as desktop:
            parts = parts_of(desktop)
            notices: list[Notice] = []
            parts.notifier.delivered.connect(lambda _path, notice: notices.append(notice))
            docks = [a for a in parts.window.view_menu.actions() if a.text() == "&Messages"]
            assert len(docks) == 1, "View > Messages toggles the dock"
            toggle = docks[0]
            assert not toggle.isChecked(), "hidden until a server sends a message"
            assert parts.service.engine is not None
            await until(lambda: parts.commands is not None, 10, "the command service")
            client_id = parts.service.engine.config.client_id
            base = str(httpx.URL(parts.service.engine.config.url).copy_with(path="/", query=None))
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                r = await http.post(
                    "/api/messages",
                    json={
                        "type": "system",
                        "priority": 2,
                        "payload": {
                            "event": "maintenance",
                            "detail": "<b>down</b> at 22:00",
                            "recommendedAction": "save your work",
                        },
                    },
                )
                assert r.status_code < 300, r.text
                await until(lambda: len(parts.messages.store) == 1, 10, "the system message")
                assert toggle.isChecked(), "the first message opens the dock"
                dock = parts.messages.parentWidget()
                assert dock is not None
                # ...at a third of the window, so the task table stays the main thing.
                await until(lambda: 0 < dock.height() <= parts.window.height() // 3 + 40, 5, "a small dock")
                message = next(iter(parts.messages.store))
                assert message.kind is MessageKind.SYSTEM
                assert (
                    message.text == "maintenance: save your work (<b>down</b> at 22:00)"
                )  # plain text, kept as sent
                await until(lambda: any("System message" in n.title for n in notices), 10, "a notice")
                r = await http.post(f"/api/direct/{client_id}", json={"type": "text", "payload": "hi you"})
                assert r.status_code < 300, r.text
                await until(lambda: len(parts.messages.store) == 2, 10, "the direct message")
            direct = [m for m in parts.messages.store if m.text == "hi you"]
            assert [m.audience for m in direct] == [Audience.DIRECT]
            assert not any("hi you" in n.body for n in notices), "plain text messages do not notify"

    qloop.run_until_complete(scenario())
