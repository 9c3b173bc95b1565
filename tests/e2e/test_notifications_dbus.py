"""End to end: a failure notice goes over real D-Bus to a real notification server (dunst), and
clicking it in dunst comes back as ``task_activated``.

The test starts its own private desktop (``tests/e2e/desktop.py``: dbus-daemon, Xvfb, dunst,
dbus-monitor; no tray is needed because desktop-notifier does not use one) and points only this
test's D-Bus address at it, so it never touches a real session. It skips, saying which tool is
missing, where those programs are not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from pytestqt.qtbot import QtBot

from monitor.core.notify_policy import Notice, NotificationPolicy, NotifyEvent
from monitor.services.notifier import DeliveryPath, Notifier
from tests.e2e.desktop import Desktop, missing_tools

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    missing = missing_tools("none")
    if missing:
        pytest.skip(f"needs a private X/D-Bus desktop; missing programs: {', '.join(missing)}")
    with Desktop(tray="none") as desk:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desk.env["DBUS_SESSION_BUS_ADDRESS"])
        yield desk


def test_failure_notice_over_dbus_and_click(qtbot: QtBot, qloop: qasync.QEventLoop, desktop: Desktop) -> None:
    notifier = Notifier(NotificationPolicy())
    notice = Notice(
        NotifyEvent.FAILED,
        "Task failed",
        "a.wav: <b>boom</b> & more",
        ("task-42",),
        critical=True,
        timeout_s=None,
    )
    try:
        with qtbot.waitSignal(notifier.delivered, timeout=10_000) as blocker:
            notifier.deliver(notice)
        assert blocker.args[0] == DeliveryPath.DBUS

        def seen() -> bool:
            return any(n.summary == "Task failed" for n in desktop.notifications())

        qtbot.waitUntil(seen, timeout=5000)
        [call] = [n for n in desktop.notifications() if n.summary == "Task failed"]
        assert call.app == "Monitor"
        assert call.body == "a.wav: &lt;b&gt;boom&lt;/b&gt; &amp; more"  # escaped for body-markup
        assert call.urgency == 2  # critical: stays until dismissed

        # dunst's "action" runs the notification's default action, i.e. a click on it; dunst then
        # emits ActionInvoked(id, "default"), which desktop-notifier turns into on_clicked.
        with qtbot.waitSignal(notifier.task_activated, timeout=10_000) as clicked:
            result = desktop.dunstctl("action", "0")
            assert result.returncode == 0, result.stderr
        assert clicked.args == ["task-42"]
    finally:
        qloop.run_until_complete(notifier.aclose())
