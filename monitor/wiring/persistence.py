"""Persistence wiring: settings and window state on disk, the settings dialog and its effects."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from monitor.core.profile import ConnectionProfile
from monitor.core.settings import AppSettings, load_settings, load_ui_state, save_model, server_url_of
from monitor.services.secrets import SecretStoreError, SessionTokens, TokenStore, unset_token_env
from monitor.services.servers import TokenOf
from monitor.ui.settings_dialog import SettingsDialog, apply_theme
from monitor.wiring.parts import Parts

__all__ = ["SettingsKeeper", "read_token", "token_reader", "wire_settings"]

log = logging.getLogger("monitor.app")

SETTINGS_FILE = "settings.json"
UI_STATE_FILE = "ui-state.json"


def read_token(
    settings: AppSettings, session: SessionTokens | None = None, profile: ConnectionProfile | None = None
) -> str | None:
    """The bearer token for ``profile``'s server (default: the profile in use), or None.

    From the environment (``token_env``: for the profile in use only, so one server's token is
    never sent to another), this session's tokens, or the keyring.
    """
    profile = profile or settings.profile
    primary = profile.name == settings.profile.name
    try:
        return TokenStore(
            server_url_of(profile), token_env=settings.token_env if primary else None, session=session
        ).get()
    except SecretStoreError as exc:
        # No keyring is normal on a bare machine: the server may not need a token at all.
        log.info("no token: %s", exc)
        return None


def token_reader(settings: AppSettings, session: SessionTokens | None = None) -> TokenOf:
    """The token of each profile's server under ``settings`` (see :func:`read_token`)."""
    return lambda profile: read_token(settings, session, profile)


class SettingsKeeper:
    """The settings in effect and the files they live in.

    Args:
        folder: The config folder.
        writable: False never writes (the self-test).
        stream_override: A stream URL in effect for this run only (``--server``, ``--stream``,
            ``--demo``): a temporary profile that is used but never written, so the next plain
            launch still watches the user's server.

    Attributes:
        settings: The settings in effect.
        warning: Why the settings file could not be used as is (None: it could).
    """

    def __init__(self, folder: Path, *, writable: bool, stream_override: str | None = None) -> None:
        self.folder = folder
        self.writable = writable
        result = load_settings(folder / SETTINGS_FILE)
        self._saved = result.value
        self.settings = result.value
        if stream_override is not None:
            self.settings = result.value.with_temporary_stream(stream_override)
        self.warning = result.warning
        if result.upgraded and writable:
            # A migrated file or a new profile: its generated client id must survive a restart.
            self._write(result.value)

    def _write(self, settings: AppSettings) -> str | None:
        try:
            save_model(settings, self.folder / SETTINGS_FILE)
        except OSError as exc:
            log.warning("settings not saved: %s", exc)
            return str(exc)
        self._saved = settings
        return None

    def update(self, settings: AppSettings) -> str | None:
        """Make ``settings`` current and save them; return why saving failed, if it did."""
        self.settings = settings
        if not self.writable:
            return None
        return self._write(settings.without_temporary(self._saved))

    def restore_window(self, parts: Parts) -> None:
        """Window geometry, toolbars, detail pane, columns, sort and filters from last time."""
        state = load_ui_state(self.folder / UI_STATE_FILE).value
        if state.geometry is None or not parts.window.restore_ui_state(state):
            parts.window.resize(1280, 760)  # first run: room for the table and the detail pane
        parts.view.restore_state(state)

    def save_window(self, parts: Parts) -> None:
        """Save what :meth:`restore_window` reads (never raises: quitting must go on)."""
        if not self.writable:
            return
        state = parts.view.save_state(parts.window.save_ui_state())
        try:
            save_model(state, self.folder / UI_STATE_FILE)
        except OSError as exc:  # a read-only config dir must not block quitting
            log.warning("could not save the window state: %s", exc)


def wire_settings(
    parts: Parts,
    keeper: SettingsKeeper,
    qapp: QApplication,
    *,
    reconnect: Callable[[AppSettings, TokenOf], Awaitable[None]],
    spawn: Callable[[Awaitable[None]], None],
) -> None:
    """The settings dialog, its effects, and do-not-disturb persistence.

    Args:
        parts: The app's parts.
        keeper: Where settings live.
        qapp: For the theme.
        reconnect: Applies new connection settings (the servers, and what depends on them).
        spawn: Runs a coroutine owned by the app (cancelled at shutdown).
    """
    window = parts.window
    # Tokens typed while there is no keyring: in memory, for this run only.
    session = SessionTokens()
    if (missing := unset_token_env(keeper.settings.token_env)) is not None:
        window.statusBar().showMessage(
            qapp.translate("DesktopApp", "The token environment variable {0} is not set.").format(missing),
            30_000,
        )

    def apply(settings: AppSettings) -> None:
        old = keeper.settings
        if (error := keeper.update(settings)) is not None:
            window.statusBar().showMessage(
                qapp.translate("DesktopApp", "Settings not saved: {0}").format(error), 15_000
            )
        window.apply_settings(settings)
        parts.notifier.policy.update_settings(settings.notifications)
        parts.notifier.set_dnd(settings.do_not_disturb)
        parts.tray.set_dnd(settings.do_not_disturb)
        parts.messages.set_capacity(settings.messages_limit)
        if settings.task_limit != old.task_limit:
            parts.service.set_task_limit(settings.task_limit)  # a lower limit evicts at once
        if settings.theme != old.theme:
            apply_theme(qapp, settings.theme)
        # The servers keep what did not change (ServerSet.reconfigure compares each server's
        # profile and token) and reconnect the rest.
        window.set_server_url(settings.server_url)
        spawn(reconnect(settings, token_reader(settings, session)))

    def open_dialog() -> None:
        settings = keeper.settings
        dialog = SettingsDialog(
            settings,
            token_store=TokenStore(settings.server_url, token_env=settings.token_env, session=session),
            tray_available=parts.tray.available,
            parent=window,
        )
        dialog.settings_applied.connect(apply)
        dialog.open()

    window.settings_requested.connect(open_dialog)
    parts.tray.dnd_toggled.connect(
        lambda on: keeper.update(keeper.settings.model_copy(update={"do_not_disturb": on}))
    )
