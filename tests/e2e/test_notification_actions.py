"""Notification buttons: Retry pressed in a real notification daemon retries the task on the server.

The real app runs under Xvfb with a private session bus and dunst (``tests/e2e/desktop.py``)
against ``monitor serve --demo``. A task fails while the window is in the background, so the
notice goes to dunst as a desktop notification with a Retry button. ``dunstctl context`` opens
dunst's action menu, which runs the ``dmenu`` command the desktop configured: a script that
keeps the menu it was offered and picks the Retry line, as a user would. dunst then emits
``ActionInvoked(id, "retry")``; the app must send the retry to the server (the task's attempt
goes up there) and record "Retried" in its notification history.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.desktop import Desktop, missing_tools
from tests.e2e.harness import AppProcess, ServerProcess, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERVER_ENV = {"MONITOR_SERVER_DEMO_SPEED": "3", "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "1000"}
FAILED_NAME = "notification-retry.wav"


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[tuple[Desktop, Path]]:
    missing = missing_tools("none")
    if missing:
        pytest.skip(f"needs a private X/D-Bus desktop with dunst; missing: {', '.join(missing)}")
    offered = tmp_path / "menu.txt"
    pick = tmp_path / "pick-retry.sh"
    # dunst lists each action as "#<name> [<summary>]"-like lines; keep them, choose Retry.
    pick.write_text(f'#!/bin/sh\ntee "{offered}" | grep -m1 "Retry"\n')
    pick.chmod(0o755)
    if shutil.which("grep") is None or shutil.which("tee") is None:
        pytest.skip("needs grep and tee for the menu script")
    with Desktop(tray="none", dmenu=str(pick)) as desk:
        yield desk, offered


def test_retry_button_in_the_daemon_retries_on_the_server(
    desktop: tuple[Desktop, Path], tmp_path: Path
) -> None:
    desk, offered = desktop
    server = ServerProcess(free_port(), ":memory:", demo=True, env=SERVER_ENV)
    server.start()
    (tmp_path / "settings.json").write_text(json.dumps({"notifications": {"group_window_s": 0}}))
    app = AppProcess(desk, server.url, tmp_path)
    try:
        app.wait_for(lambda m: m["ev"] == "state" and m["state"] == "connected", 30, "Live")
        failed_id = server.fail_task(FAILED_NAME, "model file missing")

        def notified() -> bool:
            return any(FAILED_NAME in n.body for n in desk.notifications())

        wait_until(notified, 20, "the failure's desktop notification")

        result = desk.dunstctl("context")
        assert result.returncode == 0, result.stderr
        wait_until(
            lambda: offered.is_file() and "Retry" in offered.read_text(), 10, "the Retry action offered"
        )

        # The press reached the app (desktop-notifier's on_pressed) ...
        def outcome() -> str:
            entries = app.ask("history", "history")["entries"]
            mine = [e for e in entries if failed_id in e["tasks"] and e["path"] == "dbus"]
            return str(mine[-1]["outcome"]) if mine else ""

        wait_until(lambda: outcome() == "retried", 20, "'retried' in the notification history")

        # ... and went to the server as a retry command.
        def retried_on_server() -> bool:
            with httpx.Client(base_url=server.url, timeout=5) as http:
                task = http.get(f"/api/tasks/{failed_id}").json()["task"]
            return int(task["attempt"]) >= 2

        wait_until(retried_on_server, 20, "the task retried on the server (attempt 2)")
    finally:
        app.close()
        server.stop()
