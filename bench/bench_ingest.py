"""End-to-end ingest: events/s through StreamEngine (httpx + SSEDecoder + JSON + dispatch).

Baseline in the same run: a raw asyncio socket reader that only counts bytes to EOF, i.e. the
loopback transfer cost with no HTTP library, decoding or dispatch. One loopback server (raw
asyncio) sends N pre-built events then closes, so the server's cost is the same for both.

Run: ``.venv/bin/python bench/bench_ingest.py [--events N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from monitor.client.config import ClientConfig
from monitor.client.engine import IncomingEvent, StreamEngine

__all__ = ["main"]


def _body(n: int) -> bytes:
    parts = []
    for i in range(1, n + 1):
        data = json.dumps({"taskId": f"t{i % 500}", "state": "running", "progress": i % 100, "seq": i})
        parts.append(f"id: {i}\nevent: task.progress\ndata: {data}\n\n")
    return "".join(parts).encode()


async def _serve(body: bytes) -> asyncio.Server:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n"
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        writer.write(head + body)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def _raw(port: int) -> float:
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /s HTTP/1.1\r\nhost: x\r\n\r\n")
    while await reader.read(65536):
        pass
    writer.close()
    await writer.wait_closed()
    return time.perf_counter() - t0


async def _engine(port: int, n: int) -> float:
    done = asyncio.Event()
    count = 0

    def on_event(ev: IncomingEvent) -> None:
        nonlocal count
        json.loads(ev.data)  # the app parses every payload
        count += 1
        if count == n:
            done.set()

    engine = StreamEngine(
        ClientConfig(url=f"http://127.0.0.1:{port}/s", reconnect_interval=60_000), fetch_snapshot=False
    )
    engine.on_event(on_event)
    t0 = time.perf_counter()
    await engine.start()
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - t0
    await engine.aclose()
    return elapsed


async def _run(n: int, repeat: int) -> None:
    server = await _serve(_body(n))
    port = server.sockets[0].getsockname()[1]
    raw, eng = [], []
    for _ in range(repeat):
        raw.append(await _raw(port))
        eng.append(await _engine(port, n))
    server.close()
    await server.wait_closed()
    r, e = statistics.median(raw), statistics.median(eng)
    print(f"events={n} repeat={repeat}")
    print(f"raw socket reader : {n / r:12,.0f} events/s  (median {r * 1000:.1f} ms)")
    print(f"StreamEngine      : {n / e:12,.0f} events/s  (median {e * 1000:.1f} ms)")
    print(f"engine / raw      : {e / r:.1f}x the time")


def main() -> None:
    """Parse arguments and run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    asyncio.run(_run(a.events, a.repeat))


if __name__ == "__main__":
    main()
