"""The banner through the real app (issue 12): its words by cause, and a retried failure's notice.

Each test runs the real ``DesktopApp`` (offscreen, so no tray: notices land in the in-window
banner) against a real server on 127.0.0.1, or against a port where nothing listens.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from monitor.core.connection import ConnectionState, ConnectionStatus
from monitor.core.notify_policy import Notice, NotifyEvent
from monitor.core.protocol import TaskState
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from tests.test_app_seams import ids_in, parts_of, running_app
from tests.waiting import until


@pytest.fixture
def run(qloop: Any) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    return lambda coro: qloop.run_until_complete(asyncio.wait_for(coro, 60))


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder whose settings group notices briefly; no D-Bus, so the banner shows them."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("MONITOR_TOKEN", raising=False)
    (tmp_path / "settings.json").write_text(
        json.dumps({"notifications": {"group_window_s": 0.2, "connection_lost": True, "failed": True}})
    )
    return tmp_path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def banner_texts(notices: list[Notice]) -> list[str]:
    return [n.title for n in notices if n.kind is NotifyEvent.CONNECTION_LOST]


def test_a_server_never_reached_is_not_a_lost_connection(run: Any, config_dir: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    async def scenario() -> None:
        async with running_app(config_dir, "--server", url, demo=False) as desktop:
            parts = parts_of(desktop)
            banner = parts.window.banner
            await until(lambda: not banner.isHidden(), 15, "the banner")
            assert banner.text().startswith(f"Cannot reach the server at {url}")
            assert "Connection lost" not in banner.text()

    run(scenario())


def test_a_refused_token_says_authentication_failed_like_the_chip(run: Any, config_dir: Path) -> None:
    app = create_app(ServerConfig(tokens=["s3cret"], db=":memory:"))
    with ServerThread(app) as server:

        async def scenario() -> None:
            async with running_app(config_dir, "--server", server.url, demo=False) as desktop:
                parts = parts_of(desktop)
                banner = parts.window.banner
                await until(lambda: banner.text().startswith("Authentication failed"), 15, "the auth notice")
                assert parts.window.indicator.text() == "Authentication failed"
                assert server.url in banner.text()
                assert banner.more_text() == ""  # no "cannot reach" notice beside it

        run(scenario())


def test_a_live_stream_that_drops_says_reconnecting(run: Any, config_dir: Path) -> None:
    async def scenario() -> None:
        async with running_app(config_dir) as desktop:
            parts = parts_of(desktop)
            indicator = parts.window.indicator
            await until(lambda: indicator.status.state is ConnectionState.CONNECTED, 15, "live")
            shown: list[Notice] = []
            parts.notifier.delivered.connect(lambda _path, notice: shown.append(notice))
            # Through the slot the wiring uses: the service's own signal, as the engine emits it.
            parts.service.connection_state_changed.emit(
                ConnectionStatus(ConnectionState.RECONNECTING, ConnectionState.CONNECTED, "read timeout")
            )
            await until(lambda: banner_texts(shown), 5, "the loss notice")
            assert banner_texts(shown) == ["Connection lost, reconnecting…"]
            assert parts.window.banner.text() == "Connection lost, reconnecting… - read timeout"
            # The offline chip and the counts say how old the data is.
            assert "as of" in indicator.text()
            assert "as of" in parts.window.counts_label.text()

    run(scenario())


def test_a_retried_task_takes_its_failure_off_the_banner(run: Any, config_dir: Path) -> None:
    async def scenario() -> None:
        async with running_app(config_dir) as desktop:
            parts = parts_of(desktop)
            banner = parts.window.banner

            def failure_shown() -> list[str]:
                return [i for n in banner.notices if n.kind is NotifyEvent.FAILED for i in n.task_ids]

            await until(lambda: failure_shown() and ids_in(parts, TaskState.FAILED), 40, "a failure notice")
            await until(lambda: parts.commands is not None, 5, "the command service")
            task_id = next(i for i in failure_shown() if i in ids_in(parts, TaskState.FAILED))
            assert parts.commands is not None
            parts.commands.retry([task_id])
            await until(lambda: task_id not in failure_shown(), 15, "the notice to go")
            record = parts.store.get(task_id)
            assert record is not None
            assert record.state is not TaskState.FAILED

    run(scenario())
