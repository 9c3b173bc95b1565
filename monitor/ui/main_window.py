"""The main window shell: menus, toolbar slot, status bar, banner and central task view.

The window holds no task logic. The app puts D1's ``TaskView`` in the middle
(:meth:`MainWindow.set_task_view`), D1's shared actions in the toolbar (:meth:`add_toolbar_actions`)
and wires the signals below. Close and minimise go to the tray only when a tray really exists
(``tray_available``); otherwise closing quits, so the app can never become unreachable.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QByteArray,
    QCoreApplication,
    QEvent,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from monitor.core.notify_policy import Notice
from monitor.core.settings import AppSettings, UiState
from monitor.ui.actions import shortcut_rows
from monitor.ui.icons import action_icon, app_icon, has_action_icon
from monitor.ui.indicator import ConnectionIndicator, format_clock
from monitor.ui.notifications import NotificationBanner
from monitor.ui.plaintext import describe_by_tooltip
from monitor.ui.tray import TaskCounts, summary_text

__all__ = ["MainWindow", "server_label"]

translate = QCoreApplication.translate


def server_label(url: str) -> str:
    """Host and port of ``url`` for the title ("127.0.0.1:8765"; no user, path or query)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a malformed port: show what was typed
        return url
    host = parts.hostname or url
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{host}:{port}" if port is not None else host


#: Labels one toolbar button takes in turn (measured up front so that it never grows later).
_SAME_BUTTON: dict[str, tuple[str, ...]] = {
    name: (str(QT_TRANSLATE_NOOP("TaskActions", "Pause")), str(QT_TRANSLATE_NOOP("TaskActions", "Resume")))
    for name in ("pause", "resume")
}


class MainWindow(QMainWindow):
    """The application window.

    Signals:
        settings_requested(): File > Settings (or the indicator's Settings button).
        quit_requested(): File > Quit, or closing the window when it cannot go to the tray.
        retry_now_requested(): The indicator's "Retry now".
        hidden_to_tray(): The window hid itself into the tray (the app may say so once).
        visibility_changed(bool): Shown or hidden (keeps the tray menu text right).
        focus_changed(bool): The window became active or inactive.
        detail_pane_toggled(bool): View > Detail pane.
        task_activated(str): The banner's "Show" button (task id).

    Args:
        settings: Close/minimise-to-tray and start-minimised preferences.
        tray_available: Whether a tray exists; without one the window never hides itself.
        parent: Qt parent.
    """

    settings_requested = Signal()
    quit_requested = Signal()
    retry_now_requested = Signal()
    hidden_to_tray = Signal()
    visibility_changed = Signal(bool)
    focus_changed = Signal(bool)
    detail_pane_toggled = Signal(bool)
    task_activated = Signal(str)

    def __init__(
        self,
        settings: AppSettings | None = None,
        *,
        tray_available: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings or AppSettings()
        self._tray_available = tray_available
        self._quitting = False
        self._server_url = ""
        self._counts = TaskCounts()
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.resize(1000, 640)

        # Central area: whatever task view the app installs. The banner floats over its bottom
        # edge and is in no layout, so showing or hiding it never moves a row (issue 12).
        central = QWidget(self)
        self._central_layout = QVBoxLayout(central)
        self._central_layout.setContentsMargins(0, 0, 0, 0)
        self._central_layout.setSpacing(0)
        self.banner = NotificationBanner(central)
        self.banner.task_activated.connect(self.task_activated)
        central.installEventFilter(self)
        self.banner.installEventFilter(self)
        self._placeholder = QLabel(self.tr("No tasks yet"), central)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._task_view: QWidget = self._placeholder
        self._central_layout.addWidget(self._placeholder, 1)
        self.setCentralWidget(central)

        self.toolbar = QToolBar(self.tr("Actions"), self)
        self.toolbar.setObjectName("actionsToolBar")  # saveState() needs object names
        self.addToolBar(self.toolbar)

        self.indicator = ConnectionIndicator(self)
        self.indicator.settings_requested.connect(self.settings_requested)
        self.indicator.retry_now_requested.connect(self.retry_now_requested)
        self.indicator.stale_changed.connect(lambda _since: self.set_counts(self._counts))
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("taskCounts")
        self.counts_label.setTextFormat(Qt.TextFormat.PlainText)
        self.counts_label.setAccessibleName(self.tr("Task counts"))
        self.statusBar().addWidget(self.counts_label, 1)
        self.statusBar().addPermanentWidget(self.indicator)

        self._build_menus()
        self.set_server_url(self._settings.server_url)
        self.set_counts(self._counts)

    # ------------------------------------------------------------------ menus

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.file_menu: QMenu = file_menu  # features add their items above Settings (export)
        self.action_settings = QAction(self.tr("&Settings…"), self)
        self.action_settings.setObjectName("settings")
        self.action_settings.setShortcut(QKeySequence("Ctrl+,"))
        self.action_settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.action_settings.triggered.connect(self.settings_requested)
        file_menu.addAction(self.action_settings)
        file_menu.addSeparator()
        self.action_quit = QAction(self.tr("&Quit"), self)
        self.action_quit.setObjectName("quit")
        # Some platforms (and offscreen) bind no key to the standard Quit: Ctrl+Q there.
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        self.action_quit.setShortcuts(quit_keys)
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_quit.triggered.connect(self.request_quit)
        file_menu.addAction(self.action_quit)

        view_menu = bar.addMenu(self.tr("&View"))
        self.view_menu: QMenu = view_menu  # features add their toggles (the messages dock)
        self.columns_menu: QMenu = view_menu.addMenu(self.tr("&Columns"))
        self.columns_menu.setObjectName("columnsMenu")  # the task view fills it
        self.action_detail_pane = QAction(self.tr("&Detail pane"), self)
        self.action_detail_pane.setObjectName("detailPane")
        self.action_detail_pane.setCheckable(True)
        self.action_detail_pane.setChecked(True)
        self.action_detail_pane.toggled.connect(self.detail_pane_toggled)
        view_menu.addAction(self.action_detail_pane)

        help_menu = bar.addMenu(self.tr("&Help"))
        self.action_shortcuts = QAction(self.tr("Keyboard &shortcuts"), self)
        self.action_shortcuts.setObjectName("shortcuts")
        self.action_shortcuts.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.action_shortcuts)
        self.action_about = QAction(self.tr("&About Monitor"), self)
        self.action_about.setObjectName("about")
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.action_about.triggered.connect(self.show_about)
        help_menu.addAction(self.action_about)

    def shortcuts_text(self) -> str:
        """Plain-text shortcut list, translated: one line per action of this window that has a
        shortcut (the task view's, the menus', any a feature added), read from the actions."""
        return "\n".join(f"{keys}\t{what}" for keys, what in shortcut_rows(self.findChildren(QAction)))

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts (a user-requested dialog, so modal is fine)."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Keyboard shortcuts"),
            self.shortcuts_text(),
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()

    def show_about(self) -> None:
        """Help > About."""
        from monitor import __version__

        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            self.tr("About Monitor"),
            self.tr("Monitor %1\nWatch server tasks live.").replace("%1", str(__version__)),
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.open()

    # ------------------------------------------------------------------ content

    def set_task_view(self, widget: QWidget) -> None:
        """Put the task view (D1's ``TaskView``) in the central area, replacing the previous one."""
        old = self._task_view
        self._central_layout.replaceWidget(old, widget)
        widget.setParent(self.centralWidget())
        widget.show()
        if old is not self._placeholder:
            old.deleteLater()
        else:
            old.hide()
        self._task_view = widget

    @property
    def task_view(self) -> QWidget | None:
        """The installed task view, or None while the placeholder shows."""
        return None if self._task_view is self._placeholder else self._task_view

    def add_toolbar_actions(self, actions: Iterable[QAction | None]) -> None:
        """Append actions to the toolbar; None adds a separator.

        Task actions get their icon (text beside it), and their buttons never get narrower: one
        button that says Pause or Resume is as wide as the wider of the two from the start, so
        no button moves under the pointer when the text changes.
        """
        for action in actions:
            if action is None:
                self.toolbar.addSeparator()
                continue
            self.toolbar.addAction(action)
            describe_by_tooltip(action, self.toolbar.widgetForAction(action))  # screen readers
            self._follow_action(action)
            action.changed.connect(lambda a=action: self._follow_action(a))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    def _follow_action(self, action: QAction) -> None:
        data = action.data()
        name = data if isinstance(data, str) and data else action.objectName().removeprefix("action_")
        if has_action_icon(name) and action.property("iconFor") != name:
            action.setProperty("iconFor", name)
            action.setIcon(action_icon(name))  # emits changed again: iconFor stops the loop
        button = self.toolbar.widgetForAction(action)
        if button is None:
            return
        labels = [action.text(), *(translate("TaskActions", t) for t in _SAME_BUTTON.get(name, ()))]
        metrics = button.fontMetrics()
        text_width = metrics.horizontalAdvance(action.text().replace("&", ""))
        chrome = button.sizeHint().width() - text_width
        widest = chrome + max(metrics.horizontalAdvance(t.replace("&", "")) for t in labels)
        if widest > button.minimumWidth():
            button.setMinimumWidth(widest)

    def set_server_url(self, url: str) -> None:
        """Title "Monitor — <host>:<port>" and the indicator's tooltip."""
        self._server_url = url
        self.setWindowTitle(self.tr("Monitor — %1").replace("%1", server_label(url)))
        self.indicator.set_server_url(url)

    @property
    def server_url(self) -> str:
        """The server the window shows (title, indicator, notices)."""
        return self._server_url

    def set_counts(self, counts: TaskCounts) -> None:
        """Status-bar counts (same text as the tray tooltip), "· as of hh:mm" while offline."""
        self._counts = counts
        text = summary_text(counts)
        stale = self.indicator.stale_since
        if stale is not None:
            text = self.tr("%1 · as of %2").replace("%2", format_clock(stale)).replace("%1", text)
        self.counts_label.setText(text)

    def show_banner(self, notice: Notice) -> None:
        """Show a notice in the in-window banner."""
        self.banner.show_notice(notice)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep the floating banner on the central area's bottom edge, full width."""
        if (watched is self.centralWidget() and event.type() == QEvent.Type.Resize) or (
            watched is self.banner and event.type() in (QEvent.Type.Show, QEvent.Type.LayoutRequest)
        ):
            self._place_banner()
        return super().eventFilter(watched, event)

    def _place_banner(self) -> None:
        area = self.centralWidget()
        if area is None:
            return
        width = area.width()
        hint = self.banner.sizeHint().height()
        layout = self.banner.layout()
        if layout is not None and layout.hasHeightForWidth():
            hint = max(hint, layout.totalHeightForWidth(width))
        height = min(hint, area.height())
        self.banner.setGeometry(0, area.height() - height, width, height)
        self.banner.raise_()

    # ------------------------------------------------------------------ tray rules

    @property
    def tray_available(self) -> bool:
        """Whether hiding into the tray is allowed."""
        return self._tray_available

    def set_tray_available(self, available: bool) -> None:
        """Tray hosts come and go (a panel restart); without one the window stops hiding."""
        self._tray_available = available

    def apply_settings(self, settings: AppSettings) -> None:
        """Take new preferences (tray behaviour, server URL)."""
        self._settings = settings
        self.set_server_url(settings.server_url)

    def start_hidden(self) -> bool:
        """True if the app should start with the window hidden (start minimised and a tray)."""
        return self._settings.start_minimised and self._tray_available

    def toggle_visible(self) -> None:
        """Tray "Show/Hide": raise and activate, or hide (only when a tray exists)."""
        if self.isVisible() and not self.isMinimized() and self._tray_available:
            self.hide()
        else:
            self.bring_to_front()

    def bring_to_front(self) -> None:
        """Show, un-minimise, raise and activate (single-instance and notification clicks)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def request_quit(self) -> None:
        """File > Quit: close for real."""
        self._quitting = True
        self.quit_requested.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Hide into the tray if allowed, else ask the app to quit."""
        if not self._quitting and self._settings.close_to_tray and self._tray_available:
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        event.accept()
        if not self._quitting:
            self._quitting = True
            self.quit_requested.emit()

    def in_use(self) -> bool:
        """Whether the user is in the app: this window or another of the app's windows (a dialog,
        modal or not, a floating dock) is the active window, or one of the app's menus is open.

        A modal dialog left open while the user works in another program does not count: then
        a toast is the only notice they would see.
        """
        return (
            self.isActiveWindow()
            or QApplication.activeWindow() is not None
            or QApplication.activePopupWidget() is not None
        )

    def changeEvent(self, event: QEvent) -> None:
        """Track focus for the notification policy; minimise into the tray if asked to."""
        if event.type() == QEvent.Type.ActivationChange:
            self.focus_changed.emit(self.isActiveWindow())
        elif (
            event.type() == QEvent.Type.WindowStateChange
            and self.isMinimized()
            and self._settings.minimise_to_tray
            and self._tray_available
        ):
            # Hiding inside the state-change handler confuses some window managers; defer it.
            QTimer.singleShot(0, self._hide_minimised)
        super().changeEvent(event)

    def _hide_minimised(self) -> None:
        if self.isMinimized():
            self.hide()
            self.hidden_to_tray.emit()

    def showEvent(self, event: QShowEvent) -> None:
        """Tell the tray."""
        super().showEvent(event)
        self.visibility_changed.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        """Tell the tray."""
        super().hideEvent(event)
        if not self._quitting:
            self.visibility_changed.emit(False)

    # ------------------------------------------------------------------ persistence

    def save_ui_state(self, state: UiState | None = None) -> UiState:
        """Return ``state`` (or a new one) with window geometry and toolbar state filled in."""
        state = state.model_copy() if state is not None else UiState()
        state.geometry = UiState.encode_bytes(bytes(self.saveGeometry().data()))
        state.window_state = UiState.encode_bytes(bytes(self.saveState().data()))
        state.detail_pane_visible = self.action_detail_pane.isChecked()
        return state

    def restore_ui_state(self, state: UiState) -> bool:
        """Restore geometry and toolbars; returns False if Qt rejected the saved bytes."""
        ok = True
        geometry = UiState.decode_bytes(state.geometry)
        if geometry:
            ok = self.restoreGeometry(QByteArray(geometry)) and ok
        window_state = UiState.decode_bytes(state.window_state)
        if window_state:
            ok = self.restoreState(QByteArray(window_state)) and ok
        self.action_detail_pane.setChecked(state.detail_pane_visible)
        return ok
