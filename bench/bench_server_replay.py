"""Replay: 1,000 missed events after a reconnect, ours against sse-starlette (same run).

Run from the repository root::

    .venv/bin/python bench/bench_server_replay.py [--missed 1000] [--rounds 5] [--per-round 40]

Each server process is prefilled with ``--missed`` events (~200-byte JSON) while nobody is
connected. A client then reconnects with ``Last-Event-ID`` = the cursor before them, over and over
(``--per-round`` reconnects per round), and times connect -> last of the 1,000 events received.
The baseline is the common sse-starlette recipe with a list as its replay log (it has no replay
of its own). Target: all 1,000 delivered within 50 ms at p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    ServerProc,
    close_streams,
    machine_info,
    open_streams,
    percentile,
    ratio_line,
    summary,
    wait_for_counts,
)


async def reconnect(port: int, cursor: str, missed: int) -> float:
    """Seconds from connect to the last replayed event."""
    t0 = time.monotonic()
    (stream,) = await open_streams(port, 1, prefix="replay", last_event_id=cursor)
    try:
        if await wait_for_counts([stream], missed, timeout=10) != 1:
            raise RuntimeError(f"replay incomplete: {stream.count} of {missed}")
        return stream.last_at - t0
    finally:
        await close_streams([stream])


def main() -> int:
    """Run the rounds and print the summary and ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--missed", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--per-round", type=int, default=40)
    args = p.parse_args()
    print(machine_info())
    print(f"replay: {args.missed} missed events, {args.rounds} rounds x {args.per_round} reconnects")
    t0 = time.monotonic()
    times: dict[str, list[float]] = {"monitor": [], "starlette": []}
    p99_rounds: dict[str, list[float]] = {"monitor": [], "starlette": []}
    servers = {kind: ServerProc(kind) for kind in times}
    try:
        cursors = {}
        for kind, server in servers.items():
            server.call("prefill", n=1)  # so the cursor is a real event id, not an empty log
            cursors[kind] = server.call("prefill", n=args.missed)["cursor"]
            asyncio.run(reconnect(server.port, cursors[kind], args.missed))  # warm-up, not counted
        for r in range(args.rounds):
            for kind in ("monitor", "starlette") if r % 2 == 0 else ("starlette", "monitor"):
                port, cursor = servers[kind].port, cursors[kind]

                async def batch(port: int = port, cursor: str = cursor) -> list[float]:
                    return [await reconnect(port, cursor, args.missed) for _ in range(args.per_round)]

                ms = [t * 1000 for t in asyncio.run(batch())]
                times[kind] += ms
                p99_rounds[kind].append(percentile(ms, 99))
                print(
                    f"  round {r + 1} {kind:9s}: p50 {statistics.median(ms):6.1f} ms, "
                    f"p99 {percentile(ms, 99):6.1f} ms",
                    flush=True,
                )
    finally:
        for server in servers.values():
            server.close()
    for kind, ms in times.items():
        print(
            f"{kind:9s} all {len(ms)} reconnects: p50 {statistics.median(ms):.1f} ms, "
            f"p99 {percentile(ms, 99):.1f} ms; per-round p99 {summary(p99_rounds[kind])} ms"
        )
    ours = percentile(times["monitor"], 99)
    base = percentile(times["starlette"], 99)
    print(ratio_line("replay time p99", ours, base, higher_is_better=False))
    print(
        ratio_line(
            "replay time p50",
            statistics.median(times["monitor"]),
            statistics.median(times["starlette"]),
            higher_is_better=False,
        )
    )
    print(f"TARGET {args.missed} missed events within 50 ms p99: {'MET' if ours <= 50 else 'MISSED'}")
    print(f"elapsed {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
