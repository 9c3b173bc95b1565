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
        store: The pure task store (shared by the service and the table model).
        service: The live feed.
        window: The main window.
        view: The task table, sidebar and detail pane (inside ``window``).
        tray: The tray icon and its menu.
        notifier: Delivers the notification policy's notices.
        capabilities: What the server in use can do (snapshot, poll, commands).
        messages: The server-messages view (seed 004's text/json/system/error/broadcast/direct).
        launcher: Progress, count and urgency on the taskbar/dock icon.
        instance: The single-instance lock (None with ``--new-instance`` or the self-test).
        commands: The command service (None until the stream's engine exists; rebuilt when the
            server changes).
        history: The local history of finished tasks (None when it is off).
    """

    store: TaskStore
    service: SSEService
    window: MainWindow
    view: TaskView
    tray: TrayController
    notifier: Notifier
    capabilities: CapabilityService
    messages: MessagesPanel
    launcher: LauncherEntry
    instance: SingleInstance | None = None
    commands: CommandService | None = None
    history: HistoryService | None = None


def build_parts(
    settings: AppSettings,
    *,
    token: str | None,
    tray_available: bool | None,
    use_dbus: bool,
    icon_path: Path | None = None,
    instance: SingleInstance | None,
    desktop_id: str = "io.monitor.Monitor",
) -> Parts:
    """Create every part (nothing is connected yet; the ``wire_*`` functions do that).

    Args:
        settings: The user's settings.
        token: Bearer token for the server, if any.
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
    service = SSEService(settings, store=store, token=token)
    return Parts(
        store=store,
        service=service,
        window=window,
        view=view,
        tray=tray,
        notifier=notifier,
        capabilities=CapabilityService(),
        messages=MessagesPanel(capacity=settings.messages_limit),
        launcher=LauncherEntry(desktop_id, enabled=None if use_dbus else False),
        instance=instance,
    )
