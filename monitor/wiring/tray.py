"""Tray wiring: the icon's counts and menu, window visibility, single-instance activation."""

from __future__ import annotations

from collections.abc import Callable

from monitor.ui.tray import TaskCounts
from monitor.wiring.parts import Parts

__all__ = ["wire_tray"]


def wire_tray(parts: Parts, *, quit_app: Callable[[], None]) -> None:
    """Counts -> tray and status bar; tray menu -> window, DND, settings, quit.

    Args:
        parts: The app's parts.
        quit_app: Called by File > Quit and the tray's Quit.
    """
    tray, window, notifier = parts.tray, parts.window, parts.notifier

    def on_counts(counts: TaskCounts) -> None:
        tray.set_counts(counts)
        window.set_counts(counts)

    parts.view.counts_changed.connect(on_counts)
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
