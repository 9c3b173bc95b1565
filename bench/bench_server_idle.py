"""Idle streams: memory and asyncio tasks per stream, ours against sse-starlette (same run).

Run from the repository root::

    .venv/bin/python bench/bench_server_idle.py [--streams 10000] [--rounds 5] [--shards 4]

Each round starts a fresh server process per kind (rounds alternate the kinds so both see the
same noise), warms it with 100 streams (kept open), records RSS and the task count, opens ``--streams`` idle
streams from ``--shards`` client processes, and records them again. Memory per stream is
(RSS loaded - RSS warm) / streams; tasks per stream likewise. Targets: >= 10,000 streams,
<= 16 KB and 1 task per stream.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ServerProc, machine_info, open_shards, raise_nofile, ratio_line, summary

WARM = 100


def one_round(kind: str, streams: int, shards: int) -> tuple[float, float]:
    """(KB per stream, tasks per stream) for one fresh server."""
    with ServerProc(kind) as server:
        # Warm-up streams stay open (closed ones linger until the next keep-alive write): they
        # pay for imports and first allocations and are excluded from the per-stream delta.
        clients = open_shards(server.port, WARM, 1)
        try:
            empty = server.call("tasks")
            assert empty["streams"] == WARM, empty
            rss0 = server.rss_kb()
            clients += open_shards(server.port, streams, shards)
            loaded = server.call("tasks", timeout=60)
            rss1 = server.rss_kb()
            if loaded["streams"] != streams + WARM:
                raise RuntimeError(f"{kind}: server holds {loaded['streams']} of {streams} streams")
            return (rss1 - rss0) / streams, (loaded["tasks"] - empty["tasks"]) / streams
        finally:
            # Shutdown is not measured here; killing first saves ~8 s per round (the monitor
            # server spends its 5 s drain timeout on 10,000 just-closed streams).
            server.kill()
            for c in clients:
                c.close()


def main() -> int:
    """Run the rounds and print the summary and ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--streams", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--shards", type=int, default=4)
    args = p.parse_args()
    raise_nofile()
    print(machine_info())
    print(f"idle: {args.streams} streams, {args.rounds} rounds, {args.shards} client processes")
    kb: dict[str, list[float]] = {"monitor": [], "starlette": []}
    tasks: dict[str, list[float]] = {"monitor": [], "starlette": []}
    t0 = time.monotonic()
    for r in range(args.rounds):
        for kind in ("monitor", "starlette") if r % 2 == 0 else ("starlette", "monitor"):
            k, t = one_round(kind, args.streams, args.shards)
            kb[kind].append(k)
            tasks[kind].append(t)
            print(f"  round {r + 1} {kind:9s}: {k:6.1f} KB/stream, {t:.2f} tasks/stream", flush=True)
    for kind in kb:
        print(f"{kind:9s} KB/stream {summary(kb[kind])}; tasks/stream {summary(tasks[kind], '{:.2f}')}")
    ours, base = statistics.median(kb["monitor"]), statistics.median(kb["starlette"])
    print(ratio_line("memory per idle stream", ours, base, higher_is_better=False))
    ok = ours <= 16.0 and max(tasks["monitor"]) <= 1.0
    print(f"TARGET <= 16 KB and 1 task per stream at {args.streams} streams: {'MET' if ok else 'MISSED'}")
    print(f"elapsed {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
