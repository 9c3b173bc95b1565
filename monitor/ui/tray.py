"""The system tray icon: overall state at a glance, and a small menu.

``QSystemTrayIcon`` is used for the icon and menu only; notifications go through
``monitor.services.notifier`` (desktop-notifier over D-Bus), because Qt's ``showMessage`` sends
nothing at all when there is no tray (desktop-testing.md §4).

Where no tray exists (``isSystemTrayAvailable()`` is False: GNOME without an extension, Wayland
sessions, and always on the offscreen platform) the controller still works as a model (state,
tooltip, menu) but :attr:`TrayController.available` is False, and the main window then refuses to
hide itself into a tray that the user cannot see (ux.md §2 item 13).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from monitor.core.protocol import Task, TaskState
from monitor.ui.icons import IconState, state_icon
from monitor.ui.indicator import format_clock

__all__ = ["TaskCounts", "TrayController", "summary_text"]


@dataclass(frozen=True, slots=True)
class TaskCounts:
    """How many tasks are where, for the tray, the status bar and the taskbar.

    Attributes:
        running: Running or cancelling.
        queued: Waiting to start.
        paused: Paused.
        completed / failed / cancelled: Finished ones still listed.
        unseen_failed: Failures the user has not looked at yet (drives "attention").
        progress: Mean progress (0-100) of the running tasks, None when none runs.
    """

    running: int = 0
    queued: int = 0
    paused: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    unseen_failed: int = 0
    progress: float | None = None

    @property
    def active(self) -> int:
        """Tasks not finished yet (running, queued or paused)."""
        return self.running + self.queued + self.paused

    @classmethod
    def from_counts(
        cls, counts: Mapping[TaskState, int], progress: float | None = None, unseen_failed: int = 0
    ) -> TaskCounts:
        """Build from tasks per state and the mean progress of the running ones."""
        return cls(
            running=counts.get(TaskState.RUNNING, 0) + counts.get(TaskState.CANCELLING, 0),
            queued=counts.get(TaskState.QUEUED, 0),
            paused=counts.get(TaskState.PAUSED, 0),
            completed=counts.get(TaskState.COMPLETED, 0),
            failed=counts.get(TaskState.FAILED, 0),
            cancelled=counts.get(TaskState.CANCELLED, 0),
            unseen_failed=unseen_failed,
            progress=progress,
        )

    @classmethod
    def from_tasks(cls, tasks: Iterable[Task], unseen_failed: int = 0) -> TaskCounts:
        """Count ``tasks`` by state."""
        n = dict.fromkeys(TaskState, 0)
        progress: list[float] = []
        for t in tasks:
            n[t.state] += 1
            if t.state in (TaskState.RUNNING, TaskState.CANCELLING):
                progress.append(t.progress)
        return cls.from_counts(n, sum(progress) / len(progress) if progress else None, unseen_failed)


class _TrayText(QObject):
    """Holds the summary phrases so that lupdate extracts them with their plural forms."""

    def summary(self, counts: TaskCounts, connected: bool) -> str:
        parts: list[str] = []
        if counts.running:
            parts.append(self.tr("%n running", "", counts.running))
            if counts.progress is not None:
                parts.append(f"{counts.progress:.0f}%")
        if counts.queued:
            parts.append(self.tr("%n queued", "", counts.queued))
        if counts.paused:
            parts.append(self.tr("%n paused", "", counts.paused))
        if counts.failed:
            parts.append(self.tr("%n failed", "", counts.failed))
        if parts:
            text = self.tr(", ").join(parts)
        elif counts.completed or counts.cancelled:
            text = self.tr("Idle")  # tasks are listed, none of them is active
        else:
            text = self.tr("No tasks")  # nothing to show is not "idle" (e.g. never connected)
        if not connected:
            text = self.tr("Offline - %1").replace("%1", text)
        return text


def summary_text(counts: TaskCounts, connected: bool = True) -> str:
    """The one-line summary used by the tray tooltip and status bar: "3 running, 62%, 1 failed"."""
    return _TrayText().summary(counts, connected)


class TrayController(QObject):
    """Owns the tray icon and its menu.

    Signals:
        show_hide_requested(): Menu "Show/Hide" or a left click on the icon.
        pause_all_requested(): Menu "Pause all".
        resume_all_requested(): Menu "Resume all".
        dnd_toggled(bool): "Do not disturb" was switched by the user.
        settings_requested(): Menu "Settings…".
        quit_requested(): Menu "Quit".
        message_clicked(): A Qt fallback balloon was clicked.

    Args:
        parent: Qt parent.
        available: Override tray detection (tests); None asks Qt.
    """

    show_hide_requested = Signal()
    pause_all_requested = Signal()
    resume_all_requested = Signal()
    dnd_toggled = Signal(bool)
    settings_requested = Signal()
    quit_requested = Signal()
    message_clicked = Signal()

    def __init__(self, parent: QObject | None = None, *, available: bool | None = None) -> None:
        super().__init__(parent)
        self._available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self._counts = TaskCounts()
        self._connected = True
        self._stale_since: float | None = None  # the counts are "as of" this time while offline
        self._no_commands = ""  # why the server takes no commands ("" = it does, or unknown)
        self._state = IconState.IDLE
        self._window_visible = True
        self._icon_key: tuple[IconState, float | None] | None = None

        # A QMenu needs a QWidget parent, which a tray controller is not: tie its life to ours.
        self.menu = QMenu()
        self.destroyed.connect(self.menu.deleteLater)
        self.menu.setAccessibleName(self.tr("Monitor tray menu"))
        self.action_show_hide = self._add(self.tr("Hide window"), self.show_hide_requested, "showHide")
        self.menu.addSeparator()
        self.action_pause_all = self._add(self.tr("Pause all"), self.pause_all_requested, "pauseAll")
        self.action_resume_all = self._add(self.tr("Resume all"), self.resume_all_requested, "resumeAll")
        self.menu.addSeparator()
        self.action_dnd = QAction(self.tr("Do not disturb"), self.menu)
        self.action_dnd.setObjectName("doNotDisturb")
        self.action_dnd.setCheckable(True)
        self.action_dnd.setStatusTip(self.tr("Only failures raise desktop notifications"))
        self.action_dnd.toggled.connect(self.dnd_toggled)
        self.menu.addAction(self.action_dnd)
        self.action_settings = self._add(self.tr("Settings…"), self.settings_requested, "settings")
        self.menu.addSeparator()  # Quit stands apart: it is the one item that ends everything
        self.action_quit = self._add(self.tr("Quit"), self.quit_requested, "quit")

        self.icon = QSystemTrayIcon(self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.icon.messageClicked.connect(self.message_clicked)
        self._render()

    def _add(self, text: str, signal: SignalInstance, name: str) -> QAction:
        action = QAction(text, self.menu)
        action.setObjectName(name)
        # Screen readers read the text; the status tip doubles as the description.
        action.setStatusTip(text)
        action.triggered.connect(lambda _checked=False: signal.emit())
        self.menu.addAction(action)
        return action

    # ------------------------------------------------------------------ state

    @property
    def available(self) -> bool:
        """True if a tray host exists, so hiding into the tray is safe."""
        return self._available

    @property
    def state(self) -> IconState:
        """The icon variant shown."""
        return self._state

    def show(self) -> None:
        """Show the icon if a tray exists (no-op otherwise)."""
        if self._available:
            self.icon.show()

    def hide(self) -> None:
        """Remove the icon (call before quitting so the SNI item unregisters)."""
        self.icon.hide()

    def can_show_messages(self) -> bool:
        """Whether a balloon would be seen now (a tray host, a visible icon, message support)."""
        return self._available and self.icon.isVisible() and QSystemTrayIcon.supportsMessages()

    def show_message(self, title: str, body: str, *, critical: bool, msecs: int) -> None:
        """Show a balloon from the tray icon (plain text)."""
        kinds = QSystemTrayIcon.MessageIcon
        self.icon.showMessage(title, body, kinds.Critical if critical else kinds.Information, msecs)

    def set_counts(self, counts: TaskCounts) -> None:
        """Update icon and tooltip from task counts."""
        self._counts = counts
        self._render()

    def set_connected(self, connected: bool) -> None:
        """Disconnected overrides every other icon state."""
        self._connected = connected
        self._render()

    def set_stale(self, since: float | None) -> None:
        """Since when the counts are frozen (the indicator's ``stale_changed``), None when live."""
        self._stale_since = since
        self._render()

    def set_window_visible(self, visible: bool) -> None:
        """Keep the Show/Hide item's text in step with the window."""
        self._window_visible = visible
        self.action_show_hide.setText(self.tr("Hide window") if visible else self.tr("Show window"))

    def set_dnd(self, on: bool) -> None:
        """Reflect a DND setting without emitting ``dnd_toggled`` (it is not a user action)."""
        blocked = self.action_dnd.blockSignals(True)
        self.action_dnd.setChecked(on)
        self.action_dnd.blockSignals(blocked)

    def tooltip(self) -> str:
        """The tooltip text."""
        text = summary_text(self._counts, self._connected)
        if self._stale_since is not None:  # frozen counts say when they were true (issue 12)
            text = self.tr("%1 · as of %2").replace("%2", format_clock(self._stale_since)).replace("%1", text)
        return "Monitor - " + text

    def _render(self) -> None:
        c = self._counts
        if not self._connected:
            state = IconState.DISCONNECTED
        elif c.unseen_failed:
            state = IconState.ATTENTION
        elif c.running:
            state = IconState.RUNNING
        elif c.paused and not c.queued:
            state = IconState.PAUSED
        else:
            state = IconState.IDLE
        progress = c.progress if state is IconState.RUNNING else None
        self._state = state
        # Repaint only when the picture changes: counts may update ten times a second.
        key = (state, None if progress is None else round(progress / 5) * 5)
        if key != self._icon_key:
            self._icon_key = key
            self.icon.setIcon(state_icon(state, key[1]))
        self.icon.setToolTip(self.tooltip())
        self.action_pause_all.setEnabled(c.running + c.queued > 0 and not self._no_commands)
        self.action_resume_all.setEnabled(c.paused > 0 and not self._no_commands)
        for action in (self.action_pause_all, self.action_resume_all):
            action.setStatusTip(self._no_commands)

    def set_commands_unavailable(self, reason: str) -> None:
        """Why the server takes no commands ("" = it does): Pause all / Resume all are then off."""
        self._no_commands = reason
        self._render()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_hide_requested.emit()
