"""TaskView: search (inline errors), Showing N of M, sidebar counts, detail, selection, state()."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskError, TaskState
from monitor.core.settings import SortSpec, UiState
from monitor.core.store import StateGroup, TaskStore
from monitor.ui.task_model import TaskColumn
from monitor.ui.task_view import TaskView
from tests.task_patches import running_alpha


def _view(qtbot) -> TaskView:
    store = TaskStore()
    store.apply(
        [
            running_alpha(),
            TaskPatch(
                id="b",
                received_at=1.0,
                name="beta.wav",
                state=TaskState.FAILED,
                created_at=2.0,
                error=TaskError(message="<i>boom</i>", detail="tb"),
            ),
            TaskPatch(id="c", received_at=1.0, name="gamma.mp3", state=TaskState.QUEUED, created_at=3.0),
        ]
    )
    view = TaskView(store, clock=lambda: 5.0)
    qtbot.addWidget(view)
    return view


def test_search_filters_and_shows_inline_error(qtbot) -> None:
    v = _view(qtbot)
    assert v.showing.text() == "Showing 3 of 3"
    assert not v.clear_filter.isVisibleTo(v)
    v.search.setText("wav")
    assert v.model.rows() == ["a", "b"]
    assert v.showing.text() == "Showing 2 of 3"
    assert v.clear_filter.isVisibleTo(v)
    v.search.setText("wav bogus:x")
    assert v.search_error.isVisibleTo(v)
    assert "Unknown filter" in v.search_error.text()
    assert v.model.rows() == ["a", "b"]  # the valid part of the query still filters
    v.clear_filter.click()
    assert v.model.rows() == ["a", "b", "c"]
    assert not v.search_error.isVisibleTo(v)


def test_typing_a_qualifier_never_leaves_the_table_empty(qtbot) -> None:
    """Typing ``state:failed`` key by key passes through "state" (a word no name has) and the
    errors "state:" and "state:f": the errors show under the box and filter by what is valid."""
    v = _view(qtbot)
    v.show()
    v.search.setFocus()
    seen: dict[str, tuple[list[str], bool]] = {}
    for ch in "state:failed":
        qtbot.keyClicks(v.search, ch)
        seen[v.search.text()] = (v.model.rows(), v.search_error.isVisibleTo(v))
    assert seen["state"] == ([], False)  # a plain word: honestly nothing matches
    assert seen["state:"] == (["a", "b", "c"], True)
    assert seen["state:fa"] == (["a", "b", "c"], True)
    assert seen["state:failed"] == (["b"], False)
    # An unclosed quote after a valid term keeps that term.
    qtbot.keyClicks(v.search, ' name:"be')
    assert v.search_error.isVisibleTo(v)
    assert "closing quote" in v.search_error.text()
    assert v.model.rows() == ["b"]
    assert not v.empty_state.isVisibleTo(v)


def test_sidebar_counts_and_group_filter(qtbot) -> None:
    v = _view(qtbot)
    assert v.sidebar.count_text(StateGroup.FAILED) == "Failed (1)"
    assert v.sidebar.count_text(StateGroup.ACTIVE) == "Active (2)"
    v.sidebar.select(StateGroup.FAILED)
    assert v.model.rows() == ["b"]
    v.model.apply([TaskPatch(id="a", received_at=2.0, state=TaskState.FAILED)])
    with qtbot.waitSignal(v.model.flushed, timeout=2000):
        pass
    assert v.model.rows() == ["a", "b"]
    assert v.sidebar.count_text(StateGroup.FAILED) == "Failed (2)"


def test_selection_drives_actions_and_plain_text_detail(qtbot) -> None:
    v = _view(qtbot)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    v.table.selectionModel().setCurrentIndex(v.model.index(1, 0), flags)
    assert v.selected_ids() == ["b"]
    assert v.task_actions.retry.isEnabled()
    assert not v.task_actions.cancel.isEnabled()
    assert v.detail.task_id == "b"
    assert v.detail.error.toPlainText() == "<i>boom</i>\n\ntb"
    assert v.detail.values["name"].textFormat() == Qt.TextFormat.PlainText
    assert [a.text() for a in v.context_menu().actions()][-1] == "Show details"
    assert len(v.context_menu().actions()) == 7


def test_selection_survives_resort(qtbot) -> None:
    v = _view(qtbot)
    v.select_task("a")
    v.table.sortByColumn(TaskColumn.NAME, Qt.SortOrder.DescendingOrder)
    assert v.model.rows() == ["c", "b", "a"]
    assert v.selected_ids() == ["a"]


def test_state_roundtrip(qtbot) -> None:
    v = _view(qtbot)
    v.table.sortByColumn(TaskColumn.PROGRESS, Qt.SortOrder.DescendingOrder)
    v.table.setColumnHidden(TaskColumn.WORKER, False)
    v.search.setText("state:active")
    saved = UiState.model_validate_json(v.save_state(UiState()).model_dump_json())  # through JSON
    assert (saved.sort.column, saved.sort.descending) == ("progress", True)
    assert "worker" in saved.columns
    assert "id" not in saved.columns
    w = _view(qtbot)
    w.restore_state(saved)
    assert w.store.sort == ("progress", True)
    assert not w.table.isColumnHidden(TaskColumn.WORKER)
    assert w.search.text() == "state:active"
    assert w.model.rows() == ["a", "c"]
    w.restore_state(UiState(columns=["junk"], sort=SortSpec(column="nope"), filters={"group": "x"}))
    assert w.store.sort == ("progress", True)  # unknown keys change nothing


def test_ctrl_f_focuses_search_and_escape_clears(qtbot) -> None:
    v = _view(qtbot)
    v.show()
    v.activateWindow()
    qtbot.waitUntil(v.isActiveWindow, timeout=1000)  # shortcuts only fire in the active window
    v.table.setFocus()
    qtbot.keyClick(v.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(v.search.hasFocus, timeout=1000)
    qtbot.keyClicks(v.search, "beta")
    assert v.model.rows() == ["b"]
    qtbot.keyClick(v.search, Qt.Key.Key_Escape)
    assert v.search.text() == ""


def test_progress_delegate_paints_without_error(qtbot) -> None:
    """pytest-qt fails the test if paint() raises or Qt warns inside it; grab() forces a real paint."""
    from monitor.ui.delegates import progress_label

    v = _view(qtbot)
    v.resize(900, 300)
    v.show()
    qtbot.waitExposed(v)
    v.set_stale(1_700_000_000.0)
    v.table.viewport().grab()  # a paint() that raises or makes Qt warn fails the test (pytest-qt)
    assert progress_label(42.0, "transcribing") == "42% · transcribing"


def test_header_menu_shows_opt_in_columns(qtbot: QtBot) -> None:
    view = TaskView(TaskStore())
    qtbot.addWidget(view)
    assert view.table.isColumnHidden(TaskColumn.WORKER)
    menu = view.column_menu()
    entries = {a.text(): a for a in menu.actions()}
    worker = entries[str(view.model.headerData(TaskColumn.WORKER, Qt.Orientation.Horizontal))]
    assert not worker.isChecked()
    worker.setChecked(True)
    assert not view.table.isColumnHidden(TaskColumn.WORKER)
    name = entries[str(view.model.headerData(TaskColumn.NAME, Qt.Orientation.Horizontal))]
    assert not name.isEnabled()


def test_reveal_clears_a_filter_that_hides_the_task(qtbot: QtBot) -> None:
    store = TaskStore()
    store.apply(
        [
            TaskPatch(id="run", received_at=1.0, full=True, name="run", state=TaskState.RUNNING),
            TaskPatch(id="bad", received_at=1.0, full=True, name="bad", state=TaskState.FAILED),
        ]
    )
    view = TaskView(store)
    qtbot.addWidget(view)
    view.sidebar.select(StateGroup.RUNNING)
    view.model.flush()
    assert not view.select_task("bad")
    assert view.select_task("bad", reveal=True)
    assert view.selected_ids() == ["bad"]
    assert not view.select_task("unknown", reveal=True)
