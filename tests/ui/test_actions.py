"""TaskActions: eligibility, bulk texts, why-disabled tooltips, intents, clipboard."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from monitor.core.protocol import TaskState
from monitor.ui.actions import TaskActions

R, P, F, C, Q = TaskState.RUNNING, TaskState.PAUSED, TaskState.FAILED, TaskState.COMPLETED, TaskState.QUEUED


def test_nothing_selected_disables_with_reason(qtbot) -> None:
    a = TaskActions()
    for action in (a.cancel, a.pause_resume, a.retry, a.remove, a.copy_id):
        assert not action.isEnabled()
        assert action.toolTip() == "No task selected"
    assert a.refresh.isEnabled()


def test_bulk_text_counts_only_eligible_and_emits_them(qtbot) -> None:
    a = TaskActions()
    a.set_selection([("a", R), ("b", F), ("c", Q), ("d", C), ("e", P)])
    assert a.cancel.text() == "Cancel 3 of 5 selected"
    assert a.retry.text() == "Retry 1 of 5 selected"
    with qtbot.waitSignal(a.cancel_requested, timeout=1000) as sig:
        a.cancel.trigger()
    assert sig.args == [["a", "c", "e"]]
    with qtbot.waitSignal(a.remove_requested, timeout=1000) as sig:
        a.remove.trigger()
    assert sig.args == [["b", "d"]]


def test_disabled_tooltip_says_why(qtbot) -> None:
    a = TaskActions()
    a.set_selection([("d", C)])
    assert not a.cancel.isEnabled()
    assert "can be cancelled" in a.cancel.toolTip()
    assert a.remove.isEnabled()


def test_space_pauses_running_else_resumes_paused(qtbot) -> None:
    a = TaskActions()
    a.set_selection([("a", R), ("b", P)])
    with qtbot.waitSignal(a.pause_requested, timeout=1000) as sig:
        a.pause_resume.trigger()
    assert sig.args == [["a"]]
    a.set_selection([("b", P)])
    assert a.pause_resume.text() == "Resume"
    with qtbot.waitSignal(a.resume_requested, timeout=1000) as sig:
        a.pause_resume.trigger()
    assert sig.args == [["b"]]


def test_shortcuts_and_copy(qtbot) -> None:
    a = TaskActions()
    keys = {x.shortcut().toString() for x in a.all()}
    assert {"Del", "Space", "Ctrl+R", "F5", "Shift+Del", "Ctrl+C"} <= keys
    a.set_selection([("id-1", R), ("id-2", C)])
    a.copy_id.trigger()
    assert QGuiApplication.clipboard().text() == "id-1\nid-2"
    with qtbot.waitSignal(a.query_requested, timeout=1000) as sig:
        a.refresh.trigger()
    assert sig.args == [["id-1", "id-2"]]
