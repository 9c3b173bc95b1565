"""Connection indicator: every ConnectionState, countdown, stale notion, buttons, tooltip."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind
from monitor.ui.indicator import ConnectionIndicator, format_clock

S = ConnectionState
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def status(state: ConnectionState, **kw: object) -> ConnectionStatus:
    return ConnectionStatus(state=state, previous=S.CONNECTED, reason=str(kw.pop("reason", "")), **kw)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ind(qtbot: QtBot, clock: Clock) -> ConnectionIndicator:
    w = ConnectionIndicator(clock=clock)
    qtbot.addWidget(w)
    w.set_server_url("http://127.0.0.1:8765")
    return w


@pytest.mark.parametrize(
    ("st", "text", "retry", "settings"),
    [
        (status(S.CONNECTED), "Live", False, False),
        (status(S.CONNECTING), "Connecting…", False, False),
        (status(S.RECONNECTING, attempt=2, next_attempt_at=T0 + 5), "Reconnecting in 5 s", True, False),
        (status(S.RECONNECTING, attempt=2), "Reconnecting…", True, False),
        (status(S.POLLING), "Polling", False, False),
        (status(S.DISCONNECTED, since=1_700_000_000.0), "Offline since ", True, False),
        (status(S.FAILED, failure=FailureKind.AUTH, http_status=401), "Authentication failed", False, True),
        (status(S.FAILED, failure=FailureKind.EXHAUSTED, since=T0), "Offline since ", True, False),
        (status(S.FAILED, failure=FailureKind.NOT_A_STREAM), "Not a Monitor server", True, True),
    ],
)
def test_every_state(
    ind: ConnectionIndicator, st: ConnectionStatus, text: str, retry: bool, settings: bool
) -> None:
    ind.set_status(st)
    assert ind.text().startswith(text)
    assert ind.retry_visible() is retry
    assert ind.settings_visible() is settings
    assert ind.accessibleName() == "Connection status"
    assert ind.text() in ind.accessibleDescription()
    assert ind.countdown_active is (st.state is S.RECONNECTING and st.next_attempt_at is not None)


def test_offline_shows_clock_time(ind: ConnectionIndicator) -> None:
    since = 1_700_000_000.0
    ind.set_status(status(S.DISCONNECTED, since=since))
    assert ind.text() == f"Offline since {format_clock(since)}"


def test_countdown_ticks_only_while_waiting(qtbot: QtBot, clock: Clock) -> None:
    real = ConnectionIndicator()  # real clock: the 1 s timer must move the text
    qtbot.addWidget(real)
    real.set_status(status(S.RECONNECTING, attempt=1, next_attempt_at=time.time() + 3))
    first = real.text()
    assert first in ("Reconnecting in 3 s", "Reconnecting in 2 s")
    qtbot.waitUntil(lambda: real.text() != first, timeout=2500)
    real.set_status(status(S.CONNECTED))
    assert not real.countdown_active


def test_countdown_never_negative(ind: ConnectionIndicator, clock: Clock) -> None:
    ind.set_status(status(S.RECONNECTING, attempt=1, next_attempt_at=clock.now + 1))
    clock.now += 10
    ind._refresh()
    assert ind.text() == "Reconnecting in 0 s"


def test_buttons_emit(ind: ConnectionIndicator, qtbot: QtBot) -> None:
    ind.set_status(status(S.RECONNECTING, attempt=1))
    with qtbot.waitSignal(ind.retry_now_requested, timeout=1000):
        ind._retry.click()
    ind.set_status(status(S.FAILED, failure=FailureKind.AUTH))
    with qtbot.waitSignal(ind.settings_requested, timeout=1000):
        ind._settings.click()


def test_stale_since(ind: ConnectionIndicator, qtbot: QtBot, clock: Clock) -> None:
    seen: list[object] = []
    ind.stale_changed.connect(seen.append)
    ind.set_status(status(S.CONNECTING))
    assert ind.stale_since is None  # never live: nothing to be stale
    ind.set_status(status(S.CONNECTED))
    ind.set_status(status(S.RECONNECTING, since=clock.now + 5, attempt=1))
    assert ind.stale_since == clock.now + 5
    ind.set_status(status(S.RECONNECTING, since=clock.now + 9, attempt=2))
    assert ind.stale_since == clock.now + 5  # stale since the *first* drop
    assert "Data as of" in ind.tooltip_text()
    ind.set_status(status(S.POLLING))  # polling still delivers data
    assert ind.stale_since is None
    assert seen == [clock.now + 5, None]


def test_tooltip(ind: ConnectionIndicator, clock: Clock) -> None:
    ind.set_status(status(S.RECONNECTING, attempt=3, reason="read timeout <b>x</b>"))
    tip = ind.tooltip_text()
    assert "http://127.0.0.1:8765" in tip
    assert "No events received yet" in tip
    assert "Attempt 3" in tip
    assert "read timeout <b>x</b>" in tip
    ind.note_event(clock.now - 12)
    assert "Last event 12 s ago" in ind.tooltip_text()


def test_reason_is_plain_text(ind: ConnectionIndicator) -> None:
    from PySide6.QtCore import Qt

    assert ind._label.textFormat() == Qt.TextFormat.PlainText
