"""Server messages (seed 004: text, json, system, error, broadcast, direct) -> a dock and notices.

The dock stays out of the way until a server sends its first message (most task servers send
none), then opens once; View > Messages toggles it, and its title carries the unread count.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDockWidget

from monitor.ui.messages import connect_messages
from monitor.wiring.parts import Parts

__all__ = ["wire_messages"]


def wire_messages(parts: Parts) -> QDockWidget:
    """Put the messages panel in a dock of the main window and connect it to the stream.

    Returns:
        The dock (hidden until the first message arrives).
    """
    window, panel = parts.window, parts.messages
    dock = QDockWidget(panel.tab_title(), window)
    dock.setObjectName("messagesDock")  # saveState() needs a name
    dock.setWidget(panel)
    dock.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    toggle = dock.toggleViewAction()
    toggle.setObjectName("messages")
    toggle.setText(
        QCoreApplication.translate("MainWindow", "&Messages")
    )  # the dock's own title changes with the count
    window.view_menu.addAction(toggle)

    def first_message(_message: object) -> None:
        panel.message_added.disconnect(first_message)
        if not dock.isVisible():
            dock.show()

    def first_shown(visible: bool) -> None:
        # The first time it opens, a third of the window: the task table stays the main thing
        # (a dock otherwise takes its panel's size hint, half the window). Later the user's size.
        if visible:
            dock.visibilityChanged.disconnect(first_shown)
            height = max(160, window.height() // 3)
            window.resizeDocks([dock], [height], Qt.Orientation.Vertical)

    panel.message_added.connect(first_message)
    dock.visibilityChanged.connect(first_shown)
    connect_messages(parts.servers, panel, parts.notifier, retitle=dock.setWindowTitle)
    return dock
