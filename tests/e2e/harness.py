"""Subprocess helpers shared by the e2e test and the screenshot script.

* :class:`ServerProcess`: ``monitor serve`` on a fixed port, killable and restartable on the same
  port and log;
* :class:`AppProcess`: the real app under ``tests/e2e/app_driver.py``, its JSON lines read by a
  thread, commands written to its stdin.
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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.desktop import Desktop
from tests.waiting import stop_process

__all__ = ["ROOT", "AppProcess", "ServerProcess", "free_port", "wait_until"]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(cond: Callable[[], bool], timeout: float, what: str, step: float = 0.05) -> None:
    """Poll ``cond`` until it holds; TimeoutError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(step)  # polling a condition with a deadline, not synchronising on time


class ServerProcess:
    """``monitor serve`` as a subprocess that can be killed and restarted on the same port and db.

    Args:
        port: Port to bind (keep it across restarts).
        db: SQLite path, or ``":memory:"``.
        demo: Run the demo workload.
        env: Extra ``MONITOR_SERVER_*`` settings.
    """

    def __init__(
        self, port: int, db: Path | str, *, demo: bool, env: Mapping[str, str] | None = None
    ) -> None:
        self.port, self.db, self.demo = port, db, demo
        self.env = dict(env or {})
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait for ``/healthz``."""
        argv = [sys.executable, "-m", "monitor", "serve", "--port", str(self.port), "--db", str(self.db)]
        if self.demo:
            argv.append("--demo")
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.proc = proc

        def up() -> bool:
            assert proc.poll() is None, "server exited during start-up"
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 20, "the server")

    def fail_task(self, name: str, message: str, detail: str = "GPU 0: 23.6 GiB in use") -> str:
        """Submit a task and report it failed as it starts (a worker that could not load its model);
        return its id.

        No ``started`` report first: the demo fills the server's running limit, and a start
        beyond it is refused (409), while ``failed`` is accepted from any live state.
        """
        with httpx.Client(base_url=self.url, timeout=10) as http:
            created = http.post("/api/tasks", json={"name": name, "kind": "transcription"})
            created.raise_for_status()
            task_id = str(created.json()["id"])
            http.post(
                f"/api/tasks/{task_id}/events",
                json={"kind": "failed", "worker": "gpu-2", "error": {"message": message, "detail": detail}},
            ).raise_for_status()
        return task_id

    def kill(self) -> None:
        """SIGKILL: no shutdown event, whatever was in flight is cut."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM (graceful drain), SIGKILL if it does not exit."""
        if self.proc is not None:
            stop_process(self.proc)


class AppProcess:
    """The app under the driver; its JSON lines are read by a thread into a queue.

    Args:
        desktop: The private desktop whose environment the app runs in.
        server_url: Passed as ``--server`` (None: the servers of the settings file).
        config_dir: The app's settings folder; its stderr goes to ``app.stderr`` there.
        args: More of the app's own options (e.g. ``["--locale", "zh_CN"]``).
    """

    def __init__(
        self, desktop: Desktop, server_url: str | None, config_dir: Path, args: Sequence[str] = ()
    ) -> None:
        env = {**desktop.env, "PYTHONPATH": str(ROOT), "MONITOR_CONFIG_DIR": str(config_dir)}
        env.pop("QT_QPA_PLATFORMTHEME", None)
        self.stderr_path = config_dir / "app.stderr"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.e2e.app_driver",
                "--",
                *(["--server", server_url] if server_url is not None else []),
                "--new-instance",
                *args,
            ],
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
        """The next line satisfying ``pred``; TimeoutError (with the last lines) after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(msg)
            if pred(msg):
                return msg
        raise TimeoutError(f"timed out waiting for {what}; last lines: {self.seen[-8:]}")

    def send(self, command: str) -> None:
        """Write one driver command."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def ask(self, command: str, ev: str, timeout: float = 10) -> dict[str, Any]:
        """Send ``command`` and return the next line whose ``ev`` is ``ev``."""
        self.send(command)
        return self.wait_for(lambda m: m["ev"] == ev, timeout, command)

    def close(self) -> int:
        """Ask the app to quit (kill it if it does not); return its exit code."""
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
