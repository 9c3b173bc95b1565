"""End to end: the real app, on a real X server with a real tray host, a real D-Bus session and a
real notification daemon, watching the real server over loopback.

The app runs as a subprocess (``tests/e2e/app_driver.py``) inside a private desktop
(``tests/e2e/desktop.py``); the server runs as another subprocess (``monitor serve``) with an
SQLite log so that it can be killed and restarted without losing history. Skips (saying which
program is missing) where Xvfb, dbus-daemon, dunst or the SNI tray host are not installed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.desktop import Desktop, missing_tools
from tests.e2e.harness import AppProcess, ServerProcess, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: Fast demo, frequent heartbeats, quick retry hint: the restart below takes a second, not ten.
SERVER_ENV = {
    "MONITOR_SERVER_DEMO_SPEED": "6",
    "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "1000",
    "MONITOR_SERVER_RETRY_MS": "300",
}


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    missing = missing_tools("sni")
    if missing:
        pytest.skip(f"needs a private X/D-Bus desktop with an SNI tray host; missing: {', '.join(missing)}")
    with Desktop(tray="sni") as desk:
        yield desk


def test_live_rows_failure_notification_click_and_restart(desktop: Desktop, tmp_path: Path) -> None:
    server = ServerProcess(free_port(), tmp_path / "events.db", demo=True, env=SERVER_ENV)
    server.start()
    # One notice per failure (no 2 s grouping), so the demo's own failures cannot merge with ours.
    (tmp_path / "settings.json").write_text(json.dumps({"notifications": {"group_window_s": 0}}))
    app = AppProcess(desktop, server.url, tmp_path)
    try:
        app.wait_for(lambda m: m["ev"] == "ready", 30, "the window")
        app.wait_for(lambda m: m["ev"] == "state" and m["state"] == "connected", 20, "Live")
        first = app.wait_for(lambda m: m["ev"] == "rows" and m["rows"] >= 2, 20, "rows")
        app.wait_for(
            lambda m: m["ev"] == "rows" and m["progress_sum"] > first["progress_sum"] + 1,
            20,
            "progress moving",
        )

        # A failure we control: submit a task and report it failed, as a worker would.
        server.fail_task("e2e-interview.wav", "CUDA out of memory")

        def notified() -> list[Any]:
            return [n for n in desktop.notifications() if n.body.startswith("e2e-interview.wav")]

        wait_until(lambda: bool(notified()), 20, "the failure notice on the bus")
        note = notified()[0]
        assert note.app == "Monitor"
        assert note.summary == "Task failed"
        assert note.body == "e2e-interview.wav: CUDA out of memory"
        assert note.urgency == 2  # critical: a failure stays until dismissed

        # Click it (dunst runs the default action) -> the app selects the task.
        assert desktop.dunstctl("action", "0").returncode == 0
        activated = app.wait_for(lambda m: m["ev"] == "activated", 15, "the click")
        # dunst's "action 0" clicks the newest notice: ours, unless a demo failure came just after.
        failed_ids = {k for k, v in app.ask("dump", "dump")["tasks"].items() if v["state"] == "failed"}
        assert activated["id"] in failed_ids
        assert activated["selected"] == [activated["id"]]

        # Kill the server mid-stream, restart it on the same port and log.
        server.kill()
        app.wait_for(
            lambda m: m["ev"] == "state" and m["state"] in ("reconnecting", "connecting"), 20, "Reconnecting"
        )
        server.start()
        app.wait_for(lambda m: m["ev"] == "state" and m["state"] == "connected", 30, "Live again")

        # No event lost: once the demo's tasks agree, the app's table equals the server's snapshot.
        def tables() -> tuple[dict[str, Any], dict[str, Any]]:
            dump = app.ask("dump", "dump")
            snap = httpx.get(server.url + "/api/tasks", timeout=10).json()
            server_tasks = {t["id"]: (t["state"], t["attempt"]) for t in snap["tasks"]}
            return {k: (v["state"], v["attempt"]) for k, v in dump["tasks"].items()}, server_tasks

        last: list[tuple[dict[str, Any], dict[str, Any]]] = []

        def agree() -> bool:
            last[:] = [tables()]
            return last[0][0] == last[0][1]

        with contextlib.suppress(TimeoutError):  # the assertion below shows the difference
            wait_until(agree, 30, "the app's table to match the server", step=0.2)
        app_tasks, server_tasks = last[0]
        assert app_tasks == server_tasks
        dump = app.ask("dump", "dump")
        assert "Live" in dump["indicator"]
    finally:
        code = app.close()
        server.stop()
    assert code == 0, (tmp_path / "app.stderr").read_text()[-3000:]
