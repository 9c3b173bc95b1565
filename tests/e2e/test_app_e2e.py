"""End to end: the real app, on a real X server with a real tray host, a real D-Bus session and a
real notification daemon, watching the real server over loopback.

The app runs as a subprocess (``tests/e2e/app_driver.py``) inside a private desktop
(``tests/e2e/desktop.py``); the server runs as another subprocess (``monitor serve``) with an
SQLite log so that it can be killed and restarted without losing history. Skips (saying which
program is missing) where Xvfb, dbus-daemon, dunst or the SNI tray host are not installed.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.desktop import Desktop, missing_tools

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``monitor serve`` as a subprocess that can be killed and restarted on the same port and db."""

    def __init__(self, port: int, db: Path, *, demo: bool) -> None:
        self.port, self.db, self.demo = port, db, demo
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "monitor", "serve", "--port", str(self.port), "--db", str(self.db)]
        if self.demo:
            argv.append("--demo")
        env = {
            **os.environ,
            "MONITOR_SERVER_DEMO_SPEED": "6",
            "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "1000",
            "MONITOR_SERVER_RETRY_MS": "300",
        }
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, "server exited during start-up"
            time.sleep(0.05)  # polling a condition (port open) with a deadline
        raise TimeoutError("server did not come up")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class AppProcess:
    """The driver subprocess; its JSON lines are read by a thread into a queue."""

    def __init__(self, desktop: Desktop, server_url: str, config_dir: Path) -> None:
        env = {**desktop.env, "PYTHONPATH": str(ROOT), "MONITOR_CONFIG_DIR": str(config_dir)}
        env.pop("QT_QPA_PLATFORMTHEME", None)
        self.stderr_path = config_dir / "app.stderr"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.app_driver", "--", "--server", server_url, "--new-instance"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; last lines: {self.seen[-8:]}")
            try:
                msg = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(msg)
            if pred(msg):
                return msg

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def close(self) -> int:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("quit")
                    return self.proc.wait(20)
                except (BrokenPipeError, subprocess.TimeoutExpired):
                    self.proc.kill()
            return self.proc.wait(10)
        finally:
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self._stderr.close()


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    missing = missing_tools("sni")
    if missing:
        pytest.skip(f"needs a private X/D-Bus desktop with an SNI tray host; missing: {', '.join(missing)}")
    with Desktop(tray="sni") as desk:
        yield desk


def test_live_rows_failure_notification_click_and_restart(desktop: Desktop, tmp_path: Path) -> None:
    server = ServerProcess(_free_port(), tmp_path / "events.db", demo=True)
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
        with httpx.Client(base_url=server.url, timeout=10) as http:
            created = http.post("/api/tasks", json={"name": "e2e-interview.wav", "kind": "transcription"})
            assert created.status_code in (200, 201), created.text
            task_id = created.json()["id"]
            started = http.post(f"/api/tasks/{task_id}/events", json={"kind": "started", "worker": "e2e"})
            assert started.status_code in (200, 202), started.text
            failed = http.post(
                f"/api/tasks/{task_id}/events",
                json={"kind": "failed", "error": {"message": "CUDA out of memory", "detail": "GPU 0"}},
            )
            assert failed.status_code in (200, 202), failed.text

        def notified() -> list[Any]:
            return [n for n in desktop.notifications() if n.body.startswith("e2e-interview.wav")]

        deadline = time.monotonic() + 20
        while not notified() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the bus log for a condition, with a deadline
        [note] = notified()[:1] or [None]
        assert note is not None, f"no notification on the bus: {desktop.notifications()}"
        assert note.app == "Monitor"
        assert note.summary == "Task failed"
        assert note.body == "e2e-interview.wav: CUDA out of memory"
        assert note.urgency == 2  # critical: a failure stays until dismissed

        # Click it (dunst runs the default action) -> the app selects the task.
        assert desktop.dunstctl("action", "0").returncode == 0
        activated = app.wait_for(lambda m: m["ev"] == "activated", 15, "the click")
        # dunst's "action 0" clicks the newest notice: ours, unless a demo failure came just after.
        app.send("dump")
        failed_ids = {
            k
            for k, v in app.wait_for(lambda m: m["ev"] == "dump", 10, "dump")["tasks"].items()
            if v["state"] == "failed"
        }
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
        deadline = time.monotonic() + 30
        while True:
            app.send("dump")
            dump = app.wait_for(lambda m: m["ev"] == "dump", 10, "dump")
            snap = httpx.get(server.url + "/api/tasks", timeout=10).json()
            server_tasks = {t["id"]: (t["state"], t["attempt"]) for t in snap["tasks"]}
            app_tasks = {k: (v["state"], v["attempt"]) for k, v in dump["tasks"].items()}
            if server_tasks == app_tasks or time.monotonic() > deadline:
                break
        assert app_tasks == server_tasks
        assert "Live" in dump["indicator"]
    finally:
        code = app.close()
        server.stop()
    assert code == 0, (tmp_path / "app.stderr").read_text()[-3000:]
