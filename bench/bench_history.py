"""Local history at 100,000 finished tasks: reading it back, and the table's actions on it.

Run::

    .venv/bin/python bench/bench_history.py [--tasks 100000] [--rounds 3]

Each round writes ``--tasks`` finished tasks to a fresh history file (as the app does: JSON rows,
one transaction), then times, in the same process:

- ``read``: ``HistoryService.start()`` (SQLite read, retention, validation of every row);
- ``load``: ``TaskStore.load_kept`` (the rows into the store, kept and provisional);
- the baseline ``snapshot``: ``TaskStore.apply_snapshot`` of the same tasks as a server snapshot
  (what start-up costs without history);
- ``sort`` / ``filter``: re-sorting by Name and filtering on "failed" over the store with the
  history *and* ``--live`` tasks from a server snapshot in it (issue 16: 100,000 live rows plus
  100,000 history rows; the table's action budget is 100 ms each).

RATIO history (read + load) / snapshot says what the history adds to a start at this size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.core.gc_pause import gc_paused
from monitor.core.history import task_json
from monitor.core.protocol import Task, TaskState
from monitor.core.query import QuerySyntaxError, parse_query
from monitor.core.store import StateGroup, TaskRecord, TaskStore
from monitor.services.history import HistoryService

URL = "http://127.0.0.1:8765/api/tasks/stream"


def tasks(n: int, prefix: str = "h", states: tuple[TaskState, ...] = ()) -> list[Task]:
    states = states or (TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED)
    return [
        Task(
            id=f"{prefix}{i}",
            name=f"recording-{i:06d}.wav",
            state=states[i % len(states)],
            progress=100.0 if states[i % len(states)] is not TaskState.RUNNING else float(i % 100),
            created_at=1_700_000_000.0 + i,
            finished_at=1_700_000_100.0 + i,
            worker=f"gpu-{i % 8}",
        )
        for i in range(n)
    ]


async def one_round(n: int, live: int, folder: Path) -> dict[str, float]:
    listed = tasks(n)
    path = folder / f"h{time.perf_counter_ns()}.sqlite3"
    writer = HistoryService(path, URL)
    await writer.start()
    writer.record(
        (t.id, task_json(TaskRecord(id=t.id, name=t.name, state=t.state, progress=100.0))) for t in listed
    )
    await writer.aclose()
    out: dict[str, float] = {}
    reader = HistoryService(path, URL)
    t0 = time.perf_counter()
    kept, _ = await reader.start()
    out["read"] = time.perf_counter() - t0
    await reader.aclose()
    store = TaskStore()
    t0 = time.perf_counter()
    with gc_paused():  # as the app does for both
        store.load_kept(kept, received_at=1.0)
    out["load"] = time.perf_counter() - t0
    baseline = TaskStore()
    t0 = time.perf_counter()
    with gc_paused():
        baseline.apply_snapshot(listed, received_at=1.0)
    out["snapshot"] = time.perf_counter() - t0
    with gc_paused():
        store.apply_snapshot(
            tasks(live, "s", (TaskState.RUNNING, TaskState.QUEUED, TaskState.COMPLETED)), received_at=2.0
        )
    assert len(store) == n + live, len(store)
    store.view_rows()
    t0 = time.perf_counter()
    store.set_sort("name")
    store.view_rows()
    out["sort"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    query = parse_query("state:failed")
    assert not isinstance(query, QuerySyntaxError)
    store.set_filter(StateGroup.ALL, query)
    store.view_rows()
    out["filter"] = time.perf_counter() - t0
    assert len(kept) == n, len(kept)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--live", type=int, default=100_000, help="tasks from a server snapshot besides")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            rounds.append(asyncio.run(one_round(args.tasks, args.live, Path(tmp))))
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    for key, value in med.items():
        rows = f"{args.tasks + args.live:,} rows" if key in ("sort", "filter") else f"{args.tasks:,} tasks"
        print(f"{key:9s} {value * 1000:9.1f} ms  (median of {args.rounds}, {rows})")
    history = med["read"] + med["load"]
    print(f"RATIO history (read + load) / snapshot apply = {history / med['snapshot']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
