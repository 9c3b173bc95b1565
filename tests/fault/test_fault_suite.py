"""Issue 13 acceptance 4: the real engine through a fault-injecting proxy to a real ``monitor serve``.

``monitor serve`` runs as a subprocess on a SQLite file; the real :class:`StreamEngine` reads its
stream through :class:`~tests.fault.faultproxy.FaultProxy`, which resets, closes, cuts mid-event,
slows to one byte per write and stalls connections, each chosen by an RNG with a fixed seed
(``MONITOR_FAULT_SEED`` overrides it; every failure message prints it). The server is killed
with SIGKILL and restarted on the same port and file several times while a writer keeps
creating and advancing tasks. At the end the events the client delivered are compared with the
server's log, read from the SQLite file: nothing lost, nothing duplicated, nothing out of order,
nothing the log does not hold. Every stall must be noticed within heartbeat interval +
heartbeat timeout + 1 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import httpx
import pytest

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.protocol import EventType
from tests.fault.faultproxy import Fault, FaultProxy
from tests.waiting import until

pytestmark = [pytest.mark.asyncio, pytest.mark.slow, pytest.mark.timeout(180)]

SEED = int(os.environ.get("MONITOR_FAULT_SEED", "20261207"))
#: Faults to inject before the run ends, and SIGKILL restarts of the server among them.
MIN_FAULTS = 110
RESTARTS_AT = (30, 60, 90)
#: The client's watchdog: heartbeats every HEARTBEAT_MS from the server, dead after
#: HEARTBEAT_MS + TIMEOUT_MS of silence.
SERVER_HEARTBEAT_MS = 200
HEARTBEAT_MS = 250
TIMEOUT_MS = 250
#: The whole run (faults, restarts, catching up) must finish within this.
RUN_BOUND_S = 120.0

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """``monitor serve`` on a fixed port and SQLite file, killable with SIGKILL and restartable."""

    def __init__(self, port: int, db: Path) -> None:
        self.port, self.db = port, db
        self.url = f"http://127.0.0.1:{port}"
        self.proc: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "monitor",
            "serve",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={
                **os.environ,
                "MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": str(SERVER_HEARTBEAT_MS),
                "MONITOR_SERVER_RETRY_MS": "50",
                "MONITOR_SERVER_LOG_LEVEL": "warning",
            },
        )
        async with httpx.AsyncClient(timeout=1) as http:

            async def up() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return (await http.get(self.url + "/healthz")).status_code == 200
                return False

            deadline = time.monotonic() + 30
            while not await up():
                assert self.proc.returncode is None, "monitor serve exited during start-up"
                assert time.monotonic() < deadline, "monitor serve did not start in 30 s"
                await asyncio.sleep(0.05)  # polling for the port to open, bounded

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.kills += 1

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def _broadcast_log(db: Path) -> tuple[str, list[str]]:
    """The epoch and the ids of every event the log holds for all clients, in log order."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
        epoch = str(con.execute("SELECT value FROM meta WHERE key='epoch'").fetchone()[0])
        rows = con.execute("SELECT seq FROM events WHERE target IS NULL ORDER BY seq").fetchall()
    return epoch, [f"{epoch}-{seq}" for (seq,) in rows]


async def _writer(url: str, stop: asyncio.Event, rng: random.Random) -> int:
    """Create tasks and report progress until ``stop``; retry through restarts. Returns 2xx count."""
    ok = 0
    task_ids: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while not stop.is_set():
            try:
                if not task_ids or rng.random() < 0.2:
                    r = await http.post("/api/tasks", json={"name": f"fault-{ok}", "kind": "fault"})
                    if r.status_code == 201:
                        task_ids.append(str(r.json()["id"]))
                        await http.post(f"/api/tasks/{task_ids[-1]}/events", json={"kind": "started"})
                else:
                    tid = rng.choice(task_ids[-5:])
                    body = {"kind": "progress", "progress": rng.uniform(0, 99), "stage": f"step {ok}"}
                    r = await http.post(f"/api/tasks/{tid}/events", json=body)
                ok += r.status_code < 300
            except httpx.HTTPError:
                await asyncio.sleep(0.05)  # the server is being restarted: try again shortly
            await asyncio.sleep(0.005)  # a steady stream of news, not a flood
    return ok


async def test_no_event_lost_duplicated_or_reordered_under_faults_and_kill9(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    seed_note = f"fault seed {SEED} (rerun with MONITOR_FAULT_SEED={SEED})"
    server = _Server(_free_port(), tmp_path / "log.sqlite3")
    await server.start()
    started = time.monotonic()
    events: list[IncomingEvent] = []
    stop_writer = asyncio.Event()
    try:
        async with FaultProxy(server.port, rng) as proxy:
            proxy.calm = True  # the start is not under test: connected, with the first snapshot
            config = ClientConfig(
                url=f"http://127.0.0.1:{proxy.port}/api/tasks/stream",
                heartbeat_interval=HEARTBEAT_MS,
                heartbeat_timeout=TIMEOUT_MS,
                reconnect_interval=50,
                max_reconnect_interval=400,
                stable_after=100,
                jitter=0.0,
                connection_timeout=3000,
                fallback_to_polling=False,  # the stream is what is under test
            )
            engine = StreamEngine(config)
            engine.on_event(lambda ev: events.append(ev) if ev.type != EventType.HEARTBEAT else None)
            await engine.start()
            await until(lambda: engine.stats().connected and engine.stats().snapshots >= 1, 20, "connected")
            proxy.calm = False
            writer = asyncio.ensure_future(_writer(server.url, stop_writer, random.Random(SEED + 1)))
            try:
                for at in RESTARTS_AT:
                    await until(lambda at=at: proxy.faults >= at, RUN_BOUND_S, f"{at} faults ({seed_note})")
                    await server.kill9()
                    await server.start()
                await until(
                    lambda: proxy.faults >= MIN_FAULTS, RUN_BOUND_S, f"{MIN_FAULTS} faults ({seed_note})"
                )
                stop_writer.set()
                written = await asyncio.wait_for(writer, 10)
                # The tail: no more faults, the client catches up with the log's last event.
                proxy.calm = True
                _, log_ids = _broadcast_log(server.db)
                last = log_ids[-1]
                await until(
                    lambda: any(ev.id == last for ev in events[-50:]),
                    30,
                    f"the client to reach {last} ({seed_note})",
                )
                stats = engine.stats()
            finally:
                stop_writer.set()
                await engine.aclose()
                if not writer.done():
                    writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                    await writer
    finally:
        await server.stop()
    elapsed = time.monotonic() - started

    epoch, log_ids = _broadcast_log(server.db)
    got = [ev.id for ev in events]
    summary = (
        f"{seed_note}: {proxy.faults} faults {dict((f.value, n) for f, n in proxy.injected.items())}, "
        f"{server.kills} kill -9, {proxy.refused} connections refused while down, {written} writes, "
        f"{len(log_ids)} events in the log, {len(got)} delivered, reconnects {stats.reconnect_count}, "
        f"duplicates dropped by the engine {stats.duplicates_dropped}, snapshots {stats.snapshots}, "
        f"stream stalls detected in {[round(s, 2) for s in proxy.stall_detections]} s, other requests' "
        f"stalls in {[round(s, 2) for s in proxy.other_stall_detections]} s, run {elapsed:.1f} s"
    )
    print(summary)  # the figures docs/reliability.md quotes (pytest -s shows them)
    assert proxy.faults >= MIN_FAULTS, summary
    assert server.kills == len(RESTARTS_AT), summary
    assert all(Fault(kind) in proxy.injected for kind in Fault), (
        f"not every kind of fault was made: {summary}"
    )
    assert all(ev_id for ev_id in got), f"an event without an id: {summary}"
    duplicated = len(got) - len(set(got))
    lost = [i for i in log_ids if i not in set(got)]
    phantom = [i for i in got if i not in set(log_ids)]
    assert stats.snapshots == 1, f"a resync replaced events by a snapshot: {summary}"
    assert duplicated == 0, f"{duplicated} duplicated: {summary}"
    assert not lost, f"{len(lost)} lost (first {lost[:5]}): {summary}"
    assert not phantom, f"{len(phantom)} delivered but not in the log (first {phantom[:5]}): {summary}"
    seqs = [int(i.rsplit("-", 1)[1]) for i in got]
    out_of_order = sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
    assert out_of_order == 0, f"{out_of_order} out of order: {summary}"
    assert all(i.startswith(f"{epoch}-") for i in got), f"an id from another epoch: {summary}"
    # Stall detection: within heartbeat interval + heartbeat timeout + 1 s of the stall.
    bound = (HEARTBEAT_MS + TIMEOUT_MS) / 1000 + 1.0
    assert proxy.stall_detections, summary
    assert max(proxy.stall_detections) <= bound, f"a stall noticed after more than {bound} s: {summary}"
    assert elapsed < RUN_BOUND_S, summary
