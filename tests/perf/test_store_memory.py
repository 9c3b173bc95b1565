"""Regression check: memory per task in the app's store stays within 1 KB (issue 16 item 3).

``bench/bench_store.py`` measures it at 100,000 tasks (2,017 B per task before the store's
records were slimmed, 988 B after). This test loads 5,000 tasks of the same snapshot through
the app's path (``Snapshot.model_validate_json`` + ``TaskStore.apply_snapshot``) and counts the
Python heap the store holds with ``tracemalloc``, exactly, so the bound can be tight: a deque per
record (760 B) or a copied metadata dict (184 B) would break it.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

from monitor.core.protocol import Snapshot
from monitor.core.store import TaskStore
from tests.perf.benchload import load_bench

TASKS = 5_000
BOUND = 1_024  # bytes per task


def test_store_holds_at_most_1_kb_per_task() -> None:
    text = load_bench("bench_store")._snapshot_json(TASKS)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        snapshot = Snapshot.model_validate_json(text)
        store = TaskStore()
        store.apply_snapshot(snapshot.tasks, received_at=time.time())
        del snapshot
        gc.collect()
        per_task = (tracemalloc.get_traced_memory()[0] - before) / TASKS
    finally:
        tracemalloc.stop()
    assert len(store) == TASKS
    print(f"store: {per_task:,.0f} B per task")
    assert per_task <= BOUND
