"""Replicas on Redis: fan-out and end-to-end latency with 1 replica vs 3, replay Redis vs SQLite.

Run from the repository root (needs ``redis-server`` and the ``[redis]`` extra)::

    .venv/bin/python bench/bench_replicas.py [--streams 300] [--rate 50] [--seconds 4] [--rounds 3]
        [--burst 200] [--missed 1000] [--reconnects 40]

Everything runs in this one command, so the figures compare within one run:

* one ``redis-server`` on 127.0.0.1 (no persistence: the cost measured is the engine's, not the
  disk's);
* **fan-out**: ``monitor serve --store redis://...`` as 1 replica, then as 3 replicas, each
  holding its share of ``--streams`` streams (clients connect to the replicas directly: the load
  balancer is not what is measured). A publisher thread in this process appends ``bench`` events
  to the shared log through its own :class:`~monitor.server.redis_log.RedisLog` (a replica
  without HTTP) at ``--rate`` events/s for ``--seconds`` s; every event goes to every stream.
  Reported: paced deliveries/s (streams x events / wall time from the first publish to the last
  receipt; it equals the offered load while the replicas keep up), publish-to-receive latency
  (``time.monotonic`` stamps, system wide) on every tenth stream, and the burst capacity: then
  ``--burst`` events published back to back, deliveries/s to the last receipt. On one 2-core
  machine three replicas share the same cores, so this shows the cost of the hop through Redis
  and of three processes, not the gain of three machines;
* **replay**: ``--missed`` events prefilled, then ``--reconnects`` reconnections with
  ``Last-Event-ID: earliest`` per round, each timed from connect to the last replayed event:
  one replica on Redis (served from its mirror) against ``monitor serve --db <file>`` (SQLite).
  Also timed: a cold ``XRANGE`` of the same events with redis-py and hiredis (what a replay
  straight from Redis would cost, and what a replica pays per page when it starts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    EVENT,
    StreamProto,
    close_streams,
    machine_info,
    open_streams,
    percentile,
    summary,
    wait_for_counts,
)
from tests.redis_server import RedisServer, fresh_prefix, redis_missing
from tests.scale.cluster import replicas
from tests.server.test_process import Proc

_PAD = "x" * 150


def _port(proc: Proc) -> int:
    return int(proc.url.rsplit(":", 1)[1])


def _publish(url: str, prefix: str, n: int, rate: float) -> threading.Thread:
    """Append ``n`` stamped events at ``rate``/s from a thread (a replica without HTTP)."""
    from monitor.server.redis_log import RedisLog

    log = RedisLog(url, prefix=prefix, max_events=100_000)

    def run() -> None:
        start = time.monotonic()
        for i in range(n):
            # Pacing the publisher to its rate, not synchronisation.
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            log.append(EVENT, json.dumps({"t": time.monotonic(), "i": i, "pad": _PAD}))
        log.close()

    thread = threading.Thread(target=run, name="publisher")
    thread.start()
    return thread


async def _fanout(
    url: str, procs: list[Proc], prefix: str, args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    """Rounds of broadcast publishing; returns (deliveries/s per round, latencies in ms)."""
    streams: list[StreamProto] = []
    share = args.streams // len(procs)
    for k, proc in enumerate(procs):
        streams += await open_streams(_port(proc), share, prefix=f"r{k}c")
    recorded = streams[::10]
    for s in recorded:
        s.record = True
    rates: list[float] = []
    per_round = int(args.rate * args.seconds)
    try:
        for r in range(args.rounds):
            t0 = time.monotonic()
            thread = _publish(url, prefix, per_round, args.rate)
            done = await wait_for_counts(streams, per_round * (r + 1), timeout=args.seconds * 10 + 30)
            await asyncio.to_thread(thread.join)
            if done != len(streams):
                raise RuntimeError(f"round {r}: only {done} of {len(streams)} streams got every event")
            wall = max(s.last_at for s in streams) - t0
            rates.append(len(streams) * per_round / wall)
        latencies = [x * 1000 for s in recorded for x in s.latencies]
        # Capacity: a burst published back to back, timed to the last receipt.
        for s in recorded:
            s.record = False
        t0 = time.monotonic()
        thread = _publish(url, prefix, args.burst, rate=1e9)
        total = per_round * args.rounds + args.burst
        done = await wait_for_counts(streams, total, timeout=120)
        await asyncio.to_thread(thread.join)
        if done != len(streams):
            raise RuntimeError(f"burst: only {done} of {len(streams)} streams got every event")
        burst = len(streams) * args.burst / (max(s.last_at for s in streams) - t0)
    finally:
        await close_streams(streams)
    return rates, latencies, burst


async def _replay(port: int, n: int, reconnects: int) -> list[float]:
    """Milliseconds from connect to the ``n``-th replayed event, per reconnect."""
    out: list[float] = []
    for _ in range(reconnects):
        t0 = time.monotonic()
        (stream,) = await open_streams(port, 1, prefix="replay", last_event_id="earliest")
        try:
            if await wait_for_counts([stream], n, timeout=10) != 1:
                raise RuntimeError(f"replay incomplete: {stream.count} of {n}")
            out.append((stream.last_at - t0) * 1000)
        finally:
            await close_streams([stream])
    return out


def _prefill_sqlite(path: Path, n: int) -> None:
    from monitor.server.sqlite_log import SqliteLog

    log = SqliteLog(path)
    for i in range(n):
        log.append(EVENT, json.dumps({"t": time.monotonic(), "i": i, "pad": _PAD}))
    log.close()


def _xrange_ms(url: str, prefix: str, n: int, times: int) -> list[float]:
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    out = []
    for _ in range(times):
        t0 = time.perf_counter()
        got = client.xrange(f"{prefix}:events", count=n)
        out.append((time.perf_counter() - t0) * 1000)
        assert len(got) == n
    client.close()
    return out


def _line(name: str, rates: list[float], lat: list[float], burst: float) -> str:
    return (
        f"{name}: paced deliveries/s {summary(rates, '{:.0f}')}; latency p50 "
        f"{statistics.median(lat):.2f} ms, p99 {percentile(lat, 99):.2f} ms (n {len(lat)});"
        f" burst capacity {burst:.0f} deliveries/s"
    )


def main() -> int:
    """Run every part and print the figures and RATIO lines."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--streams", type=int, default=300)
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--burst", type=int, default=200)
    p.add_argument("--missed", type=int, default=1000)
    p.add_argument("--reconnects", type=int, default=40)
    args = p.parse_args()
    reason = redis_missing()
    if reason is not None:
        print(f"skipped: {reason}")
        return 0
    print(machine_info())
    print(
        f"fan-out: {args.streams} streams, {args.rate:.0f} events/s x {args.seconds:.0f} s broadcast,"
        f" {args.rounds} rounds; replay: {args.missed} events x {args.reconnects} reconnects"
    )
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp_name:
        tmp = Path(tmp_name)
        server = RedisServer(tmp / "redis")
        server.start()
        try:
            results: dict[int, tuple[list[float], list[float], float]] = {}
            for n in (1, 3):
                prefix = fresh_prefix()
                with replicas(tmp / f"r{n}", server.url, prefix, n) as procs:
                    results[n] = asyncio.run(_fanout(server.url, procs, prefix, args))
                print(_line(f"{n} replica{'s' if n > 1 else ''}", *results[n]))
            prefix = fresh_prefix()
            done = _publish(server.url, prefix, args.missed, rate=1e9)
            done.join()
            with replicas(tmp / "replay", server.url, prefix, 1) as procs:
                redis_ms = asyncio.run(_replay(_port(procs[0]), args.missed, args.reconnects))
            xrange_ms = _xrange_ms(server.url, prefix, args.missed, args.reconnects)
            db = tmp / "replay.sqlite3"
            _prefill_sqlite(db, args.missed)
            sqlite_proc = Proc(db)
            try:
                sqlite_ms = asyncio.run(_replay(_port(sqlite_proc), args.missed, args.reconnects))
            finally:
                sqlite_proc.kill()
        finally:
            server.kill()
    for name, ms in (("Redis (mirror)", redis_ms), ("SQLite", sqlite_ms), ("cold XRANGE", xrange_ms)):
        p50, p99 = statistics.median(ms), percentile(ms, 99)
        print(f"replay {args.missed} from {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    (_, lat1, burst1), (_, lat3, burst3) = results[1], results[3]
    print(f"RATIO burst deliveries/s 3 replicas / 1: {burst3 / burst1:.2f}x")
    lat = percentile(lat3, 99) / percentile(lat1, 99)
    print(f"RATIO latency p99 3 replicas / 1: {lat:.2f}x (lower is better)")
    rep = percentile(redis_ms, 99) / percentile(sqlite_ms, 99)
    print(f"RATIO replay p99 Redis / SQLite: {rep:.2f}x (lower is better)")
    print(f"total {time.monotonic() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
