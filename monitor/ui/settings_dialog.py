"""The settings dialog and theme switching.

The dialog edits a copy of :class:`~monitor.core.settings.AppSettings`; nothing changes until OK.
The token field is write-only: it never shows the stored token, only whether one is stored, and
typing a new one replaces it in the OS keyring on OK. Without a keyring a typed token is kept in
memory for this session only (:class:`~monitor.services.secrets.SessionTokens`), and the text next
to the field says so; there is no plain-file fallback. A named token environment variable that is
not set gets a visible warning under its field.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QStyleFactory,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.core.settings import (
    MAX_TASK_LIMIT,
    MIN_TASK_LIMIT,
    TEMPORARY_PROFILE,
    AppSettings,
    ConfirmSettings,
    NotificationSettings,
    ReconnectSettings,
    Theme,
)
from monitor.services.secrets import NoKeyringError, SecretStoreError, TokenStore, unset_token_env
from monitor.ui.forms import choice_combo, named, plain_label
from monitor.ui.profile_editor import ProfileEditor, ServerList

__all__ = ["SettingsDialog", "apply_theme", "dark_palette", "effective_theme"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style."""
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 30), QColor(230, 230, 230)
    highlight = QColor(38, 110, 200)
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.ToolTipBase, base),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor(255, 80, 80)),
        (QPalette.ColorRole.Link, QColor(90, 160, 255)),
        (QPalette.ColorRole.Highlight, highlight),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150)),
    ):
        p.setColor(role, colour)
    grey = QColor(127, 127, 127)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, grey)
    # Paused, failed and stale progress bars are painted from the disabled group: without these
    # they stayed as blue as running ones in dark mode (issue 12).
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(96, 96, 100))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.HighlightedText, QColor(200, 200, 200))
    return p


def effective_theme(theme: Theme) -> Theme:
    """Resolve ``system`` to light or dark using what Qt reports (6.5+), else light."""
    if theme is not Theme.SYSTEM:
        return theme
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    return Theme.DARK if scheme == Qt.ColorScheme.Dark else Theme.LIGHT


def apply_theme(app: QApplication, theme: Theme) -> Theme:
    """Apply ``theme`` to ``app`` via the Fusion style and a palette; returns light or dark."""
    resolved = effective_theme(theme)
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    app.setPalette(dark_palette() if resolved is Theme.DARK else app.style().standardPalette())
    return resolved


class SettingsDialog(QDialog):
    """Edit the settings.

    Signals:
        settings_applied(object): The new :class:`AppSettings`, emitted on a successful OK.

    Args:
        settings: Current settings (not modified).
        token_store: Where the token goes; None hides the token field's keyring status.
        tray_available: Without a tray, "close to tray"/"minimise to tray"/"start minimised"
            are disabled (they would make the app unreachable).
        parent: Qt parent.
    """

    settings_applied = Signal(object)

    def __init__(
        self,
        settings: AppSettings,
        *,
        token_store: TokenStore | None = None,
        tray_available: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Monitor settings"))
        self.setObjectName("settingsDialog")
        self._original = settings
        self._store = token_store
        self._result: AppSettings | None = None
        tabs = QTabWidget(self)
        tabs.addTab(self._server_tab(settings), self.tr("Server"))
        tabs.addTab(self._notifications_tab(settings.notifications), self.tr("Notifications"))
        tabs.addTab(self._appearance_tab(settings, tray_available), self.tr("Appearance"))
        tabs.addTab(self._reconnect_tab(settings.reconnect), self.tr("Connection"))

        self.error_label = plain_label(self, "settingsError", "color: #c62828;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._validate()

    # ------------------------------------------------------------------ tabs

    def _server_tab(self, s: AppSettings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.profile_editor = ProfileEditor(s.profile, page)
        self.profile_editor.changed.connect(self._validate)
        self.url_edit = self.profile_editor.stream_edit
        form.addRow(self.profile_editor)
        # Several servers at once (issue 15): the other saved profiles, and adding one.
        saved = [p for p in s.profiles if p.name != TEMPORARY_PROFILE]
        self.server_list = ServerList(saved, s.profile.name, page)
        self.server_list.changed.connect(self._validate)
        form.addRow(self.server_list)

        self.token_edit = QLineEdit(page)
        named(self.token_edit, "token", self.tr("Access token"))
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_status = plain_label(page, "tokenStatus")
        self._describe_token()
        form.addRow(self.tr("&Token:"), self.token_edit)
        form.addRow("", self.token_status)

        self.token_env_edit = QLineEdit(s.token_env or "", page)
        named(self.token_env_edit, "tokenEnv", self.tr("Token environment variable"))
        self.token_env_edit.setPlaceholderText("MONITOR_TOKEN")
        self.token_env_edit.textChanged.connect(self._validate)
        form.addRow(self.tr("Token from &environment variable:"), self.token_env_edit)
        self.token_env_warning = plain_label(page, "tokenEnvWarning", "color: #c62828;")
        form.addRow("", self.token_env_warning)
        return page

    def _describe_token_env(self, env: str) -> None:
        """Warn when the named variable is not set: the token cannot come from it."""
        missing = unset_token_env(env) if _ENV_NAME.fullmatch(env) else None
        text = (
            ""
            if missing is None
            else self.tr("%1 is not set in Monitor's environment, so no token comes from it.").replace(
                "%1", missing
            )
        )
        self.token_env_warning.setText(text)
        self.token_env_warning.setAccessibleDescription(text)
        self.token_env_warning.setVisible(bool(text))

    def _show_token_status(self, placeholder: str | None, *lines: str) -> None:
        """One place that writes the token field's hint and status (and what a reader hears)."""
        if placeholder is not None:
            self.token_edit.setPlaceholderText(placeholder)
        self.token_status.setText("\n".join(lines))
        self.token_status.setAccessibleDescription(self.token_status.text())

    def _describe_session_token(self, store: TokenStore) -> None:
        """No keyring, but the token can be typed and kept in memory for this session."""
        kept = store.session_token() is not None
        self._show_token_status(
            self.tr("Kept for this session (type to replace)") if kept else self.tr("Not set"),
            self.tr("A token is kept in memory for this session only; it is not saved.")
            if kept
            else self.tr("No system keyring: a token typed here is kept in memory for this session only."),
            self.tr(
                "To keep it across restarts, set it in an environment variable and name it below, "
                "or install and unlock GNOME Keyring or KWallet."
            ),
        )

    def _describe_token(self) -> None:
        if self._store is None:
            self._show_token_status(None, self.tr("The token is stored in the system keyring."))
            return
        if self._store.session is not None and not self._store.available():
            self._describe_session_token(self._store)
            return
        try:
            stored = self._store.get() is not None
        except NoKeyringError:
            self.token_edit.setEnabled(False)
            self._show_token_status(
                self.tr("No keyring available"),
                self.tr("No system keyring is available, so the token cannot be stored here."),
                self.tr(
                    "Set the token in an environment variable and name it below, "
                    "or install and unlock GNOME Keyring or KWallet."
                ),
            )
            return
        except SecretStoreError as exc:
            self._show_token_status(
                None, self.tr("The keyring could not be read: %1").replace("%1", str(exc))
            )
            return
        self._show_token_status(
            self.tr("Stored in keyring (type to replace)") if stored else self.tr("Not set"),
            self.tr("A token is stored in the system keyring.")
            if stored
            else self.tr("The token will be stored in the system keyring."),
        )

    def _check(self, text: str, checked: bool, name: str, parent: QWidget) -> QCheckBox:
        box = QCheckBox(text, parent)
        box.setChecked(checked)
        named(box, name, text.replace("&", ""))
        return box

    def _notifications_tab(self, n: NotificationSettings) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.notify_enabled = self._check(self.tr("Show &notifications"), n.enabled, "notifyEnabled", page)
        layout.addWidget(self.notify_enabled)
        group = QGroupBox(self.tr("Notify when"), page)
        inner = QVBoxLayout(group)
        self.notify_boxes: dict[str, QCheckBox] = {}
        for key, label in (
            ("failed", self.tr("A task fails")),
            ("completed", self.tr("A task completes")),
            ("cancelled", self.tr("A task is cancelled")),
            ("all_done", self.tr("All tasks are done")),
            ("connection_lost", self.tr("The connection is lost")),
            ("connection_restored", self.tr("The connection is restored")),
            ("message_system", self.tr("The server sends a system message")),
            ("message_error", self.tr("The server sends an error message")),
            ("message_critical", self.tr("The server sends an urgent (critical) message")),
        ):
            box = self._check(label, bool(getattr(n, key)), f"notify_{key}", group)
            self.notify_boxes[key] = box
            inner.addWidget(box)
        layout.addWidget(group)
        self.notify_enabled.toggled.connect(group.setEnabled)
        group.setEnabled(n.enabled)
        self.quiet_focused = self._check(
            self.tr("No pop-ups while the Monitor window is active"),
            n.quiet_when_focused,
            "quietFocused",
            page,
        )
        layout.addWidget(self.quiet_focused)
        layout.addStretch(1)
        return page

    def _appearance_tab(self, s: AppSettings, tray: bool) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        themes = {
            Theme.SYSTEM: self.tr("Follow the system"),
            Theme.LIGHT: self.tr("Light"),
            Theme.DARK: self.tr("Dark"),
        }
        self.theme_combo = choice_combo(page, "theme", self.tr("Theme"), themes, s.theme)
        form.addRow(self.tr("T&heme:"), self.theme_combo)
        languages = {"": self.tr("System language"), "en": "English", "zh_CN": "简体中文"}
        self.language_combo = choice_combo(page, "language", self.tr("Language"), languages, s.language)
        form.addRow(self.tr("&Language (after restart):"), self.language_combo)
        self.close_to_tray = self._check(self.tr("&Close to tray"), s.close_to_tray, "closeToTray", page)
        self.minimise_to_tray = self._check(
            self.tr("&Minimise to tray"), s.minimise_to_tray, "minimiseToTray", page
        )
        self.start_minimised = self._check(
            self.tr("&Start minimised"), s.start_minimised, "startMinimised", page
        )
        for box in (self.close_to_tray, self.minimise_to_tray, self.start_minimised):
            box.setEnabled(tray)
            if not tray:
                box.setToolTip(self.tr("No system tray is available on this desktop"))
            form.addRow("", box)
        form.addRow(self._confirm_group(s.confirm, page))
        self.task_limit = QSpinBox(page)
        self.task_limit.setRange(MIN_TASK_LIMIT, MAX_TASK_LIMIT)
        self.task_limit.setSingleStep(1000)
        self.task_limit.setGroupSeparatorShown(True)
        self.task_limit.setValue(s.task_limit)
        named(self.task_limit, "taskLimit", self.tr("Tasks kept in the list"))
        self.task_limit.setToolTip(
            self.tr("Past this number the oldest finished tasks leave the list; active tasks always stay.")
        )
        form.addRow(self.tr("Tasks &kept in the list:"), self.task_limit)
        self.history_days = QSpinBox(page)
        self.history_days.setRange(0, 3650)
        self.history_days.setSuffix(self.tr(" days"))
        self.history_days.setSpecialValueText(self.tr("Off"))
        self.history_days.setValue(s.history_days)
        named(self.history_days, "historyDays", self.tr("Keep finished tasks on this computer"))
        self.history_days.setToolTip(
            self.tr(
                "Finished tasks are kept on this computer, across restarts and after the server "
                "forgets them. Off keeps nothing. Takes effect at the next start."
            )
        )
        form.addRow(self.tr("Keep finished tasks &for:"), self.history_days)
        return page

    def _confirm_group(self, c: ConfirmSettings, page: QWidget) -> QGroupBox:
        # "Don't ask again" in the question turns one off; this is the way back (issue 12).
        group = QGroupBox(self.tr("Ask first"), page)
        inner = QVBoxLayout(group)
        self.confirm_cancel = self._check(
            self.tr("Before cancelling tasks"), c.cancel, "confirmCancel", group
        )
        bulk = self.tr("Before acting on several tasks (and Pause all / Resume all)")
        self.confirm_bulk = self._check(bulk, c.bulk, "confirmBulk", group)
        inner.addWidget(self.confirm_cancel)
        inner.addWidget(self.confirm_bulk)
        return group

    def _reconnect_tab(self, r: ReconnectSettings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)

        def spin(value: int, lo: int, hi: int, name: str, label: str, suffix: str | None = None) -> QSpinBox:
            box = QSpinBox(page)
            box.setRange(lo, hi)
            box.setValue(value)
            box.setSuffix(self.tr(" ms") if suffix is None else suffix)  # the unit is translated too
            named(box, name, label.replace("&", "").rstrip(":"))
            form.addRow(label, box)
            box.valueChanged.connect(self._validate)
            return box

        self.auto_reconnect = self._check(self.tr("&Reconnect automatically"), r.reconnect, "reconnect", page)
        form.addRow("", self.auto_reconnect)
        self.reconnect_interval = spin(
            r.reconnect_interval_ms, 0, 600_000, "reconnectInterval", self.tr("First retry after:")
        )
        self.reconnect_decay = QDoubleSpinBox(page)
        self.reconnect_decay.setRange(1.0, 10.0)
        self.reconnect_decay.setSingleStep(0.1)
        self.reconnect_decay.setValue(r.reconnect_decay)
        named(self.reconnect_decay, "reconnectDecay", self.tr("Backoff factor"))
        form.addRow(self.tr("Backoff factor:"), self.reconnect_decay)
        self.max_reconnect_interval = spin(
            r.max_reconnect_interval_ms,
            0,
            3_600_000,
            "maxReconnectInterval",
            self.tr("Longest wait between retries:"),
        )
        self.max_attempts = spin(
            r.max_reconnect_attempts or 0,
            0,
            1_000_000,
            "maxReconnectAttempts",
            self.tr("Give up after (0 = never):"),
            "",
        )
        self.heartbeat_interval = spin(
            r.heartbeat_interval_ms, 0, 3_600_000, "heartbeatInterval", self.tr("Heartbeat interval:")
        )
        self.heartbeat_timeout = spin(
            r.heartbeat_timeout_ms, 0, 3_600_000, "heartbeatTimeout", self.tr("Heartbeat timeout:")
        )
        self.fallback_polling = self._check(
            self.tr("Fall back to &polling"), r.fallback_to_polling, "fallbackToPolling", page
        )
        form.addRow("", self.fallback_polling)
        self.polling_interval = spin(
            r.polling_interval_ms, 100, 3_600_000, "pollingInterval", self.tr("Polling interval:")
        )
        self._reconnect_extra = r
        # Which box edits which field, to say where a refused value is.
        self._reconnect_boxes: dict[str, QWidget] = {
            "reconnect_interval_ms": self.reconnect_interval,
            "reconnect_decay": self.reconnect_decay,
            "max_reconnect_interval_ms": self.max_reconnect_interval,
            "max_reconnect_attempts": self.max_attempts,
            "heartbeat_interval_ms": self.heartbeat_interval,
            "heartbeat_timeout_ms": self.heartbeat_timeout,
            "polling_interval_ms": self.polling_interval,
        }
        return page

    def _reconnect_settings(self) -> ReconnectSettings:
        """The Connection tab as edited (raises ``ValidationError`` for a value the client refuses)."""
        return ReconnectSettings(
            reconnect=self.auto_reconnect.isChecked(),
            reconnect_interval_ms=self.reconnect_interval.value(),
            reconnect_decay=self.reconnect_decay.value(),
            max_reconnect_interval_ms=self.max_reconnect_interval.value(),
            max_reconnect_attempts=self.max_attempts.value() or None,
            heartbeat_interval_ms=self.heartbeat_interval.value(),
            heartbeat_timeout_ms=self.heartbeat_timeout.value(),
            fallback_to_polling=self.fallback_polling.isChecked(),
            polling_interval_ms=self.polling_interval.value(),
            connection_timeout_ms=self._reconnect_extra.connection_timeout_ms,
        )

    def _reconnect_problems(self) -> list[str]:
        if not hasattr(self, "_reconnect_boxes"):
            return []  # the constructor is still building the tabs
        try:
            self._reconnect_settings()
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                box = self._reconnect_boxes.get(field)
                name = box.accessibleName() if box is not None else field
                problems.append(self.tr("%1: %2").replace("%1", name).replace("%2", error["msg"]))
            return problems
        return []

    # ------------------------------------------------------------------ result

    def _validate(self) -> bool:
        problems: list[str] = []
        profile_problems = self.profile_editor.problems()
        problems += profile_problems
        self.url_edit.setProperty("invalid", bool(profile_problems))
        env = self.token_env_edit.text().strip()
        if env and not _ENV_NAME.fullmatch(env):
            problems.append(self.tr("The environment variable name may hold only letters, digits and _"))
        self._describe_token_env(env)
        problems.extend(self._reconnect_problems())
        self.error_label.setText("\n".join(problems))
        buttons = getattr(self, "buttons", None)  # None while the constructor builds the tabs
        ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok) if buttons is not None else None
        if ok_button is not None:
            ok_button.setEnabled(not problems)
        return not problems

    def build_settings(self) -> AppSettings:
        """The settings as edited (raises ``ValueError`` if a field is invalid)."""
        notifications = self._original.notifications.model_copy(
            update={key: box.isChecked() for key, box in self.notify_boxes.items()}
            | {
                "enabled": self.notify_enabled.isChecked(),
                "quiet_when_focused": self.quiet_focused.isChecked(),
            }
        )
        profile = self.profile_editor.profile()  # keeps what this tab does not show
        shown = self._reconnect_settings().model_dump(exclude_unset=True)
        reconnect = profile.reconnect.model_copy(update=shown)
        data = self._original.model_dump()
        listed = {p.name: p for p in self.server_list.profiles()}
        data["profiles"] = [
            listed.pop(p["name"]).model_dump() if p["name"] in listed else p for p in data["profiles"]
        ] + [p.model_dump() for p in listed.values()]
        data.update(
            token_env=self.token_env_edit.text().strip() or None,
            notifications=notifications.model_dump(),
            theme=Theme(self.theme_combo.currentData()),
            language=str(self.language_combo.currentData()),
            close_to_tray=self.close_to_tray.isChecked(),
            minimise_to_tray=self.minimise_to_tray.isChecked(),
            start_minimised=self.start_minimised.isChecked(),
            confirm=self._original.confirm.model_copy(
                update={"cancel": self.confirm_cancel.isChecked(), "bulk": self.confirm_bulk.isChecked()}
            ).model_dump(),
            task_limit=self.task_limit.value(),
            history_days=self.history_days.value(),
        )
        watched = profile.active or self.server_list.any_active()  # the shown one is always watched
        return AppSettings.model_validate(data).with_profile(
            profile.model_copy(update={"reconnect": reconnect, "active": watched})
        )

    @property
    def result_settings(self) -> AppSettings | None:
        """The settings accepted with OK, or None."""
        return self._result

    def accept(self) -> None:
        """Validate, store a newly typed token, emit ``settings_applied`` and close."""
        if not self._validate():
            return
        try:
            settings = self.build_settings()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return
        token = self.token_edit.text()
        if token and self._store is not None:
            # Store under the URL being saved, so the token follows a changed server URL.
            store = TokenStore(
                settings.server_url,
                token_env=settings.token_env,
                backend=self._store.backend,
                session=self._store.session,
            )
            try:
                store.set(token)
            except SecretStoreError as exc:  # NoKeyringError included: stay open, say why
                self.error_label.setText(str(exc))
                return
            self.token_edit.clear()
        self._result = settings
        self.settings_applied.emit(settings)
        super().accept()
