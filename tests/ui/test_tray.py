"""Tray logic (icon state, tooltip, menu signals) and the notification delivery fallbacks.

Offscreen there is no tray host, so ``TrayController(available=...)`` is set explicitly where a
test needs the "tray exists" branch; the icon itself cannot be seen here (the e2e test covers a
real tray host and a real notification server).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from pytestqt.qtbot import QtBot

from monitor.core.notify_policy import Notice, NotificationPolicy, NotifyEvent
from monitor.core.protocol import Task, TaskState
from monitor.core.settings import NotificationSettings
from monitor.services.notifier import DeliveryPath, Notifier, escape_markup
from monitor.ui.icons import ICON_SIZES, IconState, app_icon, paint_icon
from monitor.ui.notifications import NotificationBanner
from monitor.ui.tray import TaskCounts, TrayController, summary_text


def task(i: int, state: TaskState, progress: float = 0.0) -> Task:
    return Task(id=f"t{i}", name=f"n{i}", state=state, progress=progress, created_at=1.0)


@pytest.fixture
def tray(qtbot: QtBot) -> Iterator[TrayController]:
    t = TrayController(available=True)
    yield t
    t.hide()
    t.menu.deleteLater()


def test_counts_from_tasks() -> None:
    tasks = [
        task(1, TaskState.RUNNING, 40),
        task(2, TaskState.RUNNING, 80),
        task(3, TaskState.CANCELLING, 60),
        task(4, TaskState.QUEUED),
        task(5, TaskState.FAILED),
        task(6, TaskState.PAUSED),
        task(7, TaskState.COMPLETED),
    ]
    c = TaskCounts.from_tasks(tasks, unseen_failed=1)
    assert (c.running, c.queued, c.paused, c.completed, c.failed) == (3, 1, 1, 1, 1)
    assert c.progress == pytest.approx(60.0)
    assert c.active == 5
    assert summary_text(c) == "3 running, 60%, 1 queued, 1 paused, 1 failed"


@pytest.mark.parametrize(
    ("counts", "connected", "state", "tip"),
    [
        (TaskCounts(), True, IconState.IDLE, "Monitor - No tasks"),  # no data is not "idle"
        (TaskCounts(completed=2), True, IconState.IDLE, "Monitor - Idle"),
        (
            TaskCounts(running=3, progress=62.4, failed=1),
            True,
            IconState.RUNNING,
            "Monitor - 3 running, 62%, 1 failed",
        ),
        (TaskCounts(running=1, progress=5, failed=1, unseen_failed=1), True, IconState.ATTENTION, None),
        (TaskCounts(paused=2), True, IconState.PAUSED, "Monitor - 2 paused"),
        (
            TaskCounts(running=2, unseen_failed=1),
            False,
            IconState.DISCONNECTED,
            "Monitor - Offline - 2 running",
        ),
    ],
)
def test_icon_state_and_tooltip(
    tray: TrayController, counts: TaskCounts, connected: bool, state: IconState, tip: str | None
) -> None:
    tray.set_connected(connected)
    tray.set_counts(counts)
    assert tray.state is state
    assert tray.icon.toolTip() == tray.tooltip()
    if tip is not None:
        assert tray.tooltip() == tip
    assert not tray.icon.icon().isNull()


def test_offline_tooltip_says_as_of_when_the_counts_froze(tray: TrayController) -> None:
    from monitor.ui.indicator import format_clock

    tray.set_counts(TaskCounts(running=2))
    tray.set_connected(False)
    tray.set_stale(1_700_000_000.0)
    expected = f"Monitor - Offline - 2 running · as of {format_clock(1_700_000_000.0)}"
    assert tray.tooltip() == expected
    assert tray.icon.toolTip() == expected
    tray.set_stale(None)  # never live (no data to date) or live again: no "as of"
    assert tray.tooltip() == "Monitor - Offline - 2 running"


def test_menu_actions_enabled_by_counts(tray: TrayController) -> None:
    tray.set_counts(TaskCounts())
    assert not tray.action_pause_all.isEnabled()
    assert not tray.action_resume_all.isEnabled()
    tray.set_counts(TaskCounts(running=1, paused=1))
    assert tray.action_pause_all.isEnabled()
    assert tray.action_resume_all.isEnabled()


def test_menu_signals(tray: TrayController, qtbot: QtBot) -> None:
    tray.set_counts(TaskCounts(running=1, paused=1))
    for action, signal in (
        (tray.action_show_hide, tray.show_hide_requested),
        (tray.action_pause_all, tray.pause_all_requested),
        (tray.action_resume_all, tray.resume_all_requested),
        (tray.action_settings, tray.settings_requested),
        (tray.action_quit, tray.quit_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            action.trigger()
    with qtbot.waitSignal(tray.dnd_toggled, timeout=1000) as blocker:
        tray.action_dnd.trigger()
    assert blocker.args == [True]
    with qtbot.assertNotEmitted(tray.dnd_toggled):
        tray.set_dnd(False)
    assert not tray.action_dnd.isChecked()


def test_menu_ends_with_settings_then_a_separator_then_quit(tray: TrayController) -> None:
    items = ["-" if a.isSeparator() else a.objectName() for a in tray.menu.actions()]
    assert items[-4:] == ["doNotDisturb", "settings", "-", "quit"]
    assert tray.action_settings.text() == "Settings…"


def test_menu_accessible_and_show_hide_text(tray: TrayController) -> None:
    assert tray.menu.accessibleName()
    for action in tray.menu.actions():
        if not action.isSeparator():
            assert action.text()
            assert action.objectName()
    tray.set_window_visible(False)
    assert tray.action_show_hide.text() == "Show window"
    tray.set_window_visible(True)
    assert tray.action_show_hide.text() == "Hide window"


def test_offscreen_has_no_tray(qtbot: QtBot) -> None:
    t = TrayController()  # asks Qt: never available on offscreen
    assert not t.available
    t.show()
    assert not t.icon.isVisible()
    t.menu.deleteLater()


def test_icons_paint_every_size(qapp: object) -> None:
    for state in IconState:
        pm = paint_icon(32, state, 50 if state is IconState.RUNNING else None)
        assert pm.width() == 32
        assert not pm.toImage().isNull()
        assert pm.toImage().pixelColor(16, 2).alpha() > 0  # the disc is drawn
    assert paint_icon(32, IconState.ATTENTION).toImage() != paint_icon(32, IconState.IDLE).toImage()
    sizes = {s.width() for s in app_icon().availableSizes()}
    assert set(ICON_SIZES) <= sizes


# ----------------------------------------------------------------------------- notifier fallbacks


def failed_notice() -> Notice:
    return Notice(NotifyEvent.FAILED, "Task failed", "a.wav: <b>boom</b> & more", ("t1",), critical=True)


def test_escape_markup() -> None:
    assert escape_markup("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_no_loop_no_tray_gives_banner(qtbot: QtBot) -> None:
    n = Notifier(NotificationPolicy())
    with qtbot.waitSignal(n.delivered, timeout=1000) as blocker:
        n.deliver(failed_notice())
    assert blocker.args[0] == DeliveryPath.BANNER


def test_not_toast_goes_to_banner(qtbot: QtBot) -> None:
    n = Notifier(NotificationPolicy(), use_dbus=True)
    notice = Notice(NotifyEvent.COMPLETED, "Task completed", "x", ("t1",), toast=False, timeout_s=5)
    with qtbot.waitSignal(n.banner_requested, timeout=1000) as blocker:
        n.deliver(notice)
    assert blocker.args == [notice]


def test_dead_bus_falls_back_to_banner(
    qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real desktop-notifier against a bus address where nothing listens."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    n = Notifier(NotificationPolicy())
    with qtbot.waitSignal(n.delivered, timeout=5000) as blocker:
        n.deliver(failed_notice())
    assert blocker.args[0] == DeliveryPath.BANNER
    assert not n.dbus_enabled
    qloop.run_until_complete(n.aclose())


def test_nothing_is_delivered_after_aclose(qloop: qasync.QEventLoop) -> None:
    # At shutdown the stream's last "disconnected" still reaches the policy; a notice shown then
    # would arm the banner's timer on a window that is going away.
    n = Notifier(NotificationPolicy(NotificationSettings(group_window_s=0)), use_dbus=False)
    got: list[Notice] = []
    n.delivered.connect(lambda _path, notice: got.append(notice))
    qloop.run_until_complete(n.aclose())
    n.policy.connection_changed(True)
    n.policy.connection_changed(False, "server closed the stream")
    n.policy.task_finished(NotifyEvent.FAILED, "t1", "a")
    n.deliver_due()
    assert got == []


def test_grouping_timer_delivers(qtbot: QtBot) -> None:
    policy = NotificationPolicy(NotificationSettings(completed=True, group_window_s=0.1))
    n = Notifier(policy, use_dbus=False)
    got: list[Notice] = []
    n.delivered.connect(lambda _path, notice: got.append(notice))
    n.task_finished(NotifyEvent.COMPLETED, "t1", "a")
    n.task_finished(NotifyEvent.COMPLETED, "t2", "b")
    n.task_finished(NotifyEvent.COMPLETED, "t1", "a")  # duplicate, ignored
    qtbot.waitUntil(lambda: bool(got), timeout=2000)
    assert [(x.title, x.body) for x in got] == [("2 tasks completed", "a, b")]


def test_banner_shows_plain_text_and_activates(qtbot: QtBot) -> None:
    b = NotificationBanner()
    qtbot.addWidget(b)
    b.show_notice(failed_notice())
    assert b.isVisibleTo(None) or not b.isHidden()
    assert b.text() == "Task failed - a.wav: <b>boom</b> & more"
    with qtbot.waitSignal(b.task_activated, timeout=1000) as blocker:
        b._show.click()
    assert blocker.args == ["t1"]
    assert b.isHidden()


def test_banner_success_expires(qtbot: QtBot) -> None:
    b = NotificationBanner()
    qtbot.addWidget(b)
    b.show_notice(Notice(NotifyEvent.COMPLETED, "Task completed", "x", ("t1",), timeout_s=0.05))
    assert not b.isHidden()
    qtbot.waitUntil(b.isHidden, timeout=2000)
