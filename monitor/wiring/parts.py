"""The typed set of parts the desktop app is made of (no registry, no string lookups)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.core.notify_policy import NotificationPolicy
from monitor.core.settings import AppSettings
from monitor.core.store import TaskStore
from monitor.services.capabilities import CapabilityService
from monitor.services.command_service import CommandService
from monitor.services.history import HistoryService
from monitor.services.launcher import LauncherEntry
from monitor.services.notifier import Notifier, translate_policy
from monitor.services.servers import ServerSet, TokenOf
from monitor.services.sse_service import SSEService
from monitor.ui.main_window import MainWindow
from monitor.ui.messages import MessagesPanel
from monitor.ui.single_instance import SingleInstance
from monitor.ui.task_view import TaskView
from monitor.ui.tray import TrayController

__all__ = ["Parts", "build_parts"]


@dataclass(eq=False)
class Parts:
    """Every long-lived object of the running app.

    Attributes:
        store: The pure task store (shared by every server's feed and the table model).
        servers: The watched servers (one or several), each with its feed, commands and
            capabilities, as one feed; the wiring connects to this.
        window: The main window.
        view: The task table, sidebar and detail pane (inside ``window``).
        tray: The tray icon and its menu.
        notifier: Delivers the notification policy's notices.
        messages: The server-messages view (seed 004's text/json/system/error/broadcast/direct).
        launcher: Progress, count and urgency on the taskbar/dock icon.
        instance: The single-instance lock (None with ``--new-instance`` or the self-test).
        history: The local history of finished tasks (None when it is off).

    The properties :attr:`service`, :attr:`commands` and :attr:`capabilities` are the *first*
    server's (the only one, usually): the self-test and single-server tests read them. Code that
    acts on tasks goes through :attr:`servers`, which routes each task to its own server.
    """

    store: TaskStore
    servers: ServerSet
    window: MainWindow
    view: TaskView
    tray: TrayController
    notifier: Notifier
    messages: MessagesPanel
    launcher: LauncherEntry
    instance: SingleInstance | None = None
    history: HistoryService | None = None

    @property
    def service(self) -> SSEService:
        """The first server's live feed."""
        return self.servers.links[0].service

    @property
    def commands(self) -> CommandService | None:
        """The first server's command service (None until its engine runs)."""
        return self.servers.links[0].commands

    @property
    def capabilities(self) -> CapabilityService:
        """What the first server can do."""
        return self.servers.links[0].capabilities


def build_parts(
    settings: AppSettings,
    *,
    token_of: TokenOf,
    state_dir: Path | None,
    tray_available: bool | None,
    use_dbus: bool,
    icon_path: Path | None = None,
    instance: SingleInstance | None,
    desktop_id: str = "io.monitor.Monitor",
) -> Parts:
    """Create every part (nothing is connected yet; the ``wire_*`` functions do that).

    Args:
        settings: The user's settings.
        token_of: The bearer token for a profile's server, if any.
        state_dir: Where each server's unsent commands persist (None: nowhere).
        tray_available: False forces no tray (the self-test); None asks Qt.
        use_dbus: Whether notices may try D-Bus (desktop-notifier) first.
        icon_path: The PNG D-Bus notices show.
        instance: The acquired single-instance lock, if any.
        desktop_id: The desktop file's id (taskbar progress names the app by it).
    """
    store = TaskStore()
    store.set_limit(settings.task_limit)  # empty: nothing to evict yet
    tray = TrayController(available=tray_available)
    window = MainWindow(settings, tray_available=tray.available)
    window.set_server_url(settings.server_url)
    view = TaskView(store)
    window.set_task_view(view)
    window.add_toolbar_actions(view.task_actions.toolbar_actions())
    policy = NotificationPolicy(settings.notifications, translate=translate_policy)
    notifier = Notifier(policy, tray=tray, use_dbus=use_dbus, icon_path=icon_path)
    notifier.set_dnd(settings.do_not_disturb)
    tray.set_dnd(settings.do_not_disturb)
    return Parts(
        store=store,
        servers=ServerSet(settings, store=store, token_of=token_of, state_dir=state_dir),
        window=window,
        view=view,
        tray=tray,
        notifier=notifier,
        messages=MessagesPanel(capacity=settings.messages_limit),
        launcher=LauncherEntry(desktop_id, enabled=None if use_dbus else False),
        instance=instance,
    )
