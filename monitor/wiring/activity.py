"""Activity charts: finished tasks per minute in the status bar, a task's progress in the detail pane."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication

from monitor.core.activity import ProgressTrails, Throughput
from monitor.core.protocol import TaskState
from monitor.core.store import Change, Removed, Updated
from monitor.ui.activity import ProgressChart, ThroughputChart
from monitor.wiring.parts import Parts

__all__ = ["wire_activity"]


def wire_activity(
    parts: Parts, clock: Callable[[], float] = time.time
) -> tuple[ThroughputChart, ProgressChart]:
    """Feed both charts from the live feed (live news only: a snapshot is history, not throughput).

    Returns:
        The two charts (the status bar's and the detail pane's).
    """
    service, store, view = parts.servers, parts.store, parts.view
    throughput = Throughput()
    trails = ProgressTrails()
    bar = ThroughputChart(throughput.buckets, clock, parts.window)
    parts.window.statusBar().addPermanentWidget(bar)

    def shown() -> tuple[Sequence[tuple[float, float]], bool]:
        task_id = view.detail.task_id
        record = store.get(task_id) if task_id is not None else None
        if record is None:
            return [], False
        return trails.trail(record.id), record.state is TaskState.RUNNING

    chart = ProgressChart(shown, clock)
    view.detail.add_tab(chart, QCoreApplication.translate("TaskDetail", "Progress"))

    def finished(failed: bool) -> None:
        throughput.note(clock(), failed=failed)
        bar.request_update()

    def on_changes(changes: Sequence[Change]) -> None:
        now = clock()
        selected = view.detail.task_id
        for change in changes:
            if isinstance(change, Updated) and "progress" in change.fields:
                record = store.get(change.id)
                if (
                    record is not None
                    and trails.note(change.id, now, record.progress)
                    and change.id == selected
                ):
                    chart.request_update()
            elif isinstance(change, Removed):
                for task_id in change.ids:
                    trails.forget(task_id)

    service.task_completed.connect(lambda _id: finished(False))
    service.task_failed.connect(lambda _id, _msg: finished(True))
    service.tasks_changed.connect(on_changes)
    view.table.selectionModel().selectionChanged.connect(lambda *_a: chart.request_update())
    return bar, chart
