"""Tray wiring: tray icon and menu, taskbar progress, window visibility, single-instance activation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from monitor.core.protocol import TaskState
from monitor.services.launcher import LauncherState
from monitor.ui.tray import TaskCounts
from monitor.wiring.parts import Parts

__all__ = ["launcher_state", "wire_tray"]


def launcher_state(counts: TaskCounts) -> LauncherState:
    """The taskbar icon for ``counts``: running tasks' mean progress, their number, unseen failures."""
    return LauncherState(
        progress=None if counts.progress is None else counts.progress / 100.0,
        count=counts.running,
        urgent=counts.unseen_failed > 0,
    )


def wire_tray(parts: Parts, *, quit_app: Callable[[], None]) -> None:
    """Counts (and unseen failures) -> tray, status bar, taskbar; tray menu -> window, DND, quit.

    Args:
        parts: The app's parts.
        quit_app: Called by File > Quit and the tray's Quit.
    """
    tray, window, notifier = parts.tray, parts.window, parts.notifier
    # Failures that happened while the window was not active: the tray's attention icon and the
    # taskbar's urgent hint last until the user comes back to the window (then they are seen).
    unseen: set[str] = set()
    last = [TaskCounts()]

    def on_counts(counts: TaskCounts) -> None:
        failed = {t for t in unseen if (r := parts.store.get(t)) is not None and r.state is TaskState.FAILED}
        unseen.intersection_update(failed)  # retried or removed since: no longer news
        counts = replace(counts, unseen_failed=len(unseen))
        last[0] = counts
        tray.set_counts(counts)
        window.set_counts(counts)
        parts.launcher.set_state(launcher_state(counts))

    def on_failed(task_id: str, _message: str) -> None:
        if not window.isActiveWindow():
            unseen.add(task_id)
            on_counts(last[0])

    def on_focus(active: bool) -> None:
        if active and unseen:
            unseen.clear()
            on_counts(last[0])

    parts.view.counts_changed.connect(on_counts)
    parts.servers.task_failed.connect(on_failed)
    window.focus_changed.connect(on_focus)
    tray.show_hide_requested.connect(window.toggle_visible)
    window.visibility_changed.connect(tray.set_window_visible)
    tray.dnd_toggled.connect(notifier.set_dnd)

    def open_settings() -> None:
        window.bring_to_front()  # the dialog belongs to the window: show it first
        window.settings_requested.emit()

    tray.settings_requested.connect(open_settings)
    if parts.instance is not None:
        parts.instance.activation_requested.connect(lambda _msg: window.bring_to_front())
    tray.quit_requested.connect(quit_app)
    window.quit_requested.connect(quit_app)
