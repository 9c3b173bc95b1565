"""The notifier's history (banner path and its Show button) and the history dialog."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from monitor.core.notify_history import Outcome
from monitor.core.notify_policy import Notice, NotificationPolicy, NotifyEvent
from monitor.services.notifier import DeliveryPath, Notifier
from monitor.ui.notifications import NotificationBanner
from monitor.ui.notify_history import NotificationHistoryDialog


def _failed(task_id: str, name: str) -> Notice:
    return Notice(
        NotifyEvent.FAILED, "Task failed", f"{name}: boom", (task_id,), critical=True, timeout_s=None
    )


def test_banner_deliveries_and_show_clicks_are_recorded(qtbot: QtBot) -> None:
    clock = iter([100.0, 101.0, 102.0, 103.0])
    notifier = Notifier(NotificationPolicy(), use_dbus=False, wall_clock=lambda: next(clock))
    banner = NotificationBanner()
    qtbot.addWidget(banner)
    notifier.banner_requested.connect(banner.show_notice)
    banner.notice_activated.connect(notifier.note_banner_click)
    notifier.deliver(_failed("a", "a.wav"))
    notifier.deliver(_failed("b", "<b>b.wav</b>"))
    assert [(e.number, e.path, e.outcome) for e in notifier.history.entries] == [
        (1, DeliveryPath.BANNER, Outcome.SHOWN),
        (2, DeliveryPath.BANNER, Outcome.SHOWN),
    ]
    with qtbot.waitSignal(notifier.history_changed) as changed:
        banner._show.click()  # the newest notice is shown: b
    assert changed.args[0].number == 2
    assert changed.args[0].outcome is Outcome.CLICKED

    dialog = NotificationHistoryDialog()
    qtbot.addWidget(dialog)
    dialog.set_entries(notifier.history.entries)
    notifier.history_changed.connect(dialog.entry_changed)
    rows = dialog.rows()
    assert [r[1] for r in rows] == [
        "Task failed - <b>b.wav</b>: boom",
        "Task failed - a.wav: boom",
    ]  # newest first
    assert rows[0][2] == "In the window"
    assert rows[0][3].startswith("Clicked (")
    assert rows[1][3] == "Not clicked"
    assert dialog.table.item(0, 1).toolTip() != rows[0][1]  # escaped: never rendered as rich text
    # A new delivery appears on top while the dialog is open; a double-click shows its task.
    notifier.deliver(_failed("c", "c.wav"))
    assert dialog.rows()[0][1] == "Task failed - c.wav: boom"
    with qtbot.waitSignal(dialog.task_activated) as activated:
        dialog.table.cellDoubleClicked.emit(0, 1)
    assert activated.args == ["c"]


def test_empty_history_says_so(qtbot: QtBot) -> None:
    dialog = NotificationHistoryDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.rows() == []
    assert dialog._empty.isVisible()
