"""The column registry: every column in it reaches the header, the Columns menu, sorting and the
persisted UI state, and the table's cells and sort role come from it."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from monitor.core.servers import scoped_patches, server_prefix
from monitor.core.settings import UiState
from monitor.core.store import SORT_ORDERS, TaskColumn, TaskStore
from monitor.ui.task_model import COLUMN_VIEWS, TaskRole
from monitor.ui.task_view import TaskView
from tests.task_patches import random_full_patch

HORIZONTAL = Qt.Orientation.Horizontal


def _store() -> TaskStore:
    """40 tasks whose every column's values are shuffled against the creation order."""
    rng = random.Random(11)
    store = TaskStore()
    patches = [random_full_patch(rng, i, created_at=float(i)) for i in range(40)]
    # From three servers (the Server column's order differs from the creation order too).
    store.apply(scoped_patches([p], server_prefix(rng.choice("xyz")))[0] for p in patches)
    return store


def _view(qtbot: QtBot) -> TaskView:
    view = TaskView(_store(), clock=lambda: 100.0)
    qtbot.addWidget(view)
    return view


def test_every_column_has_its_qt_half_and_a_sort_key() -> None:
    assert list(COLUMN_VIEWS) == list(TaskColumn)  # one entry each, in the registry's order
    assert [int(c) for c in TaskColumn] == list(range(len(TaskColumn)))
    assert {c.key for c in TaskColumn} <= set(SORT_ORDERS)
    assert len({c.key for c in TaskColumn}) == len(TaskColumn)


@pytest.mark.parametrize("col", list(TaskColumn), ids=lambda c: c.key)
def test_column_reaches_header_menu_sort_and_saved_state(col: TaskColumn, qtbot: QtBot) -> None:
    view = _view(qtbot)
    model = view.model
    spec = COLUMN_VIEWS[col]
    # The header: the registry's title and tooltip, and its first-run width and visibility.
    assert model.columnCount() == len(TaskColumn)
    assert model.headerData(col, HORIZONTAL) == spec.title_text() != ""
    assert model.headerData(col, HORIZONTAL, Qt.ItemDataRole.ToolTipRole) == spec.tooltip() != ""
    assert view.table.isColumnHidden(col) is spec.opt_in

    # The Columns menu: one entry under the column's key that shows and hides it.
    entries = {a.objectName(): a for a in view.column_menu().actions()}
    entry = entries[f"column_{col.key}"]
    assert entry.text() == spec.title_text()
    assert entry.isChecked() is not spec.opt_in
    if col is not TaskColumn.NAME:
        entry.setChecked(False)
        assert view.table.isColumnHidden(col)
        entry.setChecked(True)
    assert not view.table.isColumnHidden(col)
    header = view.table.horizontalHeader()
    if header.visualIndex(col) != header.count() - 1:  # the last section stretches
        assert header.sectionSize(col) == spec.width  # a hidden one gets its width when shown

    # Sorting: a header click sorts the store by the column's key, in the column's order.
    view.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    assert view.store.sort == (col.key, False)
    recs = [view.store.get(t) for t in model.rows()]
    keys = [col.sort_key.total(r) for r in recs if r is not None]
    assert keys == sorted(keys)
    created = sorted(view.store.ids(), key=lambda t: view.store.get(t).created_at)  # type: ignore[union-attr]
    assert model.rows() != created  # the data makes every column's order differ from the default
    assert [model.data(model.index(r, col), TaskRole.SORT) for r in range(3)] == [
        col.sort_key.value(r) for r in recs[:3]
    ]

    # The saved state: visibility, width and sort by the column's key, restored on a new view.
    header.resizeSection(col, 123)
    view.table.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    saved = UiState.model_validate_json(view.save_state(UiState()).model_dump_json())
    assert col.key in saved.columns
    assert saved.column_widths[col.key] == 123
    assert (saved.sort.column, saved.sort.descending) == (col.key, True)
    other = _view(qtbot)
    other.restore_state(saved)
    assert not other.table.isColumnHidden(col)
    assert other.table.horizontalHeader().sectionSize(col) == 123
    assert other.store.sort == (col.key, True)
    assert other.model.rows() == model.rows()


@pytest.mark.parametrize("col", list(TaskColumn), ids=lambda c: c.key)
def test_cells_show_the_registrys_text(col: TaskColumn, qtbot: QtBot) -> None:
    view = _view(qtbot)
    model = view.model
    for row in range(model.rowCount()):
        rec = model.record(model.index(row, 0))
        assert rec is not None
        assert model.data(model.index(row, col)) == COLUMN_VIEWS[col].text(model, rec)
    right = model.data(model.index(0, col), Qt.ItemDataRole.TextAlignmentRole)
    assert (right is not None) is COLUMN_VIEWS[col].right
