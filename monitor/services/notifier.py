"""Delivering notices: D-Bus via desktop-notifier, Qt's tray balloon, or an in-window banner.

A service: no widgets here (the banner and the tray icon are ``monitor.ui``).

What to show is decided by the pure :class:`~monitor.core.notify_policy.NotificationPolicy`;
this module only delivers, trying in order:

1. ``desktop-notifier`` (``DesktopNotifier(app_name="Monitor")``) on the running asyncio loop
   (qasync in the app). It sends a real ``org.freedesktop.Notifications.Notify`` call whatever the
   tray, supports urgency and click callbacks. Its ``send`` swallows errors (it only logs), so
   success is detected through ``on_dispatched``; a failure (no session bus: ``dbus_fast`` raises
   ``InvalidAddressError``) switches this path off for the session.
2. ``QSystemTrayIcon.showMessage`` when a tray exists.
3. The in-window banner (``banner_requested``, shown by ``monitor.ui.notifications``)
   otherwise, and always for notices the policy marked
   ``toast=False`` (do not disturb, window focused).

Every string is plain text. The D-Bus body may be interpreted as markup by the server (the
``body-markup`` capability), so ``&``, ``<`` and ``>`` are escaped there, as the Desktop
Notifications spec asks; the summary is never markup and is sent as is.

Clicking a notice emits ``task_activated(task_id)`` with the first task it concerns (``""`` for
notices about no task: the app just raises the window).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QTimer, Signal, SignalInstance

from monitor.client.aio import cancel_and_wait
from monitor.core.notify_history import NoticeAction, NotificationHistory, Outcome
from monitor.core.notify_policy import Notice, NotificationPolicy, NotifyEvent

__all__ = [
    "BalloonTray",
    "DeliveryPath",
    "NoticeActionRequest",
    "Notifier",
    "escape_markup",
    "translate_policy",
]

_log = logging.getLogger(__name__)

# The policy's phrases, listed so that pyside6-lupdate extracts them (the policy lives in the
# Qt-free core and receives QCoreApplication.translate as its translate function).
_POLICY_PHRASES = (
    QT_TRANSLATE_NOOP("NotificationPolicy", "Task completed"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Task failed"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Task cancelled"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{n} tasks completed"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{n} tasks failed"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{n} tasks cancelled"),
    QT_TRANSLATE_NOOP("NotificationPolicy", " and {n} more"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Connection lost, reconnecting…"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Cannot reach the server at {name}"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Authentication failed"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{name} refused the access token. Check it in Settings."),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Not a Monitor server"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "{name} serves no task event stream."),
    QT_TRANSLATE_NOOP("NotificationPolicy", "the server"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Monitor keeps retrying in the background."),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Connection restored"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Live updates resumed."),
    QT_TRANSLATE_NOOP("NotificationPolicy", "All tasks done"),
    QT_TRANSLATE_NOOP("NotificationPolicy", "Nothing is running any more."),
)


def translate_policy(text: str) -> str:
    """The translate function handed to :class:`NotificationPolicy`."""
    return QCoreApplication.translate("NotificationPolicy", text)


def escape_markup(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for a notification body (spec: body may be markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DeliveryPath:
    """Names of the delivery paths, as reported by ``Notifier.delivered``."""

    DBUS = "dbus"
    TRAY = "tray"
    BANNER = "banner"


class BalloonTray(Protocol):
    """What the notifier needs from the tray (``monitor.ui.tray.TrayController`` provides it)."""

    @property
    def message_clicked(self) -> SignalInstance:
        """Emitted when the last balloon was clicked."""
        ...

    def can_show_messages(self) -> bool:
        """Whether a balloon would be seen now (a tray host, a visible icon, message support)."""
        ...

    def show_message(self, title: str, body: str, *, critical: bool, msecs: int) -> None:
        """Show a balloon."""
        ...


@dataclass(frozen=True, slots=True)
class NoticeActionRequest:
    """A notification's button was pressed: do ``action`` for ``task_id``."""

    action: NoticeAction
    task_id: str


#: Button labels (translated when the button is made).
_ACTION_LABELS = {
    NoticeAction.RETRY: QT_TRANSLATE_NOOP("Notifier", "Retry"),
    NoticeAction.OPEN_RESULT: QT_TRANSLATE_NOOP("Notifier", "Open result"),
}
_ACTION_OUTCOMES = {NoticeAction.RETRY: Outcome.RETRIED, NoticeAction.OPEN_RESULT: Outcome.OPENED}

#: Asked at delivery which buttons a notice gets (the app knows the server and the task).
ActionsProvider = Callable[[Notice], tuple[NoticeAction, ...]]


class Notifier(QObject):
    """Feeds the policy, runs its grouping timer and delivers what it releases.

    Every delivered notice is recorded in :attr:`history`, with what the user did with it.

    Signals:
        task_activated(str): A notice was clicked (any path); first task id or "".
        action_requested(object): A notification button was pressed
            (:class:`NoticeActionRequest`).
        banner_requested(object): A :class:`Notice` for the in-window banner.
        delivered(str, object): Path name (:class:`DeliveryPath`) and the :class:`Notice`.
        history_changed(object): A :class:`~monitor.core.notify_history.HistoryEntry` was added
            or its outcome changed.

    Args:
        policy: The policy (its clock must be ``time.monotonic``-like seconds, as the timer is).
        tray: The tray, for the Qt balloon fallback.
        icon_path: PNG shown by D-Bus notices (None: the icon theme's ``io.monitor.Monitor``).
        use_dbus: False never tries desktop-notifier (tests of the fallback, or by choice).
        app_name: Name sent to the notification server.
        notifier_factory: Builds the desktop-notifier object; None makes
            ``DesktopNotifier(app_name=app_name)`` on first use.
        clock: The policy's clock (monotonic seconds).
        wall_clock: Unix seconds, for the history.
        parent: Qt parent.
    """

    task_activated = Signal(str)
    action_requested = Signal(object)
    banner_requested = Signal(object)
    delivered = Signal(str, object)
    history_changed = Signal(object)

    def __init__(
        self,
        policy: NotificationPolicy,
        *,
        tray: BalloonTray | None = None,
        icon_path: Path | None = None,
        use_dbus: bool = True,
        app_name: str = "Monitor",
        notifier_factory: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.policy = policy
        self.history = NotificationHistory()
        self._wall_clock = wall_clock
        self._actions: ActionsProvider | None = None
        self._tray = tray
        self._icon_path = icon_path
        self._dbus_ok = use_dbus
        self._app_name = app_name
        self._factory = notifier_factory
        self._clock = clock
        self._dn: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._tray_task_id = ""
        self._tray_entry = 0  # the history number of the balloon shown last
        self._closed = False
        self._in_use: Callable[[], bool] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.deliver_due)
        if tray is not None:
            tray.message_clicked.connect(lambda: self._clicked(self._tray_entry, self._tray_task_id))

    # ------------------------------------------------------------------ facts in (proxies)

    def task_finished(
        self, kind: NotifyEvent, task_id: str, name: str, *, attempt: int = 1, detail: str | None = None
    ) -> None:
        """See :meth:`NotificationPolicy.task_finished`; also (re)arms the grouping timer."""
        self.policy.task_finished(kind, task_id, name, attempt=attempt, detail=detail)
        self._schedule()

    def forget_task(self, task_id: str) -> None:
        """The task left the list: the policy drops its memory of it (bounded memory)."""
        self.policy.forget_task(task_id)

    def active_count_changed(self, active: int) -> None:
        """See :meth:`NotificationPolicy.active_count_changed`."""
        self.policy.active_count_changed(active)
        self._schedule()

    def set_dnd(self, on: bool) -> None:
        """Do not disturb (see the policy for what it suppresses)."""
        self.policy.dnd = on

    def set_window_focused(self, focused: bool) -> None:
        """Whether the main window has focus (see :meth:`set_in_use_probe`, which wins)."""
        self.policy.window_focused = focused

    def set_in_use_probe(self, probe: Callable[[], bool] | None) -> None:
        """Ask ``probe()`` at each delivery whether the user is in the app.

        Asked then, not tracked by events: a menu opening raises no activation change on the
        window, and a dialog taking the focus looks to the window like the user leaving, so a
        toast came up over the app's own Settings dialog or a menu (issue 12).
        """
        self._in_use = probe

    def set_actions_provider(self, provider: ActionsProvider | None) -> None:
        """Ask ``provider(notice)`` at delivery which buttons a desktop notification gets.

        Buttons need the notification server's ``actions`` capability (desktop-notifier checks
        it); a tray balloon has none, and the banner shows the task, where every action is.
        """
        self._actions = provider

    def note_banner_click(self, notice: Notice) -> None:
        """The banner's "Show" was pressed for ``notice`` (recorded in the history)."""
        for entry in reversed(self.history.entries):
            if (
                entry.path == DeliveryPath.BANNER
                and entry.title == notice.title
                and entry.body == notice.body
            ):
                self._mark(entry.number, Outcome.CLICKED)
                return

    @property
    def dbus_enabled(self) -> bool:
        """False once desktop-notifier failed (or was never allowed)."""
        return self._dbus_ok

    # ------------------------------------------------------------------ delivery

    def _schedule(self) -> None:
        if self._closed:
            return  # facts arriving during shutdown (a last repaint's counts) notify no one
        due = self.policy.next_due_at()
        if due is None:
            self._timer.stop()
            return
        self._timer.start(max(0, int((due - self._clock()) * 1000) + 1))

    def deliver_due(self) -> None:
        """Deliver every notice the policy releases now, then re-arm the timer."""
        if self._closed:
            return  # the stream's last "disconnected" during shutdown notifies no one
        if self._in_use is not None:
            self.policy.window_focused = self._in_use()
        for notice in self.policy.due():
            self.deliver(notice)
        self._schedule()

    def deliver(self, notice: Notice) -> None:
        """Deliver one notice by the best path available."""
        if not notice.toast:
            self._banner(notice)
            return
        loop = self._running_loop()
        if self._dbus_ok and loop is not None:
            task = loop.create_task(self._send_dbus(notice))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._fallback(notice)

    @staticmethod
    def _running_loop() -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def _fallback(self, notice: Notice) -> None:
        tray = self._tray
        if tray is not None and tray.can_show_messages():
            self._tray_task_id = notice.task_ids[0] if notice.task_ids else ""
            # Qt has no "never expire"; a long timeout is the nearest for failures.
            msecs = 3_600_000 if notice.timeout_s is None else int(notice.timeout_s * 1000)
            tray.show_message(notice.title, notice.body, critical=notice.critical, msecs=msecs)
            self._tray_entry = self._delivered(DeliveryPath.TRAY, notice)
            return
        self._banner(notice)

    def _banner(self, notice: Notice) -> None:
        self.banner_requested.emit(notice)
        self._delivered(DeliveryPath.BANNER, notice)

    def _delivered(self, path: str, notice: Notice) -> int:
        """Record and announce a delivery; returns its history number."""
        entry = self.history.add(
            shown_at=self._wall_clock(),
            title=notice.title,
            body=notice.body,
            path=path,
            task_ids=notice.task_ids,
        )
        self.history_changed.emit(entry)
        self.delivered.emit(path, notice)
        return entry.number

    def _mark(self, number: int, outcome: Outcome) -> None:
        entry = self.history.mark(number, outcome, self._wall_clock())
        if entry is not None and entry.outcome is outcome:
            self.history_changed.emit(entry)

    def _clicked(self, number: int, task_id: str) -> None:
        self._mark(number, Outcome.CLICKED)
        self.task_activated.emit(task_id)

    def _pressed(self, number: int, action: NoticeAction, task_id: str) -> None:
        self._mark(number, _ACTION_OUTCOMES[action])
        self.action_requested.emit(NoticeActionRequest(action, task_id))

    def _backend(self) -> Any:
        if self._dn is None:
            if self._factory is not None:
                self._dn = self._factory()
            else:
                from desktop_notifier import DesktopNotifier, Icon

                # Without an icon desktop-notifier shows its default Python logo.
                png = self._icon_path
                icon = (
                    Icon(path=png) if png is not None and png.is_file() else Icon(name="io.monitor.Monitor")
                )
                self._dn = DesktopNotifier(app_name=self._app_name, app_icon=icon)
        return self._dn

    async def _send_dbus(self, notice: Notice) -> None:
        from desktop_notifier import Button, Urgency

        dispatched = False
        number = [0]  # set once delivered; clicks come after that

        def on_dispatched() -> None:
            nonlocal dispatched
            dispatched = True

        task_id = notice.task_ids[0] if notice.task_ids else ""
        actions = self._actions(notice) if self._actions is not None and task_id else ()

        def pressed(action: NoticeAction) -> Callable[[], None]:
            return lambda: self._pressed(number[0], action, task_id)

        buttons = [
            Button(
                title=QCoreApplication.translate("Notifier", str(_ACTION_LABELS[action])),
                on_pressed=pressed(action),
                identifier=action.value,
            )
            for action in actions
        ]
        try:
            await self._backend().send(
                title=notice.title,
                message=escape_markup(notice.body),
                urgency=Urgency.Critical if notice.critical else Urgency.Normal,
                buttons=buttons,
                on_dispatched=on_dispatched,
                on_clicked=lambda: self._clicked(number[0], task_id),
                # 0 = never expires (spec); failures stay until dismissed.
                timeout=0 if notice.timeout_s is None else max(1, round(notice.timeout_s)),
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a notification must never take the app down
            _log.warning("desktop notification failed", exc_info=True)
        if dispatched:
            number[0] = self._delivered(DeliveryPath.DBUS, notice)
            return
        # desktop-notifier logs and swallows errors (no session bus, no server): fall back and
        # stop trying for this session, so each later notice does not wait on a dead bus.
        _log.warning("no D-Bus notification server; falling back to tray/in-window notices")
        self._dbus_ok = False
        self._fallback(notice)

    async def aclose(self) -> None:
        """Stop the timer, cancel pending sends and close the D-Bus connection."""
        self._closed = True
        self._timer.stop()
        await cancel_and_wait(*self._tasks)
        bus = getattr(getattr(self._dn, "_backend", None), "bus", None)
        if bus is not None:
            # desktop-notifier keeps its MessageBus open forever; close it to leave no socket.
            bus.disconnect()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bus.wait_for_disconnect(), 2)
