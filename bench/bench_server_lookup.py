"""``GET /api/tasks/{id}`` at 100,000 logged events: the task index against the old log scan (same run).

Run from the repository root::

    .venv/bin/python bench/bench_server_lookup.py [--tasks 1000] [--events 100000] [--calls 200]

Builds a SQLite log (the server's default) of ``--events`` task events spread over ``--tasks``
tasks through the real ``TaskService``, then times, per call, what the detail route does:

* baseline: the scan the route did before (read the retained log in pages of 1,000 and keep the
  events naming the task; copied below as it was);
* ours: the route's lookup now (the task's sequence numbers from the index, one primary-key read,
  each record checked and parsed).

Both answer the same events (checked). Also printed: the start-up cost of building the index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine_info, ratio_line, summary
from monitor.core.protocol import TASK_EVENT_TYPES, EventRecord, TaskSubmit, WorkerReport, WorkerReportKind
from monitor.server.app import MonitorApp, create_app
from monitor.server.config import ServerConfig
from monitor.server.log import GONE
from monitor.server.routes.tasks import event_record
from monitor.server.sqlite_log import SqliteLog
from monitor.server.tasks import event_task_id


def old_scan(log: SqliteLog, task_id: str) -> list[EventRecord]:
    """The detail route's event list before the index (44ad83e), unchanged."""
    found: list[EventRecord] = []
    cursor: str | None = None
    needle = json.dumps(task_id)
    for _ in range(100):  # bounded: at most 100 pages of 1,000 events
        page = log.read_after(cursor, 1000)
        if page is GONE or not isinstance(page, list) or not page:
            break
        for rec in page:
            if rec.type in TASK_EVENT_TYPES and rec.target is None and needle in rec.data:
                ev = event_record(rec)
                data = ev.data if isinstance(ev.data, dict) else {}
                inner = data.get("task")
                ident = inner.get("id") if isinstance(inner, dict) else data.get("jobId", data.get("id"))
                if ident == task_id:
                    found.append(ev)
        cursor = page[-1].id
    return found[-200:]


def indexed(app: MonitorApp, task_id: str) -> list[EventRecord]:
    """What the route does now (routes/tasks.py ``task_detail``)."""
    out: list[EventRecord] = []
    for rec in app.log.read_seqs(app.tasks.event_seqs(task_id)):
        if rec.target is None:
            ev = event_record(rec)
            if event_task_id(rec.type, ev.data) == task_id:
                out.append(ev)
    return out


async def fill(app: MonitorApp, tasks: int, events: int) -> None:
    """``tasks`` tasks, then progress reports round-robin until ``events`` events are logged."""
    for t in range(tasks):
        await app.tasks.create(TaskSubmit(id=f"t{t}", name=f"{t}.wav"))
    for n in range(events - tasks):
        report = WorkerReport(kind=WorkerReportKind.PROGRESS, progress=float(n // tasks % 100), stage=f"s{n}")
        await app.tasks.apply_report(f"t{n % tasks}", report)
        if n % 1000 == 0:
            await asyncio.sleep(0)  # let the burst commit (the server's loop does this per request)
    app.log.flush()


def main() -> int:
    """Build the log, time both lookups, print the summary and the ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=1000)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--calls", type=int, default=200)
    args = p.parse_args()
    print(machine_info())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "server.sqlite3"
        config = ServerConfig(db=str(path), log_max_events=max(args.events, 1))
        app = create_app(config)
        t0 = time.perf_counter()
        asyncio.run(fill(app, args.tasks, args.events))
        print(f"filled {args.events} events over {args.tasks} tasks in {time.perf_counter() - t0:.1f} s")
        app.log.close()
        t0 = time.perf_counter()
        SqliteLog(path).close()  # the open alone: WAL header check, quick_check, schema
        print(f"open with quick_check: {(time.perf_counter() - t0) * 1000:.0f} ms")
        t0 = time.perf_counter()
        app = create_app(config)  # a restart: the index is built from the log here
        print(f"start-up with index build: {(time.perf_counter() - t0) * 1000:.0f} ms")
        log = app.log
        assert isinstance(log, SqliteLog)
        ids = [f"t{(i * 7919) % args.tasks}" for i in range(args.calls)]
        new_ms: list[float] = []
        for task_id in ids:
            t0 = time.perf_counter()
            indexed(app, task_id)
            new_ms.append((time.perf_counter() - t0) * 1000)
        old_ms: list[float] = []
        for task_id in ids[: max(3, args.calls // 40)]:  # the scan takes ~1 s per call
            t0 = time.perf_counter()
            want = old_scan(log, task_id)
            old_ms.append((time.perf_counter() - t0) * 1000)
            got = indexed(app, task_id)
            if [e.id for e in got] != [e.id for e in want]:
                raise SystemExit(f"answers differ for {task_id}: {len(got)} vs {len(want)} events")
        log.close()
    print(f"old scan   ms/call {summary(old_ms, '{:.1f}')}")
    print(f"index      ms/call {summary(new_ms, '{:.3f}')}")
    print(
        ratio_line(
            "GET /api/tasks/{id} at 100k events (ms/call)",
            statistics.median(new_ms),
            statistics.median(old_ms),
            higher_is_better=False,
            baseline="old log-scan",
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
