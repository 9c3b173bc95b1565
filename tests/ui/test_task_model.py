"""TaskTableModel: batched flushes, persistent indexes, roles, qtmodeltester."""

from __future__ import annotations

import random
import time

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

from monitor.core.lifecycle import PendingAction
from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.core.store import SORT_KEYS, StateGroup, TaskStore
from monitor.ui.task_model import FLUSH_INTERVAL_MS, TaskColumn, TaskRole, TaskTableModel


def _store(n: int) -> TaskStore:
    s = TaskStore()
    s.apply(
        TaskPatch(id=f"t{i:03d}", received_at=0.0, name=f"file{i}.wav", created_at=float(i)) for i in range(n)
    )
    return s


def test_qtmodeltester_with_live_updates(qtmodeltester, qtbot) -> None:
    model = TaskTableModel(_store(30), clock=lambda: 100.0)
    qtmodeltester.check(model, force_py=False)
    rng = random.Random(2)
    model.sort(TaskColumn.PROGRESS, Qt.SortOrder.DescendingOrder)
    for step in range(5):
        model.apply(
            TaskPatch(
                id=f"t{rng.randrange(30):03d}", received_at=float(step), progress=float(rng.randint(0, 100))
            )
            for _ in range(10)
        )
        model.flush()
    model.store.set_filter(StateGroup.ACTIVE)
    model.invalidate_view()
    assert model.rowCount() == 30  # all still queued/running


def test_burst_gives_one_layout_change_per_flush_and_fresh_sort_order(qtbot) -> None:
    store = _store(500)
    model = TaskTableModel(store, clock=lambda: 0.0)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.sort(TaskColumn.PROGRESS, Qt.SortOrder.AscendingOrder)
    layouts_before = model.layout_changes
    rng = random.Random(3)
    flushes = 0
    for burst in range(5):
        started = time.monotonic()
        model.apply(
            TaskPatch(
                id=f"t{rng.randrange(500):03d}", received_at=float(burst), progress=float(rng.randint(0, 100))
            )
            for _ in range(2000)
        )
        assert model.flush_pending  # batched: nothing painted yet
        with qtbot.waitSignal(model.layoutChanged, timeout=2000):
            pass  # the 10 Hz timer flushes by itself
        # ...and not before its interval (a coarse Qt timer may fire up to 5% early)
        assert time.monotonic() - started >= 0.95 * FLUSH_INTERVAL_MS / 1000
        flushes += 1
        assert not model.flush_pending  # the timer only runs while something is dirty
        recs = [store.get(t) for t in model.rows()]
        keys = [SORT_KEYS["progress"](r) for r in recs]
        assert keys == sorted(keys)
        assert model.rowCount() == 500
    assert model.layout_changes - layouts_before == flushes  # O(1): one per flush, not per event


def test_data_changed_spans_when_order_unchanged(qtbot) -> None:
    model = TaskTableModel(_store(10), clock=lambda: 0.0)
    spans: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: spans.append((a.row(), b.row())))
    # default sort is by created time: a stage change moves nothing
    model.apply([TaskPatch(id=i, received_at=1.0, stage="x") for i in ("t001", "t002", "t003", "t007")])
    model.flush()
    assert spans == [(1, 1), (2, 2), (3, 3), (7, 7)]  # one row each: Qt repaints only what shows
    assert model.layout_changes == 0
    # A flood of changed rows goes as spans (one full repaint is then cheaper than the signals).
    spans.clear()
    big = TaskTableModel(_store(600), clock=lambda: 0.0)
    big.dataChanged.connect(lambda a, b, *_: spans.append((a.row(), b.row())))
    big.apply([TaskPatch(id=f"t{i:03d}", received_at=1.0, stage="x") for i in range(600) if i != 300])
    big.flush()
    assert spans == [(0, 299), (301, 599)]


def test_persistent_index_follows_task_across_resort(qtbot) -> None:
    model = TaskTableModel(_store(5), clock=lambda: 0.0)
    idx = QPersistentModelIndex(model.index(0, 0))
    assert model.data(idx, TaskRole.TASK_ID) == "t000"
    model.sort(TaskColumn.NAME, Qt.SortOrder.DescendingOrder)
    assert idx.row() == 4
    assert model.data(idx, TaskRole.TASK_ID) == "t000"
    model.store.remove(["t000"])
    model.note_changes([])
    model.flush()
    assert not idx.isValid()


def test_roles_pending_stale_and_plain_text(qtbot) -> None:
    store = TaskStore()
    store.apply(
        [
            TaskPatch(
                id="a",
                received_at=0.0,
                name="<b>x</b>",
                state=TaskState.RUNNING,
                progress=42.0,
                stage="transcribing",
                eta=180.0,
            )
        ]
    )
    model = TaskTableModel(store, clock=lambda: 0.0)
    name = model.index(0, TaskColumn.NAME)
    assert model.data(name) == "<b>x</b>"  # passed through verbatim; views render it as plain text
    assert model.data(model.index(0, TaskColumn.PROGRESS)) == "42% · transcribing"
    summary = model.data(name, Qt.ItemDataRole.AccessibleDescriptionRole)
    assert summary == "<b>x</b>, running, 42 percent, 3m 00s left"
    assert model.data(model.index(0, TaskColumn.STATUS), Qt.ItemDataRole.DecorationRole) is not None
    assert model.data(name, Qt.ItemDataRole.ForegroundRole) is None
    model.set_stale(1_700_000_000.0)
    assert model.data(name, Qt.ItemDataRole.ForegroundRole) is not None
    assert "as of" in model.data(name, Qt.ItemDataRole.ToolTipRole)
    model.set_pending(["a"], PendingAction.CANCELLING)
    model.flush()
    assert model.data(model.index(0, TaskColumn.STATUS)) == "Cancelling…"
    assert model.data(name, Qt.ItemDataRole.FontRole).italic()
    model.set_pending(["a"], None)
    model.flush()
    assert model.data(model.index(0, TaskColumn.STATUS)) == "Running"
    assert model.data(name, Qt.ItemDataRole.FontRole) is None


@pytest.mark.parametrize("col", list(TaskColumn))
def test_every_column_has_header_and_stable_key(col: TaskColumn, qtbot) -> None:
    model = TaskTableModel(TaskStore())
    assert model.headerData(col, Qt.Orientation.Horizontal)
    assert model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert TaskColumn.from_key(col.key) is col
    assert col.key in SORT_KEYS
