"""Ingest without UI: the engine on the qasync loop vs plain asyncio vs headless Chromium.

Every client reads the same bytes from the same loopback server process: a fixed, realistic
stream built with the protocol's own ``encode_frame`` (10,000 ``task_created`` events with full
tasks, then 90 % ``task_progress`` and 10 % ``task_updated`` with full tasks, ids ``e1-<seq>``
like the reference server's). The server is a raw asyncio HTTP/1.1 server in a subprocess
(``--serve``) so that its CPU never competes with a client's GIL; it answers ``GET /s`` with the
stream (content-length, then close), ``GET /`` with the Chromium page and ``POST /result`` by
printing the page's figure to its stdout.

Clients, interleaved round by round (the machine's drift hits all of them alike):

* ``asyncio``: :class:`StreamEngine` on ``asyncio.run``; per read ``news.decode_news_batch``
  (pydantic validation straight from the JSON text) + ``TaskStore.apply``, i.e. what
  ``SSEService`` does minus emitting signals nobody listens to here.
* ``qasync``: the same engine and the same work on a ``qasync.QEventLoop`` over a
  ``QCoreApplication`` (the app's loop).
* ``qasync-validate``: the same without the store: decode + validate, what the Chromium target
  is about.
* ``chromium``: Debian's ``chromium --headless=new --no-sandbox`` loads ``GET /``; the page opens
  an ``EventSource`` on ``/s``, calls ``JSON.parse`` on each event and, at the last one, POSTs
  its elapsed time (``performance.now()`` from just before ``new EventSource``) back. Browser
  start-up is therefore outside the timed window, as is the Python clients' process start-up.
* ``qasync-json``: the engine on qasync with ``json.loads`` only (no validation, no store): the
  decode layer alone, to show where the gap to Chromium is.
* ``raw``: an asyncio socket that only counts bytes to EOF (the transfer cost; reference only).

Timed window for the Python clients: from just before ``engine.start()`` until the N-th event has
been applied, with the heap frozen before it (``gc.freeze()``) as the app does after start-up.
Printed: median/min/max events/s per client and the target ratios.

Run: ``.venv/bin/python bench/bench_ingest.py [--events N] [--rounds R] [--no-chromium]``
(``--repeat`` is an alias of ``--rounds``; about 40 s with the defaults.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["build_stream", "main"]

_TASKS = 10_000
_TYPES = ("task_created", "task_updated", "task_progress")


def build_stream(n: int, tasks: int = _TASKS) -> bytes:
    """The fixed benchmark stream: ``n`` events over ``tasks`` tasks (deterministic bytes)."""
    from monitor.core.protocol import encode_frame

    t0 = 1_790_000_000.0
    out: list[bytes] = [b"retry: 60000\n\n"]
    for seq in range(1, n + 1):
        i = (seq - 1) % tasks
        tid = f"job-{i:06d}"
        if seq <= tasks:
            etype = "task_created"
            data = json.dumps({"task": _task(tid, i, t0, 0.0, "queued")})
        elif seq % 10 == 0:
            etype = "task_updated"
            data = json.dumps({"task": _task(tid, i, t0, float(seq % 100), "running")})
        else:
            etype = "task_progress"
            progress = {"id": tid, "progress": float(seq % 100), "stage": "transcribing", "eta": 42.5}
            data = json.dumps(progress | {"at": t0 + seq})
        out.append(encode_frame(etype, data, id=f"e1-{seq}"))
    return b"".join(out)


def _task(tid: str, i: int, t0: float, progress: float, state: str) -> dict[str, object]:
    return {
        "id": tid,
        "name": f"interview-{i:06d}.wav",
        "kind": "transcribe",
        "state": state,
        "progress": progress,
        "stage": "transcribing" if state == "running" else None,
        "eta": 120.0 if state == "running" else None,
        "created_at": t0 + i,
        "started_at": t0 + i + 1 if state == "running" else None,
        "updated_at": t0 + i + 2,
        "attempt": 1,
        "worker": "gpu-1",
        "metadata": {"language": "en", "minutes": i % 90},
    }


# ---------------------------------------------------------------------- the server subprocess

_PAGE = """<!doctype html><meta charset="utf-8"><title>ingest</title><script>
const N = %d, TYPES = %s;
let count = 0, last = null;
const t0 = performance.now();
const es = new EventSource('/s');
function on(e) {
  last = JSON.parse(e.data);
  if (++count === N) {
    const ms = performance.now() - t0;
    es.close();
    fetch('/result', {method: 'POST', body: JSON.stringify({count: count, ms: ms})});
  }
}
for (const t of TYPES) es.addEventListener(t, on);
es.onerror = () => { if (count < N) fetch('/result', {method: 'POST',
  body: JSON.stringify({count: count, ms: -1, error: 'EventSource error'})}); };
</script>"""


def _serve(body_path: str, n: int) -> None:
    body = Path(body_path).read_bytes()
    page = (_PAGE % (n, json.dumps(list(_TYPES)))).encode()

    def response(ctype: bytes, payload: bytes) -> bytes:
        return (
            b"HTTP/1.1 200 OK\r\ncontent-type: " + ctype + b"\r\ncache-control: no-store\r\n"
            b"content-length: " + str(len(payload)).encode() + b"\r\nconnection: close\r\n\r\n" + payload
        )

    stream_head = response(b"text/event-stream", b"")
    html = response(b"text/html; charset=utf-8", page)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            parts = request.split()
            path = parts[1] if len(parts) > 1 else b"/"
            if path.startswith(b"/s"):
                writer.write(stream_head.replace(b"content-length: 0", b"content-length: %d" % len(body)))
                writer.write(body)
            elif path.startswith(b"/result"):
                print("RESULT " + (await reader.readexactly(length)).decode(), flush=True)
                writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
            elif path == b"/":
                writer.write(html)
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # a client that goes away mid-stream (Chromium closing) is normal here
        finally:
            writer.close()

    async def run() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        # Stop when the parent closes our stdin (no orphan server if the bench dies).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        server.close()

    asyncio.run(run())


class _Server:
    """The stream server subprocess and a thread that collects its stdout lines."""

    def __init__(self, body_path: str, n: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", body_path, "--events", str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self.lines.get(timeout=30)
        self.port = int(first.split()[1])

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def result(self, timeout: float) -> dict[str, float]:
        line = self.lines.get(timeout=timeout)
        return dict(json.loads(line.removeprefix("RESULT ")))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


# ---------------------------------------------------------------------- the Python clients


async def _engine_round(port: int, n: int, mode: str = "store") -> float:
    """One engine run to the n-th event; ``mode`` is ``json``, ``validate`` or ``store``."""
    from monitor.client.config import ClientConfig
    from monitor.client.engine import IncomingEvent, StreamEngine
    from monitor.core.news import decode_news_batch
    from monitor.core.store import TaskStore

    done = asyncio.Event()
    store = TaskStore()
    count = bad = 0
    now = time.time()
    validate = mode != "json"
    keep = mode == "store"

    def on_batch(events: list[IncomingEvent]) -> None:
        # SSEService._on_batch's work for task events, minus signals: validate, then reduce.
        nonlocal count, bad
        if validate:
            patches, errors = decode_news_batch(events, received_at=now)
            bad += len(errors)
            if keep:
                store.apply(patches)
        else:
            for ev in events:
                json.loads(ev.data)
        count += len(events)
        if count >= n:
            done.set()

    engine = StreamEngine(
        ClientConfig(url=f"http://127.0.0.1:{port}/s", reconnect_interval=60_000), fetch_snapshot=False
    )
    engine.on_batch(on_batch)
    # As the app does after start-up (monitor/app.py): what is alive now is long-lived, so full
    # collections need not walk it again and again during the run.
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()
    await engine.start()
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - t0
    gc.unfreeze()  # rounds stay independent
    await engine.aclose()
    if bad or (keep and len(store) != min(n, _TASKS)):
        raise RuntimeError(f"engine: {bad} events rejected, {len(store)} tasks")
    return elapsed


async def _raw_round(port: int) -> float:
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /s HTTP/1.1\r\nhost: x\r\n\r\n")
    while await reader.read(65536):
        pass
    writer.close()
    await writer.wait_closed()
    return time.perf_counter() - t0


def _qasync_runner() -> Callable[[int, int, str], float]:
    import qasync
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])

    def run(port: int, n: int, mode: str) -> float:
        loop = qasync.QEventLoop(app)
        try:
            return float(loop.run_until_complete(_engine_round(port, n, mode)))
        finally:
            loop.close()

    return run


def _chromium_round(server: _Server, exe: str, n: int) -> float:
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    proc = subprocess.Popen(
        [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", f"--user-data-dir={profile}",
         f"http://127.0.0.1:{server.port}/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        res = server.result(timeout=120)
    finally:
        # Chromium forks helpers into its own session: end that process group (ours alone).
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
    if res.get("ms", -1) < 0 or res.get("count") != n:
        raise RuntimeError(f"chromium: {res}")
    return float(res["ms"]) / 1000


def _breakdown(body: bytes, n: int) -> None:
    """Per-event cost of each stage on the same bytes, in-process (no socket): where time goes."""
    from monitor.core.news import TaskPatch, decode_news_batch
    from monitor.core.sse import SSEDecoder
    from monitor.core.store import TaskStore

    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    # The stage lists keep 100,000 objects alive at once, which the live engine never does: with
    # the cyclic GC on, its full collections would be charged to whichever stage triggers them.
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    dec = SSEDecoder()
    events = [ev for c in chunks for ev in dec.feed(c)]
    t1 = time.perf_counter()
    for ev in events:
        json.loads(ev.data)
    t2 = time.perf_counter()
    patches: list[TaskPatch] = []
    for i in range(0, len(events), 360):  # about one 64 KiB read each
        patches += decode_news_batch(events[i : i + 360], received_at=0.0)[0]
    t3 = time.perf_counter()
    TaskStore().apply(patches)
    t4 = time.perf_counter()
    gc.enable()
    stages = [("SSE decode", t1 - t0), ("decode_news_batch (validate)", t3 - t2), ("store.apply", t4 - t3)]
    total = (t1 - t0) + (t4 - t2)
    print(f"breakdown (in-process, one pass, GC off, {n} events): " + ", ".join(
        f"{k} {v / n * 1e6:.1f} us ({v / total:.0%})" for k, v in stages
    ) + f"; sum {total / n * 1e6:.1f} us/event = {n / total:,.0f} events/s"
      + f"; for scale, json.loads alone {(t2 - t1) / n * 1e6:.1f} us")  # fmt: skip


def _stats(name: str, n: int, times: list[float]) -> float:
    rates = [n / t for t in times]
    med = statistics.median(rates)
    spread = f"min {min(rates):,.0f}, max {max(rates):,.0f}, n={len(rates)}"
    print(f"{name:<15}: median {med:>10,.0f} events/s  ({spread})")
    return med


def _run(n: int, rounds: int, chromium: str | None) -> None:
    body = build_stream(n)
    with tempfile.NamedTemporaryFile(prefix="bench-ingest-", suffix=".sse", delete=False) as f:
        f.write(body)
    server = _Server(f.name, n)
    qrun = _qasync_runner()
    names = ("raw", "asyncio", "qasync", "qasync-validate", "qasync-json", "chromium")
    times: dict[str, list[float]] = {k: [] for k in names}
    try:
        for r in range(rounds):
            times["raw"].append(asyncio.run(_raw_round(server.port)))
            times["asyncio"].append(asyncio.run(_engine_round(server.port, n)))
            times["qasync"].append(qrun(server.port, n, "store"))
            times["qasync-validate"].append(qrun(server.port, n, "validate"))
            times["qasync-json"].append(qrun(server.port, n, "json"))
            if chromium:
                times["chromium"].append(_chromium_round(server, chromium, n))
            line = ", ".join(f"{k} {n / v[-1]:,.0f}/s" for k, v in times.items() if v)
            print(f"round {r + 1}/{rounds}: {line}", flush=True)
    finally:
        server.close()
        os.unlink(f.name)
    size = f"{len(body) / n:.0f} B/event, {len(body) / 1e6:.1f} MB"
    print(f"events={n} ({size}) rounds={rounds} cpus={os.cpu_count()}")
    med = {k: _stats(k, n, v) for k, v in times.items() if v}
    _breakdown(body, n)
    print(f"RATIO qasync/asyncio   = {med['qasync'] / med['asyncio']:.2f}x  (target >= 0.9)")
    if "chromium" in med:
        c = med["chromium"]
        judged = med["qasync-validate"] / c
        print(f"RATIO qasync-validate/chromium = {judged:.2f}x  (target >= 1.0: decode + validate)")
        print(f"RATIO qasync/chromium          = {med['qasync'] / c:.2f}x  (decode + validate + store)")
        print(f"RATIO asyncio/chromium         = {med['asyncio'] / c:.2f}x  (decode + validate + store)")
        print(f"RATIO qasync-json/chromium     = {med['qasync-json'] / c:.2f}x  (decode + json.loads only)")
    else:
        print("chromium: not run (not found or --no-chromium)")


def main() -> None:
    """Parse arguments and run the benchmark (or, with ``--serve``, be the stream server)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--rounds", "--repeat", type=int, default=5)
    p.add_argument("--no-chromium", action="store_true")
    p.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    p.add_argument("--serve", metavar="BODY", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.serve:
        _serve(a.serve, a.events)
        return
    _run(a.events, a.rounds, None if a.no_chromium else a.chromium)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
