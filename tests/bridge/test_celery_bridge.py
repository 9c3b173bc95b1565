"""``monitor bridge celery`` end to end: a real redis-server, a real Celery worker, a real ``monitor serve``.

Every part is a process of its own on loopback, started here: ``redis-server`` (the broker and
the result backend), ``celery worker`` (prefork, 2 children: ``revoke(terminate=True)`` needs a
pool that can kill a child) running tests/bridge/celery_tasks.py, ``monitor serve --token``, and
``monitor bridge celery`` (the CLI). Tasks are sent with Celery's own client; what the app would
see is read from the server's HTTP API, and the app's commands are posted to it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import httpx
import pytest

from tests.waiting import stop_process

pytest.importorskip(
    "celery", reason="celery is not installed (the 'celery' extra: pip install -e '.[celery]')"
)
pytest.importorskip(
    "redis", reason="redis-py is not installed (the 'celery' extra: pip install -e '.[celery]')"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("redis-server") is None, reason="redis-server is not installed (apt redis-server)"
    ),
    pytest.mark.timeout(240),
]

REPO = Path(__file__).resolve().parents[2]
TOKEN = "bridge-" + secrets.token_hex(8)
PREFIX = "tests.bridge.celery_tasks."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(
    cond: Callable[[], object], timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``cond`` until true (fixture set-up, outside any event loop); fail with ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if cond():
                return
        except Exception:  # noqa: BLE001 - not up yet (connection refused and friends)
            pass
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling a condition with a deadline


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc, 15)
    if proc.stdout is not None:
        proc.stdout.close()


@dataclass
class Stack:
    """The running parts."""

    broker: str
    server: str
    tasks: ModuleType
    logs: Path
    bridges: list[subprocess.Popen[bytes]]
    start_bridge: Callable[[], None]

    def stop_bridge(self) -> None:
        """Stop the running bridge (SIGTERM); it must exit cleanly."""
        bridge = self.bridges[-1]
        bridge.terminate()
        assert bridge.wait(15) == 0

    def gate(self, key: str) -> None:
        """Open a gate a task waits on."""
        import redis

        redis.Redis.from_url(self.broker).set(key, "1")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("bridge")
    procs: list[subprocess.Popen[bytes]] = []
    files: list[BinaryIO] = []
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}

    def start(name: str, cmd: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        out = (logs / f"{name}.log").open("wb")
        files.append(out)
        proc = subprocess.Popen(cmd, stdout=kw.pop("stdout", out), stderr=out, env=env, cwd=REPO, **kw)
        procs.append(proc)
        return proc

    try:
        port = _free_port()
        broker = f"redis://127.0.0.1:{port}/0"
        redis_proc = start(
            "redis",
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )
        import redis

        _wait(lambda: redis.Redis.from_url(broker).ping(), 20, "redis-server", redis_proc)
        env["BRIDGE_TEST_BROKER"] = broker
        os.environ["BRIDGE_TEST_BROKER"] = broker
        tasks = importlib.import_module("tests.bridge.celery_tasks")

        server_proc = start(
            "serve",
            [sys.executable, "-m", "monitor", "serve", "--port", "0", "--db", ":memory:", "--token", TOKEN],
            stdout=subprocess.PIPE,
        )
        assert server_proc.stdout is not None
        line = server_proc.stdout.readline().decode()
        assert "listening on" in line, line
        server = line.strip().rsplit(" ", 1)[-1]

        worker = start(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "tests.bridge.celery_tasks", "worker",
                "-P", "prefork", "-c", "2", "-n", "bridge-test@%h", "-l", "info",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
        )  # fmt: skip
        _wait(lambda: tasks.app.control.ping(timeout=0.5), 60, "the celery worker", worker)

        env["MONITOR_TOKEN"] = TOKEN  # the bridge's default --token-env
        headers = {"Authorization": f"Bearer {TOKEN}"}
        bridges: list[subprocess.Popen[bytes]] = []

        def start_bridge() -> None:
            cmd = [
                sys.executable,
                "-m",
                "monitor",
                "bridge",
                "celery",
                "--broker",
                broker,
                "--server",
                server,
            ]
            bridge = start(f"bridge-{len(bridges)}", cmd)
            bridges.append(bridge)
            # Celery's events go only to receivers connected at the time (nothing is kept for a
            # late one), so the bridge is up once a probe task sent after it connected is published.
            probes: list[str] = []

            def probe_published() -> bool:
                if any(
                    httpx.get(f"{server}/api/tasks/{p}", headers=headers).status_code == 200 for p in probes
                ):
                    return True
                probes.append(tasks.add.delay(0, len(probes)).id)
                time.sleep(0.5)  # give this probe its round trip before sending the next
                return False

            _wait(probe_published, 60, "the bridge to publish a probe task", bridge)

        start_bridge()
        yield Stack(
            broker=broker, server=server, tasks=tasks, logs=logs, bridges=bridges, start_bridge=start_bridge
        )
        assert bridges[-1].poll() is None, "the bridge died"
        assert redis_proc.poll() is None
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for file in files:
            file.close()
        os.environ.pop("BRIDGE_TEST_BROKER", None)


# ---------------------------------------------------------------------------- helpers


def _client(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=stack.server, headers={"Authorization": f"Bearer {TOKEN}", "X-Client-Id": "bridge-test-app"}
    )


async def _task_where(
    http: httpx.AsyncClient,
    task_id: str,
    cond: Callable[[dict[str, Any]], bool],
    what: str,
    timeout: float = 30,
) -> dict[str, Any]:
    """The task as the server has it, once ``cond`` holds (polled: the server is another process)."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: dict[str, Any] | None = None
    while True:
        response = await http.get(f"/api/tasks/{task_id}")
        if response.status_code == 200:
            last = response.json()["task"]
            if cond(last):
                return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; task: {last}")
        await asyncio.sleep(0.05)


async def _command(http: httpx.AsyncClient, action: str, task_id: str) -> dict[str, Any]:
    """Post a command as the app does and return its final view (status, result or error)."""
    command_id = f"c-{action}-{secrets.token_hex(4)}"
    response = await http.post(
        "/api/commands", json={"action": action, "taskId": task_id, "commandId": command_id}
    )
    assert response.status_code == 202, response.text
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        view = (await http.get(f"/api/commands/{command_id}")).json()
        if view["status"] not in ("accepted", "running"):
            return dict(view)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"command {action} never finished: {view}")
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------------------- tests


@pytest.mark.asyncio
async def test_a_task_is_published_with_state_worker_attempt_and_result(stack: Stack) -> None:
    sent = stack.tasks.add.delay(2, 3)
    async with _client(stack) as http:
        task = await _task_where(http, sent.id, lambda t: t["state"] == "completed", "add(2, 3) completed")
    assert task["name"] == PREFIX + "add"
    assert task["kind"] == "celery"
    assert task["result"] == 5
    assert task["progress"] == 100.0
    assert task["attempt"] == 1
    assert task["worker"].startswith("bridge-test@"), task
    assert task["metadata"]["executor"] == "celery"
    assert task["metadata"]["args"] == "(2, 3)"


@pytest.mark.asyncio
async def test_update_state_progress_reaches_the_server_while_the_task_runs(stack: Stack) -> None:
    key = "gate-" + secrets.token_hex(4)
    sent = stack.tasks.staged.delay(key)
    async with _client(stack) as http:
        running = await _task_where(
            http, sent.id, lambda t: t["progress"] == 40.0, "the PROGRESS state's 40 %", timeout=30
        )
        assert running["state"] == "running"
        assert running["stage"] == "encoding"
        stack.gate(key)
        done = await _task_where(http, sent.id, lambda t: t["state"] == "completed", "staged completed")
    assert done["result"] == {"frames": 3, "ok": True}


@pytest.mark.asyncio
async def test_a_failure_carries_the_error_and_retry_from_the_app_resends_the_same_arguments(
    stack: Stack,
) -> None:
    key = "input-" + secrets.token_hex(4)
    sent = stack.tasks.needs_input.delay(key)
    async with _client(stack) as http:
        failed = await _task_where(http, sent.id, lambda t: t["state"] == "failed", "needs_input failed")
        assert "ValueError" in failed["error"]["message"]
        assert "input not there yet" in failed["error"]["message"]
        assert "Traceback" in (failed["error"]["detail"] or "")
        stack.gate(key)  # the input is there now: the same arguments succeed
        view = await _command(http, "retry", sent.id)
        assert view["status"] == "succeeded", view
        done = await _task_where(
            http, sent.id, lambda t: t["state"] == "completed", "the retried run completed"
        )
    assert done["attempt"] == 2
    assert done["result"] == "done with input"
    assert done["error"] is None


@pytest.mark.asyncio
async def test_celerys_own_retry_is_a_new_attempt(stack: Stack) -> None:
    sent = stack.tasks.flaky.delay()
    async with _client(stack) as http:
        done = await _task_where(http, sent.id, lambda t: t["state"] == "completed", "flaky completed")
    assert done["attempt"] == 2
    assert done["result"] == "second attempt"


@pytest.mark.asyncio
async def test_cancel_from_the_app_revokes_and_terminates_the_running_task(stack: Stack) -> None:
    key = "never-" + secrets.token_hex(4)  # never opened: only the revoke ends this task
    sent = stack.tasks.sleepy.delay(key)
    async with _client(stack) as http:
        await _task_where(http, sent.id, lambda t: t["state"] == "running", "sleepy running")
        view = await _command(http, "cancel", sent.id)
        assert view["status"] == "succeeded", view
        task = await _task_where(http, sent.id, lambda t: t["state"] == "cancelled", "sleepy cancelled")
    assert task["stage"] == "terminated"
    # Celery agrees: the result backend has it revoked, not finished.
    assert stack.tasks.app.AsyncResult(sent.id).state == "REVOKED"


@pytest.mark.asyncio
async def test_what_celery_cannot_do_is_refused_with_the_reason(stack: Stack) -> None:
    key = "pause-" + secrets.token_hex(4)
    running = stack.tasks.sleepy.delay(key)
    long_key = "k" * 1500  # its repr is cut at 1,024 characters in Celery's events
    failed = stack.tasks.needs_input.delay(long_key)
    async with _client(stack) as http:
        await _task_where(http, running.id, lambda t: t["state"] == "running", "sleepy running")
        view = await _command(http, "pause", running.id)
        assert view["status"] == "rejected", view
        assert "Celery cannot pause" in view["error"]
        await _task_where(http, failed.id, lambda t: t["state"] == "failed", "the long-argument task failed")
        view = await _command(http, "retry", failed.id)
        assert view["status"] == "rejected", view
        assert "arguments are not plain values" in view["error"]
        task = await _task_where(http, failed.id, lambda t: True, "the refused task")
        assert task["state"] == "failed"  # a refusal changes nothing
        assert task["attempt"] == 1
        stack.gate(key)
        await _task_where(
            http, running.id, lambda t: t["state"] == "completed", "sleepy completed after the gate"
        )


@pytest.mark.asyncio
async def test_a_bridge_started_late_adopts_the_task_already_running(stack: Stack) -> None:
    stack.stop_bridge()
    key = "late-" + secrets.token_hex(4)
    sent = stack.tasks.sleepy.delay(key)  # starts while no bridge listens: its events are gone

    def running_in_a_worker() -> bool:
        active = stack.tasks.app.control.inspect(timeout=1.0).active() or {}
        return any(info["id"] == sent.id for infos in active.values() for info in infos)

    await asyncio.to_thread(_wait, running_in_a_worker, 30, "sleepy running in the worker")
    async with _client(stack) as http:
        assert (await http.get(f"/api/tasks/{sent.id}")).status_code == 404
        await asyncio.to_thread(stack.start_bridge)  # lists the workers' tasks as it starts
        task = await _task_where(http, sent.id, lambda t: t["state"] == "running", "the adopted task running")
        assert task["name"] == PREFIX + "sleepy"
        assert task["worker"].startswith("bridge-test@")
        assert task["metadata"]["args"] == repr((key,))
        stack.gate(key)
        await _task_where(http, sent.id, lambda t: t["state"] == "completed", "the adopted task completed")
