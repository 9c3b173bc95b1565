"""Task table under a flood of progress events: naive dynamic proxy vs our batched store model.

Run (one command, offscreen, both implementations in the same process, alternating rounds)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_table.py [--rows 10000] [--rounds 5]

Baseline ("naive"): a plain ``QAbstractTableModel`` over a list, wrapped in a
``QSortFilterProxyModel`` with ``dynamicSortFilter`` (sorted by progress, filtered on a state
column), emitting ``dataChanged`` for every event - the obvious Qt recipe.
Ours: :class:`TaskTableModel` over :class:`TaskStore` (Python sort/filter, 10 Hz batched flush,
one layout change per flush).

Both get the same events, delivered in chunks (``--chunk`` events per event-loop callback, like
network reads) for ``--seconds`` per round, into a shown ``QTableView``. A 1 ms precise QTimer
records the longest gap between its ticks: the worst main-thread stall the user would feel.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QEventLoop,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import QApplication, QTableView

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.core.store import StateGroup, TaskStore
from monitor.ui.task_model import TaskColumn, TaskTableModel

FREEZE_GC = False
_STATES = [TaskState.RUNNING, TaskState.QUEUED, TaskState.PAUSED, TaskState.COMPLETED]


class NaiveModel(QAbstractTableModel):
    """The baseline: rows in a list, one dataChanged per event."""

    COLS = 3  # name, state, progress

    def __init__(self, rows: list[list[Any]]) -> None:
        super().__init__()
        self.rows = rows
        self.row_of = {r[0]: i for i, r in enumerate(rows)}

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLS

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole):
            value = self.rows[index.row()][index.column()]
            return value if role == Qt.ItemDataRole.UserRole or index.column() != 2 else f"{value:.0f}%"
        return None

    def update(self, task_id: str, progress: float) -> None:
        row = self.row_of[task_id]
        self.rows[row][2] = progress
        self.dataChanged.emit(self.index(row, 2), self.index(row, 2))


def _events(n_rows: int, count: int, seed: int) -> list[tuple[str, float]]:
    rng = random.Random(seed)
    return [(f"t{rng.randrange(n_rows)}", float(rng.randint(0, 100))) for _ in range(count)]


def _drive(
    apply_chunk: Callable[[list[tuple[str, float]]], None],
    events: list[tuple[str, float]],
    chunk: int,
    seconds: float,
) -> tuple[float, float]:
    """Feed chunks from the event loop for ``seconds``; return (events/s, worst stall in s)."""
    # Let the view do its first (expensive, one-off) layout and paint before measuring.
    QApplication.processEvents()
    QApplication.processEvents()
    if FREEZE_GC:
        # What an app does after start-up: move long-lived objects (modules, the loaded tasks)
        # out of the GC's sight so full collections stop walking them (the measured stall source).
        gc.collect()
        gc.freeze()
    loop = QEventLoop()
    ticks: list[float] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(1)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    done = 0
    pos = 0
    start = time.perf_counter()

    def feed() -> None:
        nonlocal done, pos
        if time.perf_counter() - start >= seconds:
            feeder.stop()
            loop.quit()
            return
        batch = events[pos : pos + chunk]
        if len(batch) < chunk:
            pos = 0
            batch = events[:chunk]
        pos += chunk
        apply_chunk(batch)
        done += len(batch)

    feeder = QTimer()
    feeder.setInterval(0)
    feeder.timeout.connect(feed)
    probe.start()
    feeder.start()
    loop.exec()
    probe.stop()
    # Break the timer -> closure -> model references so the round's objects can be freed.
    feeder.timeout.disconnect()
    probe.timeout.disconnect()
    if FREEZE_GC:
        gc.unfreeze()
    elapsed = time.perf_counter() - start
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    return done / elapsed, max(gaps, default=elapsed)


def run_naive(
    n_rows: int, events: list[tuple[str, float]], chunk: int, seconds: float
) -> tuple[float, float]:
    rng = random.Random(1)
    rows = [[f"t{i}", rng.choice(_STATES).value, float(rng.randint(0, 100))] for i in range(n_rows)]
    model = NaiveModel(rows)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setDynamicSortFilter(True)
    proxy.setSortRole(Qt.ItemDataRole.UserRole)
    proxy.setFilterKeyColumn(1)
    proxy.setFilterRegularExpression("running|queued|paused")  # the "Active" group
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    view.resize(900, 600)
    view.show()

    def apply(batch: list[tuple[str, float]]) -> None:
        for tid, progress in batch:
            model.update(tid, progress)

    try:
        return _drive(apply, events, chunk, seconds)
    finally:
        view.close()
        view.deleteLater()


def run_ours(n_rows: int, events: list[tuple[str, float]], chunk: int, seconds: float) -> tuple[float, float]:
    rng = random.Random(1)
    store = TaskStore()
    store.apply(
        TaskPatch(
            id=f"t{i}",
            received_at=0.0,
            name=f"t{i}",
            state=rng.choice(_STATES),
            progress=float(rng.randint(0, 100)),
            created_at=float(i),
        )
        for i in range(n_rows)
    )
    model = TaskTableModel(store)
    store.set_filter(StateGroup.ACTIVE)
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(TaskColumn.PROGRESS, Qt.SortOrder.DescendingOrder)
    view.resize(900, 600)
    view.show()
    now = time.time()

    def apply(batch: list[tuple[str, float]]) -> None:
        # progress-only patches on terminal tasks are ignored by the store (stale rule), as live
        model.apply([TaskPatch(id=tid, received_at=now, progress=p) for tid, p in batch])

    try:
        return _drive(apply, events, chunk, seconds)
    finally:
        model.flush()
        view.close()
        view.deleteLater()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after setup (both sides)")
    args = parser.parse_args()
    global FREEZE_GC
    FREEZE_GC = args.gc_freeze
    app = QApplication.instance() or QApplication(sys.argv)
    events = _events(args.rows, 200_000, seed=7)
    results: dict[str, list[tuple[float, float]]] = {"naive": [], "ours": []}
    print(
        f"# {platform.python_version()} {platform.machine()} PySide6 rows={args.rows} "
        f"chunk={args.chunk} seconds/round={args.seconds} rounds={args.rounds} gc_freeze={FREEZE_GC}"
    )
    for r in range(args.rounds):
        for name, fn in (
            (("naive", run_naive), ("ours", run_ours))
            if r % 2 == 0
            else (("ours", run_ours), ("naive", run_naive))
        ):
            rate, stall = fn(args.rows, events, args.chunk, args.seconds)
            # Free the round's view/model/store now, so later rounds do not start with a bigger heap.
            app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            gc.collect()
            results[name].append((rate, stall))
            print(
                f"round {r + 1} {name:5s}: {rate:10,.0f} events/s  worst stall {stall * 1000:7.1f} ms",
                flush=True,
            )
    med = {
        k: (statistics.median(x for x, _ in v), statistics.median(s for _, s in v))
        for k, v in results.items()
    }
    for k, (rate, stall) in med.items():
        print(f"median {k:5s}: {rate:10,.0f} events/s  worst stall {stall * 1000:7.1f} ms")
    print(
        f"ratio ours/naive events/s: {med['ours'][0] / med['naive'][0]:.1f}x; "
        f"stall naive/ours: {med['naive'][1] / med['ours'][1]:.1f}x"
    )


if __name__ == "__main__":
    main()
