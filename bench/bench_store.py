"""100,000 tasks loaded: memory per task, and sort / filter / search latency in the real table.

Memory: the tasks arrive as one snapshot (the app's path: ``Snapshot.model_validate_json`` then
``TaskStore.apply_snapshot``). Measured twice: ``tracemalloc`` (Python heap held by the store
after the snapshot text and models are dropped) and the process RSS delta (includes allocator
slack). Each action's time is also split (the ``[view_rows]`` and ``[_relayout]`` rows): the store's
sort + filter, and the model's relayout (row maps and persistent indexes); the rest is Qt.

Baseline in the same run: the same tasks held as plain ``json.loads`` dicts.

Latency: an offscreen :class:`monitor.ui.task_view.TaskView` (1280x760, shown) over the store.
Each action is what the user's gesture calls, timed until the event queue has been processed
(layout + paint of the visible rows included):

* sort: ``model.sort(column)`` (a header click) on name, progress, status, eta;
* filter: the sidebar group (``active``, ``failed``, ``all``);
* search: typing a query into the search box (``setText``): ``interview-04``, ``state:failed``,
  ``worker:gpu-3 -name:"x"``.

Each action's time is also split (the ``[view_rows]`` and ``[_relayout]`` rows): the store's
sort + filter, and the model's relayout (row maps and persistent indexes); the rest is Qt.

Baseline in the same run: Qt's ``QSortFilterProxyModel`` over the same ``TaskTableModel``
(unsorted store), sorting the same columns and filtering by a fixed string on the Name column, in
a second ``QTableView`` of the same size.

Run: ``.venv/bin/python bench/bench_store.py [--tasks 100000] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["main"]

_STATES = ("queued", "running", "running", "running", "completed", "completed", "failed", "cancelled")


def _snapshot_json(n: int) -> str:
    t0 = 1_790_000_000.0
    tasks = []
    for i in range(n):
        state = _STATES[i % len(_STATES)]
        task: dict[str, Any] = {
            "id": f"job-{i:06d}",
            "name": f"interview-{i:06d}.wav",
            "kind": "transcribe",
            "state": state,
            "progress": float(i % 101) if state != "completed" else 100.0,
            "stage": "transcribing" if state == "running" else None,
            "eta": float(i % 600) if state == "running" else None,
            "created_at": t0 + i,
            "started_at": t0 + i + 1 if state != "queued" else None,
            "finished_at": t0 + i + 500 if state in ("completed", "failed", "cancelled") else None,
            "updated_at": t0 + i + 2,
            "attempt": 1 + i % 3,
            "worker": f"gpu-{i % 8}",
            "metadata": {"language": "en", "minutes": i % 90},
        }
        if state == "failed":
            task["error"] = {"message": "CUDA out of memory", "detail": None}
        tasks.append(task)
    return json.dumps({"tasks": tasks, "cursor": f"e1-{n}", "epoch": "e1"})


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _load(text: str) -> Any:
    from monitor.core.protocol import Snapshot
    from monitor.core.store import TaskStore

    snapshot = Snapshot.model_validate_json(text)
    store = TaskStore()
    store.apply_snapshot(snapshot.tasks, received_at=time.time())
    return store


def _memory(text: str, n: int) -> tuple[Any, dict[str, float]]:
    out: dict[str, float] = {}
    # RSS and load time first, without tracemalloc (its bookkeeping slows and inflates both).
    gc.collect()
    rss0 = _rss()
    t0 = time.perf_counter()
    store = _load(text)
    out["load_s"] = time.perf_counter() - t0
    gc.collect()
    out["store_rss"] = (_rss() - rss0) / n
    # Python heap held by a second, identical store (tracemalloc counts live blocks exactly).
    tracemalloc.start()
    m0 = tracemalloc.get_traced_memory()[0]
    twin = _load(text)
    gc.collect()
    out["store_tm"] = (tracemalloc.get_traced_memory()[0] - m0) / n
    del twin
    gc.collect()
    # Baseline: the same tasks as plain dicts (what a JSON-only client would hold).
    m0 = tracemalloc.get_traced_memory()[0]
    dicts = json.loads(text)["tasks"]
    out["dicts_tm"] = (tracemalloc.get_traced_memory()[0] - m0) / n
    tracemalloc.stop()
    del dicts
    return store, out


def _settle(app: Any) -> None:
    app.processEvents()
    app.processEvents()


#: Per-action split of our time (ms): the store's sort/filter, the model's relayout (measurement
#: wrappers installed by ``_ours``); the rest is Qt (layout change in the view, paint).
_SPLIT: dict[str, float] = {}


def _time(app: Any, action: Callable[[], None]) -> float:
    _SPLIT.clear()
    t0 = time.perf_counter()
    action()
    _settle(app)
    return (time.perf_counter() - t0) * 1000


def _wrap(owner: Any, name: str) -> None:
    inner = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            _SPLIT[name] = _SPLIT.get(name, 0.0) + (time.perf_counter() - t0) * 1000

    setattr(owner, name, timed)


def _ours(app: Any, store: Any, rounds: int) -> dict[str, list[float]]:
    from PySide6.QtCore import Qt

    from monitor.core.store import StateGroup
    from monitor.ui.task_model import TaskColumn
    from monitor.ui.task_view import TaskView

    view = TaskView(store)
    view.resize(1280, 760)
    view.show()
    _settle(app)
    _wrap(store, "view_rows")
    _wrap(view.model, "_relayout")
    res: dict[str, list[float]] = {}

    def note(key: str, ms: float) -> None:
        res.setdefault(key, []).append(ms)
        for part in ("view_rows", "_relayout"):
            res.setdefault(f"{key} [{part}]", []).append(_SPLIT.get(part, 0.0))

    try:
        for _ in range(rounds):
            for col in (TaskColumn.NAME, TaskColumn.PROGRESS, TaskColumn.STATUS, TaskColumn.ETA):
                for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
                    note(f"sort {col.key}", _time(app, lambda c=col, o=order: view.model.sort(c, o)))  # type: ignore[misc]
            for group in (StateGroup.ACTIVE, StateGroup("failed"), StateGroup.ALL):
                note(f"filter {group.value}", _time(app, lambda g=group: view._group_selected(g.value)))  # type: ignore[misc]
            for text in ("interview-04", "state:failed", 'worker:gpu-3 -name:"x"'):
                note(f"search {text}", _time(app, lambda t=text: view.search.setText(t)))  # type: ignore[misc]
                view.search.setText("")
                _settle(app)
    finally:
        view.close()
        view.deleteLater()
        _settle(app)
    return res


def _proxy(app: Any, store: Any, rounds: int) -> dict[str, list[float]]:
    """The baseline; one sort there takes seconds at 100,000 rows, so only two columns, ascending."""
    from PySide6.QtCore import QSortFilterProxyModel, Qt
    from PySide6.QtWidgets import QTableView

    from monitor.ui.task_model import TaskColumn, TaskTableModel

    model = TaskTableModel(store)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setDynamicSortFilter(True)
    proxy.setFilterKeyColumn(int(TaskColumn.NAME))
    table = QTableView()
    table.setModel(proxy)
    table.resize(1280, 760)
    table.show()
    _settle(app)
    res: dict[str, list[float]] = {}
    try:
        for _ in range(rounds):
            for col in (TaskColumn.NAME, TaskColumn.PROGRESS):
                res.setdefault(f"sort {col.key}", []).append(
                    _time(app, lambda c=col: proxy.sort(int(c), Qt.SortOrder.AscendingOrder))  # type: ignore[misc]
                )
            res.setdefault("search interview-04", []).append(
                _time(app, lambda: proxy.setFilterFixedString("interview-04"))
            )
            proxy.setFilterFixedString("")
            _settle(app)
    finally:
        table.close()
        table.deleteLater()
        proxy.deleteLater()
        model.deleteLater()
        _settle(app)
    return res


def _run(n: int, rounds: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["bench_store"])
    text = _snapshot_json(n)
    store, mem = _memory(text, n)
    del text
    gc.collect()
    gc.freeze()  # as the app does after a large snapshot (monitor/app.py _freeze_heap)
    print(f"tasks={n} rounds={rounds} cpus={os.cpu_count()}")
    print(f"snapshot load (model_validate_json + apply_snapshot): {mem['load_s'] * 1000:.0f} ms")
    print(f"memory per task: store {mem['store_tm']:,.0f} B (tracemalloc),", end=" ")
    print(f"{mem['store_rss']:,.0f} B (RSS delta)")
    print(f"baseline json dicts: {mem['dicts_tm']:,.0f} B per task (tracemalloc)")
    print(f"RATIO store / dicts memory = {mem['store_tm'] / mem['dicts_tm']:.2f}x")
    ours = _ours(app, store, rounds)
    base = _proxy(app, store, 1)
    worst = 0.0
    head = f"{'action':<32} {'ours median (min-max) ms':>28}"
    print(f"{head} {'QSortFilterProxyModel (1 round)':>30} {'ratio':>7}")
    for key, v in ours.items():
        med = statistics.median(v)
        if "[" not in key:
            worst = max(worst, med)
        line = f"{key:<32} {med:>10.1f} ({min(v):.1f}-{max(v):.1f}){'':>8}"
        if key in base:
            b = base[key]
            bmed = statistics.median(b)
            line += f" {bmed:>10.1f} ({min(b):.1f}-{max(b):.1f}) {bmed / med:>6.1f}x"
        print(line)
    verdict = "met" if worst < 100 else "MISSED"
    print(f"RATIO slowest median / 100 ms = {worst / 100:.2f}  (target < 1.0: {verdict})")


def main() -> None:
    """Parse arguments and run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    _run(a.tasks, a.rounds)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
