"""What the activity charts cost a frame, next to the task table's own frame (same run).

Run::

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_activity.py [--rounds 5]

Each round renders, into an off-screen image: the task table (the real ``TaskView`` over a store
of 1,000 tasks, 900 x 700 px, the baseline) and the two charts at their real sizes with full data
(a 30-minute throughput chart with every minute busy, a progress chart of a 120-point trail, the
most either keeps). Reported: the median time per render, and RATIO = (both charts) / table:
what drawing the charts adds to a frame in which the table repaints.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

from monitor.core.activity import ProgressTrails, Throughput
from monitor.core.store import TaskStore
from monitor.ui.activity import ProgressChart, ThroughputChart
from monitor.ui.task_view import TaskView
from tests.task_patches import random_full_patch

NOW = 1_800_000_000.0


def render_ms(widget: QWidget, repeat: int) -> float:
    """Median ms to render ``widget`` into an image."""
    image = QImage(widget.size(), QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        widget.render(image)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    import random

    rng = random.Random(7)
    store = TaskStore()
    store.apply([random_full_patch(rng, i, created_at=float(i)) for i in range(1000)])
    view = TaskView(store)
    view.resize(900, 700)
    view.model.flush()
    throughput = Throughput()
    for minute in range(30):
        for k in range(40):
            throughput.note(NOW - 60 * minute + k, failed=k % 9 == 0)
    bar = ThroughputChart(throughput.buckets, clock=lambda: NOW)
    bar.resize(bar.sizeHint())
    trails = ProgressTrails()
    for i in range(400):
        trails.note("t", NOW - 400 + i, i / 4)
    trail = trails.trail("t")
    chart = ProgressChart(lambda: (trail, True), clock=lambda: NOW)
    chart.resize(300, 160)
    widgets: dict[str, QWidget] = {"table": view, "throughput": bar, "progress": chart}
    results: dict[str, list[float]] = {name: [] for name in widgets}
    render: Callable[[QWidget], float] = lambda w: render_ms(w, args.repeat)  # noqa: E731
    for _ in range(args.rounds):
        for name, widget in widgets.items():
            results[name].append(render(widget))
    med = {name: statistics.median(v) for name, v in results.items()}
    for name, value in med.items():
        print(f"{name:11s} {value:8.3f} ms per render (median of {args.rounds} rounds x {args.repeat})")
    charts = med["throughput"] + med["progress"]
    table = med["table"]
    print(f"RATIO charts/table = {charts / table:.3f}  (charts {charts:.3f} ms, table {table:.3f} ms)")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
