"""Cell text and store merge, this tree against a base tree, in one process (A/B, interleaved).

Run (from the repository root; the base is any commit unpacked into a directory)::

    git archive <base-commit> | tar -x -C /tmp/base
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_cells.py --base /tmp/base [--rounds 9]

Both trees' ``monitor/core/store.py`` and ``monitor/ui/task_model.py`` are loaded side by side
(the rest of ``monitor`` is this tree's). Measured per round, in alternating order:

* apply: ``TaskStore.apply`` of 100,000 progress ticks over 5,000 tasks (GC off while timed);
* display: ``TaskTableModel.data(index, DisplayRole)`` for every cell of 2,000 rows (the table's
  paint path), after checking that both trees show the same text in every cell.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import monitor.core.store as new_store
import monitor.ui.task_model as new_model
from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskError, TaskState

_STATES = [TaskState.RUNNING, TaskState.RUNNING, TaskState.QUEUED, TaskState.FAILED, TaskState.COMPLETED]
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _build(store_cls: Any, n: int) -> Any:
    rng = random.Random(3)
    store = store_cls()
    store.apply(
        TaskPatch(
            id=f"t{i}",
            received_at=0.0,
            full=True,
            name=f"t{i}",
            state=rng.choice(_STATES),
            progress=float(rng.randint(0, 99)),
            created_at=float(i),
            started_at=1.0 if i % 3 else None,
            stage="x" if i % 2 else None,
            worker="gpu",
            error=TaskError(message="boom\nmore") if i % 5 == 0 else None,
        )
        for i in range(n)
    )
    return store


def _apply_ns(store_cls: Any, patches: list[TaskPatch]) -> float:
    store = _build(store_cls, 5000)
    gc.collect()
    gc.disable()
    started = time.perf_counter()
    store.apply(patches)
    elapsed = time.perf_counter() - started
    gc.enable()
    return elapsed / len(patches) * 1e9


def _display_ns(model: Any, indexes: list[Any]) -> float:
    data = model.data
    gc.disable()
    started = time.perf_counter()
    for index in indexes:
        data(index, _DISPLAY)
    elapsed = time.perf_counter() - started
    gc.enable()
    return elapsed / len(indexes) * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="a base tree (git archive | tar -x)")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication(sys.argv)
    stores = {"base": _load("base_store", args.base / "monitor/core/store.py"), "new": new_store}
    model_mods = {"base": _load("base_task_model", args.base / "monitor/ui/task_model.py"), "new": new_model}
    rng = random.Random(5)
    patches = [
        TaskPatch(id=f"t{rng.randrange(5000)}", received_at=float(k), progress=float(k % 100))
        for k in range(100_000)
    ]
    models: dict[str, tuple[Any, list[Any]]] = {}
    for name in ("base", "new"):
        model = model_mods[name].TaskTableModel(_build(stores[name].TaskStore, 2000), clock=lambda: 50.0)
        models[name] = (model, [model.index(r, c) for r in range(2000) for c in range(model.columnCount())])
    texts = {name: [m.data(i) for i in idx] for name, (m, idx) in models.items()}
    assert texts["base"] == texts["new"], "the trees show different cell text"
    results: dict[str, list[float]] = {f"{w} {n}": [] for w in ("apply", "display") for n in ("base", "new")}
    for r in range(args.rounds):
        order = ("base", "new") if r % 2 == 0 else ("new", "base")
        for name in order:
            results[f"apply {name}"].append(_apply_ns(stores[name].TaskStore, patches))
        for name in order:
            results[f"display {name}"].append(_display_ns(*models[name]))
    for key, values in results.items():
        print(f"{key:14s} ns median {statistics.median(values):6.0f}  min {min(values):6.0f}")
    for what in ("apply", "display"):
        new, base = results[f"{what} new"], results[f"{what} base"]
        print(
            f"RATIO {what} new/base: median {statistics.median(new) / statistics.median(base):.3f}  "
            f"min {min(new) / min(base):.3f}"
        )


if __name__ == "__main__":
    main()
