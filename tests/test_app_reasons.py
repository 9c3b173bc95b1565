"""Plain-language reasons through the real app (issue 12): a closed port, the chip and the banner.

The real ``DesktopApp`` (offscreen, no D-Bus: notices land in the in-window banner) watches a port
on 127.0.0.1 where nothing listens; the real engine writes its developer's reason and the user
reads a sentence.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from monitor.core.connection import ConnectionState
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_closed_port_reads_as_connection_refused(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    (tmp_path / "settings.json").write_text(
        json.dumps({"notifications": {"group_window_s": 0.2, "connection_lost": True}})
    )
    port = closed_port()

    async def scenario() -> None:
        async with running_app(tmp_path, "--server", f"http://127.0.0.1:{port}", demo=False) as desktop:
            parts = parts_of(desktop)
            indicator = parts.window.indicator
            await until(
                lambda: indicator.status.state is not ConnectionState.CONNECTING and indicator.status.reason,
                15,
                "a failed attempt",
            )
            assert "ConnectError" in indicator.status.reason  # the engine's words, unchanged
            plain = f"Cannot connect to 127.0.0.1:{port} (connection refused)"
            assert f"Reason: {plain}" in indicator.toolTip()
            assert "ConnectError" not in indicator.toolTip()
            banner = parts.window.banner
            await until(lambda: not banner.isHidden(), 15, "the banner")
            assert plain in banner.text()
            assert "ConnectError" not in banner.text()

    run(scenario())
