"""The app with 100,000 tasks: snapshot fetched, validated, applied and the first frame painted.

The real :class:`monitor.app.DesktopApp` (offscreen, no D-Bus, a temporary ``--config-dir``)
connects to ``bench_app.py``'s raw loopback server in a subprocess, which answers
``GET /api/tasks`` with a snapshot of N running tasks (22 MB at 100,000) and then keeps the stream
open and quiet. Each round is a fresh app process (``--child``), so nothing is warm but the page
cache; its imports are outside the timed window.

Timed, in the app process (``time.perf_counter``):

* ``request``: the engine starts fetching the snapshot (``StreamEngine._get_snapshot`` entered);
* ``fetched+validated``: it returns the validated ``Snapshot`` (HTTP read + pydantic);
* ``applied``: ``SSEService._on_snapshot`` returns (store reconcile + change records + signals);
* ``painted``: the table's viewport finished its first paint with the snapshot's rows in the
  model (an event filter sees the paint event, a zero-delay timer the end of its dispatch).

The target is ``request -> painted`` <= 500 ms at 100,000 tasks (issue 16 item 2). Same-run
baselines: the same app and path with a 10-task snapshot (the fixed cost of a snapshot and a
paint), and ``json.loads`` of the same 100,000-task text in the bench process (a parse floor
with no validation and no app).

Run: ``.venv/bin/python bench/bench_app_snapshot.py [--tasks 100000] [--rounds 5]``
(about 10 s per round on a quiet machine.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

_STEPS = ("fetched+validated", "applied", "painted")


def _child(port: int, tasks: int, task_limit: int) -> None:
    """One fresh app: connect, wait for the populated first frame, print the timings as JSON."""
    import bench_app  # the app's set-up (same directory)
    from PySide6.QtCore import QEvent, QObject, QTimer

    from monitor.client.engine import StreamEngine
    from monitor.core.settings import AppSettings, save_model
    from monitor.services.sse_service import SSEService

    marks: dict[str, float] = {}
    done = asyncio.Event()

    get_snapshot = StreamEngine._get_snapshot

    async def timed_get(self: StreamEngine) -> Any:
        marks.setdefault("request", time.perf_counter())
        try:
            return await get_snapshot(self)
        finally:
            marks.setdefault("fetched+validated", time.perf_counter())

    on_snapshot = SSEService._on_snapshot

    def timed_apply(self: SSEService, snapshot: Any) -> None:
        try:
            on_snapshot(self, snapshot)
        finally:
            marks.setdefault("applied", time.perf_counter())

    StreamEngine._get_snapshot = timed_get  # type: ignore[method-assign]
    SSEService._on_snapshot = timed_apply  # type: ignore[method-assign]

    class PaintWatch(QObject):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
            if (
                event.type() == QEvent.Type.Paint
                and "painted" not in marks
                and self.model.rowCount() >= tasks
            ):
                QTimer.singleShot(0, self.painted)  # runs once this paint's dispatch is over
            return False

        def painted(self) -> None:
            if "painted" not in marks:
                marks["painted"] = time.perf_counter()
                done.set()

    config = tempfile.TemporaryDirectory(prefix="bench-app-snapshot-")
    settings = AppSettings(task_limit=max(task_limit, tasks))  # the whole snapshot stays
    save_model(settings, Path(config.name) / "settings.json")
    loop, desktop = bench_app.make_desktop(port, config.name)

    async def measure() -> None:
        marks["start"] = time.perf_counter()
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.built.wait(), 60)
        assert desktop.parts is not None
        watch = PaintWatch(desktop.parts.view.model)
        desktop.parts.view.table.viewport().installEventFilter(watch)
        desktop.parts.view.table.viewport().update()  # a paint after the rows arrive, if none is due
        try:
            await asyncio.wait_for(done.wait(), 120)
        finally:
            rows = desktop.parts.view.model.rowCount()
            desktop.quit(0)
            await run
        if rows < tasks:
            raise RuntimeError(f"only {rows} rows shown")

    try:
        with loop:
            loop.run_until_complete(measure())
    finally:
        asyncio.set_event_loop(None)
        config.cleanup()
    t0 = marks["request"]
    out = {k: (marks[k] - t0) * 1000 for k in _STEPS} | {"start->request": (t0 - marks["start"]) * 1000}
    print("RESULT " + json.dumps(out), flush=True)


def _round(port: int, tasks: int, task_limit: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--port", str(port), "--tasks", str(tasks),
         "--task-limit", str(task_limit)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line.removeprefix("RESULT ")))
    raise RuntimeError(f"child failed ({proc.returncode}): {proc.stderr[-2000:]}")


def _run(a: argparse.Namespace) -> None:
    import bench_app  # the paced raw server (same directory)

    big, small = bench_app._Server(a.tasks), bench_app._Server(10)
    text = json.dumps(
        {"tasks": [bench_app._task(i, 0.0) for i in range(a.tasks)], "cursor": "e1-0", "epoch": "e1"}
    )
    results: dict[str, list[dict[str, float]]] = {"big": [], "small": []}
    loads: list[float] = []
    try:
        for r in range(a.rounds):
            results["small"].append(_round(small.port, 10, a.task_limit))
            results["big"].append(_round(big.port, a.tasks, a.task_limit))
            t0 = time.perf_counter()
            json.loads(text)
            loads.append((time.perf_counter() - t0) * 1000)
            res = results["big"][-1]
            steps = ", ".join(f"{k} {res[k]:.0f} ms" for k in _STEPS)
            print(f"round {r + 1}/{a.rounds}: {a.tasks:,} tasks: {steps}; 10 tasks: "
                  f"painted {results['small'][-1]['painted']:.0f} ms; json.loads {loads[-1]:.0f} ms; "
                  f"loadavg {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    finally:
        big.close()
        small.close()
    print(f"tasks={a.tasks} rounds={a.rounds} cpus={os.cpu_count()} snapshot={len(text) / 1e6:.1f} MB")

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in results[kind])

    for kind, label in (("big", f"{a.tasks:,} tasks"), ("small", "10 tasks (baseline)")):
        for key in (*_STEPS, "start->request"):
            v = [r[key] for r in results[kind]]
            spread = f"(min {min(v):.0f}, max {max(v):.0f})"
            print(f"{label:<20} {key:<18}: median {med(kind, key):7.0f} ms  {spread}")
    print(f"json.loads of the same text (floor) : median {statistics.median(loads):7.0f} ms")
    total = med("big", "painted")
    verdict = "met" if total <= 500 else "MISSED"
    print(f"RATIO request->painted / 500 ms = {total / 500:.2f}  (target <= 1.0: {verdict})")
    print(f"RATIO request->painted / 10-task app = {total / med('small', 'painted'):.1f}x")
    print(f"RATIO request->painted / json.loads  = {total / statistics.median(loads):.1f}x")


def main() -> None:
    """Parse arguments and run the benchmark (or, with ``--child``, be one app run)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--task-limit", type=int, default=200_000, help="the app's task limit (Settings)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        _child(a.port, a.tasks, a.task_limit)
    else:
        _run(a)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
