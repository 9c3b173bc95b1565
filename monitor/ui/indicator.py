"""The connection indicator: a status-bar chip that tells the truth about the stream.

Live / Connecting... / Reconnecting in N s [Retry now] / Polling / Offline since hh:mm [Retry now] /
Authentication failed [Settings]; once data was live, every offline text ends in "· as of hh:mm"
(the time the data froze). Network trouble never opens a dialog (ux.md §2 item 6): the chip
changes and offers the one useful action. The countdown ticks once a second only while a reconnect
is scheduled, so an idle app does no work.

The indicator also owns the *stale* notion: when the stream stops being live, the data in the table
is "as of" the moment it stopped. :attr:`ConnectionIndicator.stale_since` and the ``stale_changed``
signal let the task model grey its rows (D1's ``set_stale`` hook).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from monitor.core.connection import ConnectionState, ConnectionStatus, FailureKind
from monitor.core.reasons import plain_reason
from monitor.ui.plaintext import plain_tooltip

__all__ = ["ConnectionIndicator", "ServerState", "format_clock", "reason_text", "translate_reason"]

# The phrases of monitor.core.reasons, listed so that pyside6-lupdate extracts them (the mapping
# lives in the Qt-free core and receives translate_reason as its translate function).
_REASON_PHRASES = (
    QT_TRANSLATE_NOOP("Reasons", "Cannot connect to {server} (no answer in time)"),
    QT_TRANSLATE_NOOP("Reasons", "Cannot connect to {server} (its certificate is not trusted)"),
    QT_TRANSLATE_NOOP("Reasons", "Cannot connect to {server} (server name not found)"),
    QT_TRANSLATE_NOOP("Reasons", "Cannot connect to {server} (connection refused)"),
    QT_TRANSLATE_NOOP("Reasons", "Cannot connect to {server}"),
    QT_TRANSLATE_NOOP("Reasons", "{server} stopped answering"),
    QT_TRANSLATE_NOOP("Reasons", "The connection to {server} broke off"),
    QT_TRANSLATE_NOOP("Reasons", "Network error talking to {server}"),
    QT_TRANSLATE_NOOP("Reasons", "The server answered {status}: {message}"),
    QT_TRANSLATE_NOOP("Reasons", "The server answered {status}"),
    QT_TRANSLATE_NOOP("Reasons", "the server"),
    QT_TRANSLATE_NOOP("Reasons", "Gave up after {n} attempts: {reason}"),
    QT_TRANSLATE_NOOP("Reasons", "Polling for updates ({reason})"),
    QT_TRANSLATE_NOOP("Reasons", "The server refused the access token ({status})"),
    QT_TRANSLATE_NOOP("Reasons", "The server answered {status}: this address serves no task event stream"),
    QT_TRANSLATE_NOOP("Reasons", "This address answered with {type}, not a task event stream"),
    QT_TRANSLATE_NOOP("Reasons", "{server} accepted the connection but did not answer within {s} s"),
    QT_TRANSLATE_NOOP("Reasons", "No data from {server} for {s} s"),
    QT_TRANSLATE_NOOP("Reasons", "The server asked Monitor to stop connecting"),
    QT_TRANSLATE_NOOP("Reasons", "This address redirects in a loop"),
    QT_TRANSLATE_NOOP("Reasons", "Disconnected"),
    QT_TRANSLATE_NOOP("Reasons", "Connecting"),
    QT_TRANSLATE_NOOP("Reasons", "Connected"),
    QT_TRANSLATE_NOOP("Reasons", "Polling for updates"),
)


def translate_reason(text: str) -> str:
    """The translate function handed to :func:`monitor.core.reasons.plain_reason`."""
    return QCoreApplication.translate("Reasons", text)


def reason_text(reason: str, server_url: str) -> str:
    """A connection reason from the engine as a plain, translated sentence for users."""
    return plain_reason(reason, server=server_url, tr=translate_reason)


_COLOURS = {
    "live": "#2e7d32",
    "busy": "#f9a825",
    "polling": "#1565c0",
    "offline": "#9e9e9e",
    "error": "#c62828",
}


@dataclass(frozen=True, slots=True)
class ServerState:
    """One watched server's line in the indicator's tooltip (several servers at once).

    Attributes:
        name: The server's name (its connection profile's).
        url: Its address (reasons name it).
        status: Its connection status.
    """

    name: str
    url: str
    status: ConnectionStatus


def format_clock(ts: float) -> str:
    """Local ``hh:mm`` of a Unix time."""
    return time.strftime("%H:%M", time.localtime(ts))


class ConnectionIndicator(QWidget):
    """Renders :class:`ConnectionStatus` objects.

    Signals:
        retry_now_requested(): The user pressed "Retry now".
        settings_requested(): The user pressed "Settings" (after an authentication failure).
        stale_changed(object): ``float`` Unix time since which shown data is stale, or None
            when it is live again.

    Args:
        parent: Qt parent.
        clock: Unix-time source (tests pass a fake).
    """

    retry_now_requested = Signal()
    settings_requested = Signal()
    stale_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        self._status = ConnectionStatus(ConnectionState.DISCONNECTED, ConnectionState.DISCONNECTED, "")
        self._server_url = ""
        self._servers: list[ServerState] = []
        self._last_event_at: float | None = None
        self._stale_since: float | None = None
        self._ever_live = False

        self.setObjectName("connectionIndicator")
        self._dot = QLabel("●", self)
        self._dot.setAccessibleName(self.tr("Connection state colour"))
        self._label = QLabel(self)
        self._label.setTextFormat(Qt.TextFormat.PlainText)  # reasons may quote a server
        self._label.setObjectName("connectionText")
        self._retry = QPushButton(self.tr("Retry now"), self)
        self._retry.setObjectName("retryNow")
        self._retry.setAccessibleName(self.tr("Retry connecting now"))
        self._retry.setFlat(True)
        self._retry.clicked.connect(self.retry_now_requested)
        self._settings = QPushButton(self.tr("Settings"), self)
        self._settings.setObjectName("openSettings")
        self._settings.setAccessibleName(self.tr("Open connection settings"))
        self._settings.setFlat(True)
        self._settings.clicked.connect(self.settings_requested)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        for w in (self._dot, self._label, self._retry, self._settings):
            layout.addWidget(w)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._refresh)
        self.setAccessibleName(self.tr("Connection status"))
        self._refresh()

    # ------------------------------------------------------------------ inputs

    def set_status(self, status: ConnectionStatus, *, live: bool | None = None) -> None:
        """Show a new connection state (with several servers: the worst one's).

        Args:
            status: The state shown.
            live: Whether the shown data is current (default: whether ``status`` is live; with
                several servers, whether any is: then the data is stale only when none is).
        """
        self._status = status
        if live is None:
            live = status.state in (ConnectionState.CONNECTED, ConnectionState.POLLING)
        if live:
            self._ever_live = True
            self._set_stale(None)
        elif self._ever_live and self._stale_since is None:
            self._set_stale(status.since or self._clock())
        waiting = status.state is ConnectionState.RECONNECTING and status.next_attempt_at is not None
        if waiting:
            self._timer.start()
        else:
            self._timer.stop()
        self._refresh()

    def set_servers(self, servers: Sequence[ServerState]) -> None:
        """Several servers: the tooltip lists each one's state and reason ([]: one server)."""
        self._servers = list(servers)
        self._refresh()

    def server_lines(self) -> list[str]:
        """One line per server, "name: state" and the reason when it is not live ([]: one server)."""
        lines = []
        for server in self._servers:
            text = self._describe(server.status)[0]
            line = self.tr("%1: %2").replace("%1", server.name).replace("%2", text)
            if server.status.reason and not server.status.state.is_live:
                line += " — " + reason_text(server.status.reason, server.url)
            lines.append(line)
        return lines

    def set_server_url(self, url: str) -> None:
        """The URL shown in the tooltip."""
        self._server_url = url
        self._refresh()

    def note_event(self, at: float | None = None) -> None:
        """Record that an event (or heartbeat) arrived, for the tooltip's "last event" age."""
        self._last_event_at = self._clock() if at is None else at

    # ------------------------------------------------------------------ outputs

    @property
    def status(self) -> ConnectionStatus:
        """The status last shown."""
        return self._status

    @property
    def stale_since(self) -> float | None:
        """Unix time since which the data shown is not live, or None."""
        return self._stale_since

    @property
    def countdown_active(self) -> bool:
        """True while the once-a-second countdown timer runs."""
        return self._timer.isActive()

    def text(self) -> str:
        """The chip's text as shown."""
        return self._label.text()

    def retry_visible(self) -> bool:
        """Whether "Retry now" is offered."""
        return not self._retry.isHidden()

    def settings_visible(self) -> bool:
        """Whether "Settings" is offered."""
        return not self._settings.isHidden()

    def tooltip_text(self) -> str:
        """Server URL, age of the last event, attempts and reason, one per line."""
        st = self._status
        if self._servers:  # several servers: each one's state instead of the one URL
            lines = [self.tr("Servers:"), *self.server_lines()]
        else:
            lines = [self.tr("Server: %1").replace("%1", self._server_url or "-")]
        if self._last_event_at is None:
            lines.append(self.tr("No events received yet"))
        else:
            age = max(0, int(self._clock() - self._last_event_at))
            lines.append(self.tr("Last event %n s ago", "", age))
        if st.attempt:
            lines.append(self.tr("Attempt %n", "", st.attempt))
        if st.reason and not self._servers:
            lines.append(self.tr("Reason: %1").replace("%1", reason_text(st.reason, self._server_url)))
        if self._stale_since is not None:
            lines.append(self.tr("Data as of %1").replace("%1", format_clock(self._stale_since)))
        return "\n".join(lines)

    # ------------------------------------------------------------------ internals

    def _set_stale(self, since: float | None) -> None:
        if since != self._stale_since:
            self._stale_since = since
            self.stale_changed.emit(since)

    def _refresh(self) -> None:
        text, colour, retry, settings = self._describe(self._status)
        if self._stale_since is not None:  # never while live (set_status clears it)
            # Offline data is frozen: say how old it is in words a glance catches, not a tooltip.
            text = self.tr("%1 · as of %2").replace("%2", format_clock(self._stale_since)).replace("%1", text)
        self._label.setText(text)
        self._dot.setStyleSheet(f"color: {_COLOURS[colour]};")
        self._retry.setVisible(retry)
        self._settings.setVisible(settings)
        tip = self.tooltip_text()
        self.setToolTip(plain_tooltip(tip))
        self.setAccessibleDescription(f"{text}. {tip}")

    def _describe(self, st: ConnectionStatus) -> tuple[str, str, bool, bool]:
        """(chip text, colour, offer Retry now, offer Settings) for one status."""
        retry = settings = False
        if st.state is ConnectionState.CONNECTED:
            text, colour = self.tr("Live"), "live"
        elif st.state is ConnectionState.CONNECTING:
            text, colour = self.tr("Connecting…"), "busy"
        elif st.state is ConnectionState.RECONNECTING:
            colour, retry = "busy", True
            if st.next_attempt_at is not None:
                left = max(0, round(st.next_attempt_at - self._clock()))
                text = self.tr("Reconnecting in %n s", "", left)
            else:
                text = self.tr("Reconnecting…")
        elif st.state is ConnectionState.POLLING:
            text, colour = self.tr("Polling"), "polling"
        elif st.state is ConnectionState.FAILED and st.failure is FailureKind.AUTH:
            text, colour, settings = self.tr("Authentication failed"), "error", True
        else:
            since = self._stale_since or st.since or self._clock()
            if st.state is ConnectionState.FAILED and st.failure is FailureKind.NOT_A_STREAM:
                text, colour = self.tr("Not a Monitor server"), "error"
                settings = True
            elif self._stale_since is not None:
                text, colour = self.tr("Offline"), "offline"  # "as of" below says since when
            else:
                text, colour = self.tr("Offline since %1").replace("%1", format_clock(since)), "offline"
            retry = True  # whatever stopped us, trying again by hand is always allowed
        return text, colour, retry, settings

    def event(self, e: QEvent) -> bool:
        """Recompute the tooltip when it is about to show, so the event age is current."""
        if e.type() == QEvent.Type.ToolTip:
            self.setToolTip(plain_tooltip(self.tooltip_text()))
        return super().event(e)
