"""Taskbar progress: the real app tells docks its progress over a real session bus.

The app runs under Xvfb with a private session bus (``tests/e2e/desktop.py``) against
``monitor serve --demo``. The test listens on that bus the way KDE's task manager or Dash to Dock
does: it matches ``com.canonical.Unity.LauncherEntry.Update`` signals from any sender, and asks
the app's ``Query`` method as a dock started later would. It checks the running count against
the app's own data, the progress bar, and that a failure while the window is in the background
raises "urgent" until the window is focused.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jeepney import DBusAddress, MatchRule, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from monitor.services.launcher import LAUNCHER_INTERFACE, LAUNCHER_PATH
from tests.e2e.desktop import Desktop, missing_tools
from tests.e2e.harness import AppProcess, ServerProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERVER_ENV = {"MONITOR_SERVER_DEMO_SPEED": "3", "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "1000"}
APP_URI = "application://io.monitor.Monitor.desktop"


class Dock:
    """A dock's view of the session bus: every LauncherEntry update, newest last."""

    def __init__(self, address: str) -> None:
        self.conn: DBusConnection = open_dbus_connection(address)
        rule = MatchRule(type="signal", interface=LAUNCHER_INTERFACE, member="Update")
        self.conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
        self._filter = self.conn.filter(rule, bufsize=1024)
        self._queue = self._filter.__enter__()
        self.sender = ""

    def until(self, cond: Any, timeout: float, what: str) -> dict[str, Any]:
        """Read updates until one satisfies ``cond`` (its properties, values unwrapped)."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                left = max(0.0, deadline - time.monotonic())
                msg = self.conn.recv_until_filtered(self._queue, timeout=left)
            except TimeoutError:
                raise AssertionError(f"no LauncherEntry update with {what}; saw {seen[-5:]}") from None
            uri, props = msg.body
            assert uri == APP_URI
            self.sender = str(msg.header.fields[7])  # SENDER: where Query goes
            values = {k: v[1] for k, v in props.items()}
            seen.append(values)
            if cond(values):
                return values

    def query(self) -> dict[str, Any]:
        """Ask the app for its state, as a dock that starts later does."""
        call = new_method_call(DBusAddress(LAUNCHER_PATH, self.sender, LAUNCHER_INTERFACE), "Query")
        reply = self.conn.send_and_get_reply(call, timeout=5)
        assert reply.header.message_type is MessageType.method_return, reply.body
        uri, props = reply.body
        assert uri == APP_URI
        return {k: v[1] for k, v in props.items()}

    def close(self) -> None:
        self._filter.__exit__(None, None, None)
        self.conn.close()


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    missing = missing_tools("none") + [t for t in ("xdotool",) if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs a private X/D-Bus desktop; missing: {', '.join(missing)}")
    with Desktop(tray="none") as desk:
        yield desk


def test_progress_count_and_urgent_reach_the_dock(desktop: Desktop, tmp_path: Path) -> None:
    server = ServerProcess(free_port(), ":memory:", demo=True, env=SERVER_ENV)
    server.start()
    (tmp_path / "settings.json").write_text(json.dumps({"notifications": {"group_window_s": 0}}))
    dock = Dock(desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    app = AppProcess(desktop, server.url, tmp_path)
    try:
        app.wait_for(lambda m: m["ev"] == "state" and m["state"] == "connected", 30, "Live")
        running = dock.until(lambda v: v["count"] > 0 and v["progress-visible"], 30, "running tasks")
        assert 0.0 <= running["progress"] <= 1.0, running
        assert running["count-visible"] is True
        assert running["urgent"] is False
        tasks = app.ask("dump", "dump")["tasks"]
        # The badge counts what runs (the demo runs 3 at a time): never more than the app lists.
        assert running["count"] <= sum(1 for t in tasks.values() if t["state"] in ("running", "cancelling"))

        # A dock that starts now asks and gets the current state.
        asked = dock.query()
        assert set(asked) == {"progress", "progress-visible", "count", "count-visible", "urgent"}
        assert asked["count"] >= 0

        # A failure while the window is in the background: urgent, until the window is focused.
        server.fail_task("taskbar-urgent.wav", "disk full")
        dock.until(lambda v: v["urgent"], 20, "urgent after a background failure")
        desktop.focus_window("^Monitor")
        dock.until(lambda v: not v["urgent"], 20, "urgent cleared once the window is focused")

        # Quitting clears the icon (a dock would otherwise keep the last progress forever).
        assert app.close() == 0
        dock.until(lambda v: v["count"] == 0 and not v["progress-visible"], 10, "a cleared icon on quit")
    finally:
        dock.close()
        app.close()
        server.stop()
