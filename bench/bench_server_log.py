"""Server measurements: event-log append cost, idle RSS per stream, HTTP fan-out. Loopback only.

Run from the repository root::

    .venv/bin/python bench/bench_server_log.py [--conns 2000] [--events 200]

Prints: event-log append cost (SQLite against the in-memory baseline, same process), idle RSS
per SSE connection of a ``monitor serve --db :memory:`` subprocess, and fan-out deliveries/s
for broadcast messages published over HTTP (client and server share the machine's cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitor.server.log import EventLog, MemoryLog
from monitor.server.sqlite_log import SqliteLog


def append_cost(n: int = 20_000) -> None:
    """Microseconds per append in bursts of 20 per loop iteration."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        makers = {
            "memory": lambda: MemoryLog(max_events=200_000),
            "sqlite": lambda: SqliteLog(Path(d) / "b.db"),
        }
        for name, make in makers.items():
            log: EventLog = make()

            async def burst(log: EventLog = log) -> float:
                t0 = time.perf_counter()
                for i in range(n):
                    log.append("task_progress", f'{{"id":"t{i % 10}","progress":{i % 100}}}')
                    if i % 20 == 19:
                        await asyncio.sleep(0)  # let the scheduled commit run, as on a busy server
                log.flush()
                return (time.perf_counter() - t0) / n * 1e6

            out[name] = asyncio.run(burst())
            log.close()
    print(
        f"append: memory {out['memory']:.2f} us/event, sqlite {out['sqlite']:.2f} us/event "
        f"(ratio {out['sqlite'] / out['memory']:.1f}x)"
    )


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _open_stream(port: int, cid: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(f"GET /api/tasks/stream HTTP/1.1\r\nHost: x\r\nX-Client-Id: {cid}\r\n\r\n".encode())
    await w.drain()
    await r.readuntil(b"retry:")
    return r, w


async def conns_and_fanout(proc: subprocess.Popen[bytes], port: int, n_conns: int, n_events: int) -> None:
    """Idle memory per connection, then broadcast fan-out throughput."""
    _, w = await _open_stream(port, "warm")
    w.close()
    await asyncio.sleep(0.5)  # settle (measurement, not synchronisation)
    base = _rss_kb(proc.pid)
    streams = []
    for i in range(0, n_conns, 200):
        batch = range(i, min(i + 200, n_conns))
        streams += await asyncio.gather(*(_open_stream(port, f"c{j}") for j in batch))
    await asyncio.sleep(1.0)
    loaded = _rss_kb(proc.pid)
    per = (loaded - base) / n_conns
    print(f"idle RSS: {per:.1f} KB per connection at {n_conns} (server {loaded / 1024:.0f} MB)")
    counts = [0] * n_conns
    done = asyncio.Event()

    async def reader(idx: int, rd: asyncio.StreamReader) -> None:
        while counts[idx] < n_events:
            chunk = await rd.read(65536)
            if not chunk:
                return
            counts[idx] += chunk.count(b"event: text")
        if all(c >= n_events for c in counts):
            done.set()

    tasks = [asyncio.create_task(reader(i, rd)) for i, (rd, _) in enumerate(streams)]
    _, pw = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"type": "text", "payload": "x" * 100}).encode()
    req = b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    req += b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    t0 = time.perf_counter()
    for _ in range(n_events):
        pw.write(req)  # pipelined; the server answers in order
    await pw.drain()
    await asyncio.wait_for(done.wait(), 120)
    dt = time.perf_counter() - t0
    total = n_events * n_conns
    shape = f"{n_events} events x {n_conns} streams"
    print(f"fan-out: {total} deliveries ({shape}) in {dt:.2f} s = {total / dt:,.0f}/s")
    for t in tasks:
        t.cancel()
    pw.close()
    for _, w in streams:
        w.close()


def main() -> None:
    """Parse flags and run every measurement."""
    p = argparse.ArgumentParser()
    p.add_argument("--conns", type=int, default=2000)
    p.add_argument("--events", type=int, default=200)
    args = p.parse_args()
    append_cost()
    env = {**os.environ, "MONITOR_SERVER_MAX_CONNECTIONS": str(args.conns + 10)}
    cmd = [sys.executable, "-m", "monitor", "serve", "--port", "0", "--db", ":memory:"]
    proc = subprocess.Popen([*cmd, "--log-level", "warning"], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    try:
        port = int(proc.stdout.readline().decode().strip().rsplit(":", 1)[1])
        asyncio.run(conns_and_fanout(proc, port, args.conns, args.events))
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stdout.close()


if __name__ == "__main__":
    main()
