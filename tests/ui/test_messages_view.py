"""The messages view with real widgets (offscreen): table, filter, unread count, plain text, wiring."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget
from pytestqt.qtbot import QtBot

from monitor.core.messages import MessageKind
from monitor.core.notify_policy import Notice, NotificationPolicy, NotifyEvent
from monitor.core.settings import AppSettings, NotificationSettings
from monitor.core.store import TaskStore
from monitor.services.notifier import DeliveryPath, Notifier
from monitor.services.sse_service import SSEService
from monitor.ui.messages import MessageColumn, MessagesPanel, connect_messages

ME = "monitor-me"


def env(mid: str, type_: str, payload: Any, **kw: Any) -> dict[str, Any]:
    return {
        "id": mid,
        "type": type_,
        "priority": 1,
        "timestamp": 1_700_000_000_000,
        "source": "server",
        "payload": payload,
        **kw,
    }


def cell(
    panel: MessagesPanel, row: int, column: MessageColumn, role: int = Qt.ItemDataRole.DisplayRole
) -> Any:
    return panel.model.data(panel.model.index(row, column), role)


def test_rows_newest_first_with_type_priority_source_to_text(qtbot: QtBot, qtmodeltester: Any) -> None:
    panel = MessagesPanel(client_id=ME)
    qtbot.addWidget(panel)
    qtmodeltester.check(panel.model)
    panel.add_event("text", env("a", "text", {"content": "hello"}))
    panel.add_event("error", env("b", "error", {"message": "disk full"}, priority=3, target=ME))
    panel.add_event("heartbeat", env("h", "heartbeat", {"serverTime": 1}))  # machinery: not shown
    panel.add_event("ack", env("k", "ack", {"commandId": "c", "success": True}))
    assert panel.model.rowCount() == 2
    assert [
        cell(panel, 0, c)
        for c in (
            MessageColumn.TYPE,
            MessageColumn.PRIORITY,
            MessageColumn.SOURCE,
            MessageColumn.TO,
            MessageColumn.TEXT,
        )
    ] == ["Error", "Critical", "server", "You", "disk full"]
    assert cell(panel, 1, MessageColumn.TEXT) == "hello"
    assert cell(panel, 1, MessageColumn.TO) == "Everyone"
    qtmodeltester.check(panel.model)


def test_network_strings_stay_plain_text(qtbot: QtBot) -> None:
    panel = MessagesPanel(client_id=ME)
    qtbot.addWidget(panel)
    evil = "<img src=x><b>bold</b>\nsecond line"
    panel.add_event("text", env("a", "text", {"content": evil}))
    assert cell(panel, 0, MessageColumn.TEXT) == "<img src=x><b>bold</b> \u23ce second line"
    tip = cell(panel, 0, MessageColumn.TEXT, Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=x&gt;&lt;b&gt;bold&lt;/b&gt;" in tip
    assert "<img" not in tip
    panel.table.setCurrentIndex(panel.model.index(0, 0))
    assert panel.detail.toPlainText() == evil
    assert panel.unread_label.textFormat() == Qt.TextFormat.PlainText


def test_unread_count_filter_and_mark_read_on_view(qtbot: QtBot) -> None:
    panel = MessagesPanel(client_id=ME)
    qtbot.addWidget(panel)
    counts: list[int] = []
    panel.unread_count_changed.connect(counts.append)
    panel.add_event("text", env("a", "text", "one"))
    panel.add_event("system", env("b", "system", {"event": "maintenance"}))
    panel.add_event("error", env("c", "error", "bad"))
    assert counts == [1, 2, 3]
    assert panel.tab_title() == "Messages (3)"
    assert cell(panel, 0, MessageColumn.TEXT, Qt.ItemDataRole.FontRole).bold()

    panel.set_type_filter(MessageKind.ERROR)
    assert panel.model.rowCount() == 1
    assert cell(panel, 0, MessageColumn.TEXT) == "bad"
    assert panel.unread_count == 3, "hidden panel: filtering alone reads nothing"

    with qtbot.waitSignal(panel.unread_count_changed, timeout=1000) as blocker:
        panel.show()  # the user looks at the error messages
    assert blocker.args == [2]
    assert cell(panel, 0, MessageColumn.TEXT, Qt.ItemDataRole.FontRole) is None
    panel.add_event("error", env("d", "error", "seen at once"))
    panel.add_event("text", env("e", "text", "filtered out, stays unread"))
    assert panel.model.rowCount() == 2
    assert panel.unread_count == 3
    panel.set_type_filter(None)
    assert panel.model.rowCount() == 5
    assert panel.unread_count == 0, "visible and showing everything: all read"
    assert panel.tab_title() == "Messages"


def test_bound_evicts_oldest_rows(qtbot: QtBot, qtmodeltester: Any) -> None:
    panel = MessagesPanel(client_id=ME, capacity=3)
    qtbot.addWidget(panel)
    for i in range(5):
        panel.add_event("text", env(f"m{i}", "text", f"t{i}"))
    assert [cell(panel, r, MessageColumn.TEXT) for r in range(panel.model.rowCount())] == ["t4", "t3", "t2"]
    assert panel.unread_count == 3
    panel.set_capacity(1)
    assert [cell(panel, r, MessageColumn.TEXT) for r in range(panel.model.rowCount())] == ["t4"]
    assert panel.unread_count == 1
    panel.add_event("text", env("m4", "text", "duplicate id"))
    assert panel.model.rowCount() == 1
    qtmodeltester.check(panel.model)


def test_malformed_event_is_counted_not_shown(qtbot: QtBot) -> None:
    panel = MessagesPanel(client_id=ME)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.message_skipped, timeout=1000) as blocker:
        panel.add_event("message", "not json at all")
    assert "not a JSON object" in blocker.args[0]
    assert (panel.skipped, panel.model.rowCount()) == (1, 0)


def test_wiring_service_to_panel_tab_title_and_notifier(qtbot: QtBot) -> None:
    service = SSEService(AppSettings(server_url="http://127.0.0.1:9"), store=TaskStore())
    panel = MessagesPanel(client_id=ME)
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("tasks"), "Tasks")
    tabs.addTab(panel, "Messages")
    notifier = Notifier(NotificationPolicy(NotificationSettings(group_window_s=0)), use_dbus=False)
    delivered: list[tuple[str, Notice]] = []
    notifier.delivered.connect(lambda path, notice: delivered.append((path, notice)))
    connect_messages(service, panel, notifier, retitle=lambda title: tabs.setTabText(1, title))

    service.message_received.emit("text", env("a", "text", {"content": "plain chat"}))
    assert tabs.tabText(1) == "Messages (1)"
    assert delivered == [], "a plain text message does not notify"
    service.message_received.emit("error", env("b", "error", {"message": "worker crashed"}, source="node-7"))
    qtbot.waitUntil(lambda: len(delivered) == 1, timeout=2000)
    path, notice = delivered[0]
    assert path == DeliveryPath.BANNER  # no D-Bus, no tray in this test: the in-window banner
    assert (notice.kind, notice.title, notice.body) == (
        NotifyEvent.MESSAGE_ERROR,
        "Error message from node-7",
        "worker crashed",
    )
    assert tabs.tabText(1) == "Messages (2)"
    tabs.setCurrentIndex(1)
    tabs.show()
    qtbot.waitUntil(lambda: tabs.tabText(1) == "Messages", timeout=2000)
