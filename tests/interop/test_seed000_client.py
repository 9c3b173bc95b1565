"""Seed 000's own client code, run unmodified in node, against a real ``monitor serve`` process.

The ``SSEService`` class is the "核心实现" section's code block of ``sse-service.md``, extracted
byte for byte (bugs included) into ``seeds/seed000_sse_service.js`` by ``python -m
tests.interop.seeds.extract`` (committed: a clean clone has no seed documents;
``test_seed_extraction.py`` checks the copy against the document wherever it is available).
``seed000_client_harness.mjs`` is the only glue (the ``eventsource`` npm package as the global
``EventSource``, a ``window.location.origin``), each line commented. What the seed's store reads
must be there (``jobId``, ``progress``, ``result``, ``error``), its dedup on ``data.id`` must
drop nothing distinct, and its polling fallback (``/poll`` with a ``Last-Event-ID`` header) must
page past the first 100 events.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.interop.conftest import NodeModules
from tests.server.test_process import Proc
from tests.waiting import stop_process

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX subprocesses")]

HERE = Path(__file__).parent
SEED = HERE / "seeds" / "seed000_sse_service.js"
HARNESS = HERE / "seed000_client_harness.mjs"
#: The event types the seed listens to (``registerCustomEvents``), heartbeat aside.
SEED_TYPES = frozenset({"task_progress", "task_complete", "task_failed"})
WAIT_S = 30.0


def seed_source() -> str:
    """The seed's ``SSEService`` module as written (the committed extract)."""
    code = SEED.read_text(encoding="utf-8")
    assert "class SSEService extends EventEmitter" in code
    return code


class SeedClient:
    """The seed's client running in node; collects the harness's ``@@`` reports."""

    def __init__(self, modules: NodeModules, workdir: Path, stream_url: str, config: dict[str, Any]) -> None:
        (workdir / "sseService.mjs").write_text(seed_source(), encoding="utf-8")
        (workdir / "harness.mjs").write_text(HARNESS.read_text(encoding="utf-8"), encoding="utf-8")
        # ES modules ignore NODE_PATH: they find packages in a node_modules next to (or above) them.
        (workdir / "node_modules").symlink_to(modules.path, target_is_directory=True)
        self.facts: list[dict[str, Any]] = []
        self.output: list[str] = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [modules.node, "harness.mjs", stream_url, json.dumps(config)],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=modules.env(),
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # drained all along: the seed logs every event
            with self._lock:
                if line.startswith("@@"):
                    self.facts.append(json.loads(line[2:]))
                else:
                    self.output.append(line)
                    del self.output[:-200]

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f for f in self.facts if f["kind"] == "event"]

    def statuses(self) -> list[str]:
        with self._lock:
            return [f["new"] for f in self.facts if f["kind"] == "status"]

    def wait(self, what: str, predicate: Any) -> None:
        deadline = time.monotonic() + WAIT_S
        while not predicate():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"node exited ({self.proc.returncode}) waiting for {what}: {self.tail()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {WAIT_S:g} s: {self.tail()}")
            time.sleep(0.02)  # polling a condition fed by another process, not synchronising on time

    def tail(self) -> str:
        with self._lock:
            return "".join(self.output[-20:])

    def close(self) -> None:
        stop_process(self.proc)
        self._reader.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Proc]:
    proc = Proc(tmp_path / "server.sqlite3", env={"MONITOR_SERVER_MAX_CONNECTIONS": "1"})
    yield proc
    if proc.popen.poll() is None:
        proc.kill()
    else:
        proc.close()


def logged(client: httpx.Client) -> list[dict[str, Any]]:
    """Every event the server logged, read with Monitor's own poll cursor (``after``)."""
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = client.get(
            "/api/tasks/poll", params={"limit": 1000, **({"after": after} if after else {})}
        ).json()
        assert page["reset"] is False
        if not page["events"]:
            return out
        out += page["events"]
        after = page["lastEventId"]


def workload(client: httpx.Client, tasks: int) -> None:
    """Each task: created, started, three progress reports, then completed (even) or failed (odd)."""
    for i in range(tasks):
        tid = client.post("/api/tasks", json={"name": f"{i}.wav"}).json()["id"]
        client.post(f"/api/tasks/{tid}/events", json={"kind": "started"})
        for pct in (25.0, 50.0, 75.0):
            client.post(f"/api/tasks/{tid}/events", json={"kind": "progress", "progress": pct})
        if i % 2 == 0:
            client.post(f"/api/tasks/{tid}/events", json={"kind": "completed", "result": {"words": i}})
        else:
            client.post(
                f"/api/tasks/{tid}/events", json={"kind": "failed", "error": {"message": f"boom {i}"}}
            )


def test_seed_client_streams_every_event_with_the_fields_it_reads(
    node_modules: NodeModules, server: Proc, tmp_path: Path
) -> None:
    seed = SeedClient(node_modules, tmp_path, f"{server.url}/api/tasks/stream", {})
    try:
        seed.wait("connected", lambda: "connected" in seed.statuses())
        workload(server.client, 30)
        sent = [e for e in logged(server.client) if e["type"] in SEED_TYPES]
        assert len(sent) == 30 * 4  # 3 progress + 1 outcome per task: the seed must process each
        seed.wait(f"{len(sent)} events", lambda: len(seed.events()) >= len(sent))
        got = seed.events()
        assert [(e["type"], e["data"]["id"]) for e in got] == [(e["type"], e["id"]) for e in sent]
        assert len({e["data"]["id"] for e in got}) == len(sent), "dedup on data.id dropped nothing distinct"
        by_type = {t: [e["data"] for e in got if e["type"] == t] for t in SEED_TYPES}
        assert {d["progress"] for d in by_type["task_progress"]} == {25.0, 50.0, 75.0}
        assert all(isinstance(d["jobId"], str) and d["jobId"] for e in got for d in [e["data"]])
        assert sorted(d["result"]["words"] for d in by_type["task_complete"]) == list(range(0, 30, 2))
        assert sorted(d["error"] for d in by_type["task_failed"]) == sorted(
            f"boom {i}" for i in range(1, 30, 2)
        )
        assert seed.statuses() == ["connecting", "connected"], "streamed throughout, never failed over"
    finally:
        seed.close()


def test_seed_client_polls_past_the_first_hundred_when_the_stream_is_refused(
    node_modules: NodeModules, server: Proc, tmp_path: Path
) -> None:
    workload(server.client, 40)  # 6 events a task: 240 logged, well past one poll page of 100
    sent = logged(server.client)
    assert len(sent) == 240
    # The server allows one stream (MONITOR_SERVER_MAX_CONNECTIONS=1) and that one is taken: the
    # seed's EventSource gets 503, and with its own config (one reconnect) it falls back to polling.
    with server.client.stream("GET", "/api/tasks/stream") as held:
        assert held.status_code == 200
        config = {"maxReconnectAttempts": 1, "reconnectInterval": 50, "pollingInterval": 50}
        seed = SeedClient(node_modules, tmp_path, f"{server.url}/api/tasks/stream", config)
        try:
            seed.wait(f"{len(sent)} polled events", lambda: len(seed.events()) >= len(sent))
            got = seed.events()
            assert [(e["type"], e["data"].get("id")) for e in got] == [
                (e["type"], e["data"].get("id")) for e in sent
            ]
            assert [e["data"]["id"] for e in got] == [e["id"] for e in sent]
            assert "failed" in seed.statuses(), "it reached the data by polling, not by streaming"
            assert "connected" not in seed.statuses()
        finally:
            seed.close()
