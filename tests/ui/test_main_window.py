"""Main window shell: close/minimise-to-tray rules, title, task view slot, banner, state."""

from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from monitor.core.notify_policy import Notice, NotifyEvent
from monitor.core.settings import AppSettings, UiState
from monitor.ui.main_window import MainWindow
from monitor.ui.tray import TaskCounts


def make(qtbot: QtBot, tray: bool, **settings: object) -> MainWindow:
    w = MainWindow(AppSettings(**settings), tray_available=tray)  # type: ignore[arg-type]
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_title_and_menus(qtbot: QtBot) -> None:
    w = make(qtbot, False, server_url="https://jobs.example.org:8443/api")
    assert w.windowTitle() == "Monitor — jobs.example.org:8443"
    menus = [a.text() for a in w.menuBar().actions()]
    assert menus == ["&File", "&View", "&Help"]
    # The window alone lists its own actions' keys (the task view's come with it).
    assert w.shortcuts_text().splitlines() == ["Ctrl+,\tSettings", "Ctrl+Q\tQuit"]


def test_close_without_tray_quits(qtbot: QtBot) -> None:
    w = make(qtbot, tray=False, close_to_tray=True)
    with qtbot.waitSignal(w.quit_requested, timeout=1000), qtbot.assertNotEmitted(w.hidden_to_tray):
        w.close()
    assert not w.isVisible()


def test_close_with_tray_hides(qtbot: QtBot) -> None:
    w = make(qtbot, tray=True, close_to_tray=True)
    with qtbot.waitSignal(w.hidden_to_tray, timeout=1000), qtbot.assertNotEmitted(w.quit_requested):
        w.close()
    assert not w.isVisible()
    w.toggle_visible()
    assert w.isVisible()


def test_close_to_tray_off_quits(qtbot: QtBot) -> None:
    w = make(qtbot, tray=True, close_to_tray=False)
    with qtbot.waitSignal(w.quit_requested, timeout=1000):
        w.close()


def test_file_quit_really_quits_even_with_tray(qtbot: QtBot) -> None:
    w = make(qtbot, tray=True, close_to_tray=True)
    with qtbot.waitSignal(w.quit_requested, timeout=1000):
        w.action_quit.trigger()
    with qtbot.assertNotEmitted(w.hidden_to_tray):
        w.close()
    assert not w.isVisible()


def test_toggle_without_tray_never_hides(qtbot: QtBot) -> None:
    w = make(qtbot, tray=False)
    w.toggle_visible()
    assert w.isVisible()


@pytest.mark.parametrize(("tray", "expected"), [(True, True), (False, False)])
def test_start_hidden_needs_tray(qtbot: QtBot, tray: bool, expected: bool) -> None:
    w = MainWindow(AppSettings(start_minimised=True), tray_available=tray)
    qtbot.addWidget(w)
    assert w.start_hidden() is expected


def test_minimise_to_tray(qtbot: QtBot) -> None:
    w = make(qtbot, tray=True, minimise_to_tray=True)
    with qtbot.waitSignal(w.hidden_to_tray, timeout=2000):
        w.showMinimized()
    assert not w.isVisible()


def test_set_task_view_replaces_placeholder(qtbot: QtBot) -> None:
    w = make(qtbot, False)
    assert w.task_view is None
    view = QLabel("tasks")
    w.set_task_view(view)
    assert w.task_view is view
    assert view.isVisible()
    view2 = QLabel("tasks 2")
    w.set_task_view(view2)
    assert w.task_view is view2
    qtbot.waitUntil(lambda: not shiboken6.isValid(view), timeout=1000)  # the old view is deleted


def test_toolbar_and_counts(qtbot: QtBot) -> None:
    w = make(qtbot, False)
    a = QAction("Cancel", w)
    w.add_toolbar_actions([a, None])
    assert a in w.toolbar.actions()
    w.set_counts(TaskCounts(running=2, progress=50.0, failed=1))
    assert w.counts_label.text() == "2 running, 50%, 1 failed"


def test_banner_and_activation(qtbot: QtBot) -> None:
    w = make(qtbot, False)
    w.show_banner(Notice(NotifyEvent.FAILED, "Task failed", "x.wav", ("t9",), critical=True))
    assert w.banner.isVisible()
    with qtbot.waitSignal(w.task_activated, timeout=1000) as blocker:
        w.banner._show.click()
    assert blocker.args == ["t9"]


def test_indicator_settings_button_forwards(qtbot: QtBot) -> None:
    w = make(qtbot, False)
    with qtbot.waitSignal(w.settings_requested, timeout=1000):
        w.indicator.settings_requested.emit()
    with qtbot.waitSignal(w.settings_requested, timeout=1000):
        w.action_settings.trigger()


def test_ui_state_round_trip(qtbot: QtBot) -> None:
    w = make(qtbot, False)
    w.resize(777, 555)
    w.action_detail_pane.setChecked(False)
    state = w.save_ui_state(UiState(columns=["name"]))
    assert state.columns == ["name"]
    assert state.geometry
    assert state.window_state
    w2 = MainWindow(AppSettings())
    qtbot.addWidget(w2)
    assert w2.restore_ui_state(UiState.model_validate_json(state.model_dump_json()))
    assert w2.size().width() == 777
    assert w2.size().height() == 555
    assert not w2.action_detail_pane.isChecked()


def test_zh_cn_translation(qtbot: QtBot, qapp: QApplication) -> None:
    """The shipped .qm translates known strings, incl. plurals and the Qt-free policy's phrases."""
    from monitor.core.notify_policy import NotificationPolicy
    from monitor.services.notifier import translate_policy
    from monitor.ui.i18n import install_translator

    translators = install_translator(qapp, "zh_CN")
    try:
        assert translators, "monitor_zh_CN.qm not found or not loadable"
        assert QCoreApplication.translate("TrayController", "Do not disturb") == "勿扰模式"
        w = MainWindow(AppSettings(server_url="http://127.0.0.1:8765"))
        qtbot.addWidget(w)
        assert [a.text() for a in w.menuBar().actions()] == ["文件(&F)", "视图(&V)", "帮助(&H)"]
        w.set_counts(TaskCounts(running=3, progress=62.0, failed=1))
        assert w.counts_label.text() == "3 个运行中，62%，1 个失败"
        policy = NotificationPolicy(translate=translate_policy)
        policy.task_finished(NotifyEvent.FAILED, "t1", "a")
        policy.task_finished(NotifyEvent.FAILED, "t2", "b")
        assert policy.flush()[0].title == "2 个任务失败"
    finally:
        for t in translators:
            qapp.removeTranslator(t)
    assert QCoreApplication.translate("TrayController", "Do not disturb") == "Do not disturb"


def test_english_installs_nothing(qapp: QApplication) -> None:
    from monitor.ui.i18n import install_translator

    assert install_translator(qapp, "en_US") == []


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("http://127.0.0.1:8765", "Monitor — 127.0.0.1:8765"),
        ("https://user:pw@jobs.example.org/api?x=1", "Monitor — jobs.example.org"),
        ("http://[::1]:9000/", "Monitor — [::1]:9000"),
        ("http://host:notaport/", "Monitor — http://host:notaport/"),
    ],
)
def test_title_keeps_the_port(qtbot: QtBot, url: str, title: str) -> None:
    w = make(qtbot, False, server_url="http://127.0.0.1:1")
    w.set_server_url(url)
    assert w.windowTitle() == title
    assert w.server_url == url


def test_toolbar_buttons_have_icons_and_do_not_move_when_pause_becomes_resume(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt

    from monitor.core.protocol import TaskState
    from monitor.ui.actions import TaskActions

    w = make(qtbot, False)
    actions = TaskActions(w)
    w.add_toolbar_actions(actions.toolbar_actions())
    assert w.toolbar.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    for action in (actions.cancel, actions.pause_resume, actions.retry, actions.refresh):
        assert not action.icon().isNull(), action.objectName()
    actions.set_selection([("t1", TaskState.RUNNING)])
    QApplication.processEvents()
    assert actions.pause_resume.text() == "Pause"
    pause_icon = actions.pause_resume.icon().cacheKey()
    buttons = [w.toolbar.widgetForAction(a) for a in actions.toolbar_actions() if a is not None]
    before = [b.geometry() for b in buttons]
    actions.set_selection([("t1", TaskState.PAUSED)])
    QApplication.processEvents()
    assert actions.pause_resume.text() == "Resume"
    assert actions.pause_resume.icon().cacheKey() != pause_icon  # the icon follows the action
    assert [b.geometry() for b in buttons] == before
    actions.set_selection([("t1", TaskState.RUNNING)])
    QApplication.processEvents()
    assert [b.geometry() for b in buttons] == before


def test_counts_say_as_of_while_offline(qtbot: QtBot) -> None:
    from monitor.core.connection import ConnectionState, ConnectionStatus
    from monitor.ui.indicator import format_clock

    w = make(qtbot, False)
    w.set_counts(TaskCounts(running=2))
    live = ConnectionStatus(ConnectionState.CONNECTED, ConnectionState.CONNECTING, "")
    w.indicator.set_status(live)
    assert w.counts_label.text() == "2 running"
    lost = ConnectionStatus(
        ConnectionState.RECONNECTING, ConnectionState.CONNECTED, "x", since=1_700_000_000.0
    )
    w.indicator.set_status(lost)
    stamp = format_clock(1_700_000_000.0)
    assert w.counts_label.text() == f"2 running · as of {stamp}"  # without a new count
    assert w.indicator.text().endswith(f"· as of {stamp}")
    w.set_counts(TaskCounts(running=1))
    assert w.counts_label.text() == f"1 running · as of {stamp}"
    w.indicator.set_status(live)
    assert w.counts_label.text() == "1 running"


def test_the_window_goes_down_to_640x420_with_the_task_view(qtbot: QtBot) -> None:
    # The detail pane's fields and tabs scroll inside their pane: their ~350 px of wanted height
    # used to keep the whole window from going below 483 px.
    from monitor.core.store import TaskStore
    from monitor.ui.task_view import TaskView

    win = MainWindow(AppSettings(), tray_available=False)
    qtbot.addWidget(win)
    win.set_task_view(TaskView(TaskStore()))
    win.show()
    win.resize(640, 420)
    qtbot.waitUntil(lambda: (win.width(), win.height()) == (640, 420), timeout=2000)
