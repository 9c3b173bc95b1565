"""Publish-to-receive latency at 1,000 events/s over 1,000 streams, ours against sse-starlette.

Run from the repository root::

    .venv/bin/python bench/bench_server_latency.py [--streams 1000] [--rate 1000] [--seconds 3]
        [--rounds 5] [--shards 2]

Per kind, one server process holds ``--streams`` streams from ``--shards`` client processes. Each
round the server publishes ``--rate`` events/s for ``--seconds`` s, each event targeted to the
next client round-robin (1,000 events/s *in total*, spread over the 1,000 streams: the load of a
monitor where each event concerns one client's task; broadcasting 1,000 events/s to 1,000
streams would be 1M deliveries/s, far beyond any single Python process, see
``bench_server_fanout.py`` for broadcast capacity). Every event carries its publish stamp
(``time.monotonic``, system wide); clients record receive - publish. Target: p50 <= 10 ms,
p99 <= 100 ms. ``--broadcast`` sends every event to every stream instead (use a lower
``--rate``: deliveries/s = rate x streams).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    ServerProc,
    Shard,
    client_ids,
    machine_info,
    open_shards,
    percentile,
    raise_nofile,
    ratio_line,
    summary,
)


def one_round(
    server: ServerProc,
    shards: list[Shard],
    targets: list[str],
    rate: int,
    seconds: float,
    k: int,
    streams: int,
) -> list[float]:
    """Latencies in ms of one paced round (k = events per stream after this round).

    ``targets`` empty = broadcast every event to all ``streams``.
    """
    reply = server.call("rate", timeout=seconds + 30, rate=rate, seconds=seconds, targets=targets)
    for s in shards:
        s.send("wait_count", k=k, timeout=30)
    done = sum(s.recv(60)["done"] for s in shards)
    if done != streams:
        raise RuntimeError(f"{server.kind}: only {done} streams got all {k} events")
    lat: list[float] = []
    for s in shards:
        s.send("latencies")
        lat += [x * 1000 for x in s.recv(60)["latencies"]]
    expected = reply["published"] * (1 if targets else streams)
    if len(lat) != expected:
        raise RuntimeError(f"{server.kind}: {len(lat)} latencies, expected {expected}")
    return lat


def main() -> int:
    """Run the rounds and print the summary and ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--rate", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--shards", type=int, default=2)
    p.add_argument(
        "--broadcast",
        action="store_true",
        help="send every event to every stream (rate x streams deliveries/s)",
    )
    args = p.parse_args()
    raise_nofile()
    print(machine_info())
    print(
        f"latency: {args.rate} events/s {'broadcast to' if args.broadcast else 'targeted round-robin over'} "
        f"{args.streams} streams, "
        f"{args.seconds} s x {args.rounds} rounds, {args.shards} client processes"
    )
    t0 = time.monotonic()
    p50: dict[str, list[float]] = {"monitor": [], "starlette": []}
    p99: dict[str, list[float]] = {"monitor": [], "starlette": []}
    servers = {kind: ServerProc(kind) for kind in p50}
    clients: dict[str, list[Shard]] = {}
    targets = [] if args.broadcast else client_ids(args.streams, args.shards)
    per_stream = round(args.rate * args.seconds) // (1 if args.broadcast else args.streams)
    try:
        for kind, server in servers.items():
            clients[kind] = open_shards(server.port, args.streams, args.shards, record=True)
        for r in range(args.rounds):
            for kind in ("monitor", "starlette") if r % 2 == 0 else ("starlette", "monitor"):
                lat = one_round(
                    servers[kind],
                    clients[kind],
                    targets,
                    args.rate,
                    args.seconds,
                    per_stream * (r + 1),
                    args.streams,
                )
                p50[kind].append(statistics.median(lat))
                p99[kind].append(percentile(lat, 99))
                print(
                    f"  round {r + 1} {kind:9s}: p50 {p50[kind][-1]:6.2f} ms, p99 {p99[kind][-1]:6.2f} ms, "
                    f"max {max(lat):6.1f} ms, n {len(lat)}",
                    flush=True,
                )
    finally:
        for shards in clients.values():
            for s in shards:
                s.close()
        for server in servers.values():
            server.close()
    for kind in p50:
        print(f"{kind:9s} p50 ms {summary(p50[kind], '{:.2f}')}; p99 ms {summary(p99[kind], '{:.2f}')}")
    o50, o99 = statistics.median(p50["monitor"]), statistics.median(p99["monitor"])
    print(ratio_line("latency p50", o50, statistics.median(p50["starlette"]), higher_is_better=False))
    print(ratio_line("latency p99", o99, statistics.median(p99["starlette"]), higher_is_better=False))
    ok = o50 <= 10 and o99 <= 100
    print(
        f"TARGET p50 <= 10 ms and p99 <= 100 ms: {'MET' if ok else 'MISSED'} (p50 {o50:.2f}, p99 {o99:.2f})"
    )
    print(f"elapsed {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
