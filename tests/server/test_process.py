"""``python -m monitor serve`` as a real subprocess: restart survival and SIGTERM drain."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monitor.core.protocol import TaskProgress, TaskSnapshotEvent
from monitor.server.log import parse_cursor
from tests.server.sse_helpers import RawSSE, until

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]

DRAIN_S = 2.0


class Proc:
    """A running ``monitor serve`` child."""

    def __init__(
        self, db: Path, *extra: str, env: dict[str, str] | None = None, module: str = "monitor"
    ) -> None:
        full_env = {**os.environ, "MONITOR_SERVER_DRAIN_TIMEOUT_S": str(DRAIN_S), **(env or {})}
        self.popen = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "serve",
                "--port",
                "0",
                "--db",
                str(db),
                "--log-level",
                "warning",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        assert self.popen.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.popen.stdout, selectors.EVENT_READ)
        line = b""
        deadline = time.monotonic() + 20
        while not line.endswith(b"\n"):
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                self.kill()
                raise AssertionError("server did not report its port")
            chunk = os.read(self.popen.stdout.fileno(), 1)
            if not chunk:
                raise AssertionError(
                    f"server exited: {self.popen.stderr.read() if self.popen.stderr else ''}"
                )
            line += chunk
        sel.close()
        self.url = line.decode().strip().rsplit(" ", 1)[-1]
        self.client = httpx.Client(base_url=self.url, timeout=20.0, trust_env=False)
        # The socket listens before the line is printed: this request waits in the backlog.
        try:
            assert self.client.get("/healthz").status_code == 200
        except (httpx.HTTPError, AssertionError):
            self.popen.kill()
            self.popen.wait(10)
            err = self.popen.stderr.read().decode(errors="replace") if self.popen.stderr else ""
            self.close()
            raise AssertionError(f"server not healthy: {err[-3000:]}") from None

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait(10)
        self.close()

    def close(self) -> None:
        self.client.close()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for p in started:
        if p.popen.poll() is None:
            p.kill()
        else:
            p.close()


def test_events_and_tasks_survive_sigkill_restart(tmp_path: Path, procs: list[Proc]) -> None:
    db = tmp_path / "server.sqlite3"
    first = Proc(db)
    procs.append(first)
    ids = [first.client.post("/api/tasks", json={"name": f"{i}.wav"}).json()["id"] for i in range(3)]
    first.client.post(f"/api/tasks/{ids[0]}/events", json={"kind": "started"})
    first.client.post(f"/api/tasks/{ids[0]}/events", json={"kind": "progress", "progress": 30.0})
    first.client.post(f"/api/tasks/{ids[1]}/events", json={"kind": "started"})
    first.client.post(f"/api/tasks/{ids[1]}/events", json={"kind": "failed", "error": {"message": "boom"}})
    before = first.client.get("/api/tasks").json()
    early = first.client.get("/api/tasks/poll", params={"limit": 1}).json()["lastEventId"]
    first.kill()  # SIGKILL: no graceful anything

    second = Proc(db)
    procs.append(second)
    after = second.client.get("/api/tasks").json()
    assert after == before  # same tasks, same states, same cursor and epoch
    page = second.client.get("/api/tasks/poll", params={"after": early}).json()
    assert page["reset"] is False
    assert page["lastEventId"] == before["cursor"]
    assert [e["type"] for e in page["events"]][-1] == "task_failed"
    new = second.client.post("/api/tasks", json={"name": "later.wav"})
    assert new.status_code == 201
    cursor = parse_cursor(second.client.get("/api/tasks").json()["cursor"])
    assert cursor is not None
    assert cursor[1] > parse_cursor(before["cursor"])[1]  # type: ignore[index]  # seq continues


@pytest.mark.asyncio
async def test_sigterm_drains_every_stream_and_loses_nothing(tmp_path: Path, procs: list[Proc]) -> None:
    db = tmp_path / "server.sqlite3"
    proc = Proc(db)
    procs.append(proc)
    streams = [await RawSSE(proc.url, headers={"X-Client-Id": f"c{i}"}).open() for i in range(3)]
    acknowledged: list[str] = []  # event ids of publishes the server answered with 2xx
    stop = threading.Event()

    def publisher() -> None:
        with httpx.Client(base_url=proc.url, timeout=5.0, trust_env=False) as pub:
            n = 0
            while not stop.is_set():
                try:
                    r = pub.post("/api/messages", json={"type": "json", "payload": {"n": n}})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code != 200:
                    return
                acknowledged.append(r.json()["eventId"])
                n += 1

    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    last_seen: list[str] = []
    try:
        firsts: list[str] = []
        for s in streams:
            ev = await s.next_event(10)  # retry line
            ev = await s.next_event(10)
            assert ev is not None
            assert ev.id is not None
            firsts.append(ev.id)
        await until(lambda: len(acknowledged) >= 20, 10, "the publisher to be under way")
        t0 = time.monotonic()
        proc.popen.send_signal(signal.SIGTERM)  # while the publisher is still posting
        for s, first_id in zip(streams, firsts, strict=True):
            last = first_id
            while True:
                ev = await s.next_event(DRAIN_S + 3)
                assert ev is not None, "stream ended without a shutdown event"
                if ev.type == "shutdown":
                    assert ev.retry is not None
                    break
                last = ev.id or last
            assert await s.next_event(DRAIN_S + 3) is None  # and then the server ends it
            last_seen.append(last)
        code = await asyncio.get_running_loop().run_in_executor(None, proc.popen.wait, DRAIN_S + 5)
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        for s in streams:
            await s.close()
        thread.join(10)
    assert code == 0
    assert elapsed < DRAIN_S + 2
    assert len(acknowledged) >= 20
    # Restart on the same database: every acknowledged event is there, and each client resumes
    # exactly after what it saw.
    again = Proc(db)
    procs.append(again)
    logged: list[str] = []
    after: str | None = None
    while True:
        params = {"limit": 1000, **({"after": after} if after else {})}
        page = again.client.get("/api/tasks/poll", params=params).json()
        if not page["events"]:
            break
        logged += [e["id"] for e in page["events"]]
        after = page["lastEventId"]
    assert set(acknowledged) <= set(logged)
    head = again.client.get("/api/tasks").json()["cursor"]
    for cursor in last_seen:
        page = again.client.get("/api/tasks/poll", params={"after": cursor, "limit": 1000}).json()
        assert page["reset"] is False
        seqs = [parse_cursor(e["id"])[1] for e in page["events"]]  # type: ignore[index]
        start = parse_cursor(cursor)[1]  # type: ignore[index]
        assert seqs == list(range(start + 1, start + 1 + len(seqs)))  # contiguous: nothing lost
        assert (page["events"][-1]["id"] if seqs else cursor) == head


def test_serve_demo_is_a_live_stream_for_curl(tmp_path: Path, procs: list[Proc]) -> None:
    """The README's run command: ``monitor serve --demo`` streams task events to ``curl -N``."""
    import shutil

    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed; the stream itself is covered by test_app's demo test")
    proc = Proc(tmp_path / "demo.sqlite3", "--demo", env={"MONITOR_SERVER_DEMO_SPEED": "20"})
    procs.append(proc)
    watcher = subprocess.Popen(
        [curl, "-sN", "--noproxy", "*", "-H", "X-Client-Id: curl", f"{proc.url}/api/tasks/stream"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert watcher.stdout is not None
    seen: dict[str, dict[str, object]] = {}
    lines: list[str] = []
    sel = selectors.DefaultSelector()
    sel.register(watcher.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.monotonic() + 15
    event = ""
    try:
        while not {"task_created", "task_progress"} <= seen.keys():
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                raise AssertionError(f"no task_created + task_progress from the demo; got {lines[:20]}")
            chunk = os.read(watcher.stdout.fileno(), 65536)
            assert chunk, f"curl's stream ended early: {lines[:20]}"
            buf += chunk
            *complete, buf = buf.split(b"\n")
            for raw in complete:
                line = raw.decode()
                lines.append(line)
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event:
                    seen.setdefault(event, json.loads(line[6:]))
    finally:
        sel.close()
        watcher.terminate()
        watcher.wait(10)
        watcher.stdout.close()
    assert lines[0].startswith("retry: ")
    created = TaskSnapshotEvent.model_validate(seen["task_created"])
    progress = TaskProgress.model_validate(seen["task_progress"])
    assert created.task.id.startswith("demo-")
    assert 0 <= progress.progress <= 100
    assert progress.stage  # demo jobs name their stage (uploading, transcribing, ...)


def test_tokens_never_reach_the_logs(tmp_path: Path, procs: list[Proc]) -> None:
    """Header and query tokens, right and wrong, with the access log on: none is ever printed."""
    good, wrong = "tok-GOOD-5f1c9e", "tok-WRONG-77ab30"
    proc = Proc(
        tmp_path / "auth.sqlite3",
        "--log-level",
        "info",
        env={"MONITOR_TOKENS": good, "MONITOR_SERVER_ALLOW_QUERY_TOKEN": "true"},
    )
    procs.append(proc)
    c = proc.client
    assert c.get("/api/tasks", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    assert c.get("/api/tasks", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert c.get("/api/tasks", params={"access_token": good, "x": "1"}).status_code == 200
    assert c.get("/api/tasks", params={"access_token": wrong}).status_code == 401
    assert c.get("/api/tasks/poll", params={"token": wrong, "after": "zz"}).status_code == 401
    marker = c.get("/api/tasks/poll?access_token=" + good + "&marker=end")
    assert marker.status_code == 200
    proc.popen.send_signal(signal.SIGTERM)
    assert proc.popen.wait(DRAIN_S + 5) == 0
    assert proc.popen.stderr is not None
    log = proc.popen.stderr.read().decode(errors="replace")
    assert "marker=end" in log  # the access log is on: the check below can fail
    assert "access_token=***" in log
    assert good not in log
    assert wrong not in log
