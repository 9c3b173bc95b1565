"""Issue 13 item 7 through the real widgets (offscreen): bidi overrides and controls are shown,
never obeyed; a 512-character name or a 4,000-character stage neither widens a column nor the
window; a stage with a newline stays on one line in its cell; the full text is in the (plain)
tooltip and in the detail pane, wrapped and scrollable."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskError, TaskState
from monitor.core.settings import UiState, load_ui_state
from monitor.core.store import TaskStore
from monitor.core.text import CELL_LIMIT
from monitor.ui.plaintext import tooltip_text
from monitor.ui.task_model import TaskColumn, progress_label
from monitor.ui.task_view import COLUMN_MAX_WIDTH, TaskView

RLO_NAME = "invoice\u202egpj.exe"
LONG_NAME = "n" * 511 + "!"
LONG_STAGE = "stage " * 666 + "end!"  # 4,000 characters
NEWLINE_STAGE = "downloading\nthen decoding"
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _task(task_id: str, name: str, stage: str, progress: float, **more: object) -> TaskPatch:
    fields: dict[str, object] = {"received_at": 1.0, "state": TaskState.RUNNING, "created_at": progress}
    return TaskPatch(id=task_id, name=name, stage=stage, progress=progress, **{**fields, **more})  # type: ignore[arg-type]


def _hostile_view(qtbot: QtBot) -> TaskView:
    store = TaskStore()
    failure = TaskError(message="first\u202e line\nsecond line", detail="tb")
    store.apply(
        [
            _task("rlo", RLO_NAME, "\u202eevil", 5.0, worker="w\x1b]0;title\x07"),
            _task("long", LONG_NAME, LONG_STAGE, 50.0),
            _task("nl", "two\nlines", NEWLINE_STAGE, 7.0, state=TaskState.FAILED, error=failure),
        ]
    )
    view = TaskView(store, clock=lambda: 5.0)
    qtbot.addWidget(view)
    for col in TaskColumn:
        view.table.setColumnHidden(col, False)  # every column, opt-in ones included
    return view


def _shown(qtbot: QtBot, task_id: str) -> TaskView:
    """The view on screen (offscreen), 1000 x 500, with ``task_id`` selected."""
    view = _hostile_view(qtbot)
    view.resize(1000, 500)
    view.show()
    qtbot.waitExposed(view)
    _select(view, task_id)
    return view


def _select(view: TaskView, task_id: str) -> None:
    """Select only ``task_id`` (selectRow would extend the selection while a previous test's
    Ctrl is still in QGuiApplication.keyboardModifiers)."""
    row = view.model.row_of(task_id)
    assert row is not None
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    view.table.selectionModel().select(view.model.index(row, 0), flags)


def _cell(view: TaskView, task_id: str, col: TaskColumn, role: int = Qt.ItemDataRole.DisplayRole) -> str:
    view.model.flush()
    row = view.model.row_of(task_id)
    assert row is not None
    return str(view.model.data(view.model.index(row, col), role))


def test_cells_show_controls_and_stay_on_one_short_line(qtbot: QtBot) -> None:
    view = _hostile_view(qtbot)
    assert _cell(view, "rlo", TaskColumn.NAME) == "invoice\\u202egpj.exe"  # reads as .exe
    assert _cell(view, "rlo", TaskColumn.WORKER) == "w\\x1b]0;title\\x07"
    # The stage is isolated (FSI ... PDI, ours) after the server's override was escaped.
    assert _cell(view, "rlo", TaskColumn.PROGRESS) == "5% · \\u202eevil"
    assert _cell(view, "nl", TaskColumn.PROGRESS) == "7% · downloading \u23ce then decoding"
    # A right-to-left stage is isolated (FSI ... PDI, ours): it cannot reorder "42% · ".
    assert progress_label(42.0, "\u05e9\u05dc\u05d5\u05dd") == "42% · \u2068\u05e9\u05dc\u05d5\u05dd\u2069"
    assert _cell(view, "nl", TaskColumn.ERROR) == "first\\u202e line"
    for task_id in ("rlo", "long", "nl"):
        for col in TaskColumn:
            text = _cell(view, task_id, col)
            assert not {"\n", "\r"} & set(text), (task_id, col)
            assert len(text) <= CELL_LIMIT + 10, (task_id, col)
            assert not BIDI & set(text), (task_id, col, text)
    assert _cell(view, "long", TaskColumn.NAME).endswith("\u2026")


def test_tooltips_are_plain_and_whole(qtbot: QtBot) -> None:
    view = _hostile_view(qtbot)
    tip = _cell(view, "long", TaskColumn.NAME, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("<qt>")  # explicitly rich, its content escaped: shows literally
    assert tooltip_text(tip) == f"{LONG_NAME}\nlong"
    stage_tip = _cell(view, "long", TaskColumn.PROGRESS, Qt.ItemDataRole.ToolTipRole)
    assert tooltip_text(stage_tip) == LONG_STAGE
    rlo_tip = tooltip_text(_cell(view, "rlo", TaskColumn.NAME, Qt.ItemDataRole.ToolTipRole))
    assert rlo_tip == "invoice\\u202egpj.exe\nrlo"


def test_long_text_widens_neither_columns_nor_window(qtbot: QtBot) -> None:
    view = _shown(qtbot, "long")
    # What "resize to contents" (a double-click on a divider) asks: capped.
    view.table.resizeColumnsToContents()
    header = view.table.horizontalHeader()
    for col in TaskColumn:
        assert header.sectionSize(col) <= COLUMN_MAX_WIDTH, col
    assert view.minimumSizeHint().width() < 2000
    assert view.sizeHint().width() < 2000
    assert view.detail.minimumSizeHint().width() < 600
    view.table.viewport().grab()  # paints the 4,000-character stage without a Qt warning
    # Saved widths are clamped when loaded (a layout saved while a column was 9,999 px).
    view.restore_state(UiState(column_widths={"progress": 9_999, "status": 0, "eta": 70}))
    assert header.sectionSize(TaskColumn.PROGRESS) == COLUMN_MAX_WIDTH
    assert header.sectionSize(TaskColumn.STATUS) >= 20
    assert header.sectionSize(TaskColumn.ETA) == 70


def test_detail_pane_shows_escapes_and_the_full_text_wrapped(qtbot: QtBot) -> None:
    view = _shown(qtbot, "rlo")
    detail = view.detail
    assert detail.values["name"].full_text() == "invoice\\u202egpj.exe"
    assert not BIDI & set(detail.values["name"].text())
    assert detail.values["worker"].full_text() == "w\\x1b]0;title\\x07"
    _select(view, "long")
    full: QPlainTextEdit = detail.full_text
    assert LONG_NAME in full.toPlainText()
    assert LONG_STAGE in full.toPlainText()
    assert full.lineWrapMode() is not QPlainTextEdit.LineWrapMode.NoWrap
    assert full.isReadOnly()
    assert detail.values["stage"].sizeHint().width() < 100  # elided on its line, never wider
    _select(view, "nl")
    assert detail.error.toPlainText() == "first\\u202e line\nsecond line\n\ntb"
    assert "downloading\nthen decoding" in full.toPlainText()


def test_a_huge_saved_width_is_clamped_not_the_layout_forgotten(qtbot: QtBot, tmp_path: Path) -> None:
    saved = tmp_path / "ui-state.json"
    widths = {"progress": 30_702, "eta": 70, "name": -5}
    saved.write_text(json.dumps({"column_widths": widths, "columns": ["name", "progress", "eta"]}))
    loaded = load_ui_state(saved)
    assert loaded.warning is None
    assert loaded.value.column_widths == {"progress": 10_000, "eta": 70, "name": 0}
    view = _hostile_view(qtbot)
    view.restore_state(loaded.value)
    header = view.table.horizontalHeader()
    assert header.sectionSize(TaskColumn.PROGRESS) == COLUMN_MAX_WIDTH
    assert header.sectionSize(TaskColumn.ETA) == 70
