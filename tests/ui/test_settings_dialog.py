"""Settings dialog, theme switching and the keyring token store.

The keyring tests use a small in-memory ``KeyringBackend`` subclass (a real backend
implementation, not a mock: this machine has no Secret Service, which is exactly the case the
"no keyring" tests cover with keyring's own fail backend).
"""

from __future__ import annotations

import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as FailKeyring
from keyring.errors import PasswordDeleteError
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from monitor.core.protocol import TaskState
from monitor.core.settings import AppSettings, ConfirmSettings, Theme
from monitor.services.secrets import (
    KEYRING_SERVICE,
    NoKeyringError,
    SessionTokens,
    TokenStore,
    unset_token_env,
)
from monitor.ui.settings_dialog import SettingsDialog, apply_theme, effective_theme


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.data.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


# ----------------------------------------------------------------------------- secrets


def test_token_store_round_trip() -> None:
    kr = MemoryKeyring()
    store = TokenStore("http://h:1", backend=kr)
    assert store.available()
    assert store.get() is None
    store.set("s3cret")
    assert kr.data == {(KEYRING_SERVICE, "http://h:1"): "s3cret"}
    assert store.get() == "s3cret"
    store.set("")  # empty deletes
    assert store.get() is None
    store.delete()  # deleting nothing is fine


def test_token_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MON_TOKEN_TEST", "from-env")
    store = TokenStore("http://h:1", token_env="MON_TOKEN_TEST", backend=FailKeyring())
    assert store.get() == "from-env"


def test_no_keyring_is_a_clear_error() -> None:
    store = TokenStore("http://h:1", backend=FailKeyring())
    assert not store.available()
    for call in (store.get, lambda: store.set("x"), store.delete):
        with pytest.raises(NoKeyringError, match="No system keyring"):
            call()


# ----------------------------------------------------------------------------- dialog


def make(qtbot: QtBot, settings: AppSettings | None = None, **kw: object) -> SettingsDialog:
    d = SettingsDialog(settings or AppSettings(), **kw)  # type: ignore[arg-type]
    qtbot.addWidget(d)
    return d


def test_url_validation_disables_ok(qtbot: QtBot) -> None:
    d = make(qtbot)
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()
    assert d.error_label.text() == ""
    d.url_edit.setText("localhost:8000")
    assert not ok.isEnabled()
    assert "http" in d.error_label.text()
    d.url_edit.setText("https://tasks.example.org/")
    assert ok.isEnabled()
    d.token_env_edit.setText("1BAD NAME")
    assert not ok.isEnabled()


def test_accept_builds_settings(qtbot: QtBot) -> None:
    d = make(qtbot, tray_available=True)
    d.url_edit.setText("https://tasks.example.org:9443/")
    d.notify_boxes["completed"].setChecked(True)
    d.notify_boxes["failed"].setChecked(False)
    d.theme_combo.setCurrentIndex(d.theme_combo.findData("dark"))
    d.max_attempts.setValue(5)
    d.reconnect_interval.setValue(250)
    d.start_minimised.setChecked(True)
    with qtbot.waitSignal(d.settings_applied, timeout=1000) as blocker:
        d.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    s = blocker.args[0]
    assert isinstance(s, AppSettings)
    assert d.result_settings == s
    assert s.server_url == "https://tasks.example.org:9443"
    assert s.notifications.completed
    assert not s.notifications.failed
    assert s.theme is Theme.DARK
    assert s.start_minimised
    assert s.reconnect.max_reconnect_attempts == 5
    assert s.reconnect.reconnect_interval_ms == 250


def test_zero_attempts_means_unlimited(qtbot: QtBot) -> None:
    s = AppSettings()
    s.reconnect.max_reconnect_attempts = 3
    d = make(qtbot, s)
    d.max_attempts.setValue(0)
    assert d.build_settings().reconnect.max_reconnect_attempts is None


def test_tray_options_disabled_without_tray(qtbot: QtBot) -> None:
    d = make(qtbot, tray_available=False)
    assert not d.close_to_tray.isEnabled()
    assert not d.start_minimised.isEnabled()
    assert "tray" in d.close_to_tray.toolTip()
    d2 = make(qtbot, tray_available=True)
    assert d2.close_to_tray.isEnabled()


def test_token_write_only_and_stored(qtbot: QtBot) -> None:
    kr = MemoryKeyring()
    store = TokenStore("http://127.0.0.1:8765", backend=kr)
    store.set("old-token")
    d = make(qtbot, token_store=store)
    assert d.token_edit.text() == ""  # never shows the stored token
    assert "keyring" in d.token_status.text()
    assert "stored" in d.token_status.text()
    d.url_edit.setText("http://127.0.0.1:9999")
    d.token_edit.setText("new-token")
    d.accept()
    assert d.result_settings is not None
    assert kr.data[(KEYRING_SERVICE, "http://127.0.0.1:9999")] == "new-token"
    assert d.token_edit.text() == ""


def test_no_keyring_message(qtbot: QtBot) -> None:
    d = make(qtbot, token_store=TokenStore("http://127.0.0.1:8765", backend=FailKeyring()))
    assert not d.token_edit.isEnabled()
    assert "No system keyring" in d.token_status.text()


def test_fields_have_accessible_names(qtbot: QtBot) -> None:
    d = make(qtbot)
    for w in (
        d.url_edit,
        d.token_edit,
        d.theme_combo,
        d.close_to_tray,
        d.reconnect_interval,
        *d.notify_boxes.values(),
    ):
        assert w.accessibleName(), w.objectName()


def test_apply_theme(qapp: QApplication) -> None:
    before, style = qapp.palette(), qapp.style().name()
    try:
        assert apply_theme(qapp, Theme.DARK) is Theme.DARK
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 100
        assert qapp.style().name().lower() == "fusion"
        assert apply_theme(qapp, Theme.LIGHT) is Theme.LIGHT
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 150
        assert effective_theme(Theme.SYSTEM) in (Theme.LIGHT, Theme.DARK)
    finally:
        qapp.setStyle(style)  # leave the app as other tests expect it
        qapp.setPalette(before)


def _blue_pixels(qapp: QApplication, state: TaskState) -> int:
    """Paint one progress cell (50 %) with the app's style and palette; count clearly blue pixels."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics, QImage, QPainter, QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QStyleOptionViewItem

    from monitor.ui.delegates import ProgressDelegate
    from monitor.ui.task_model import TaskRole

    model = QStandardItemModel(1, 1)
    item = QStandardItem()
    item.setData(50.0, TaskRole.PROGRESS)
    item.setData(state, TaskRole.STATE)
    model.setItem(0, 0, item)
    image = QImage(200, 24, QImage.Format.Format_RGB32)
    image.fill(qapp.palette().color(QPalette.ColorRole.Base))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 200, 24)
    option.palette = qapp.palette()
    option.fontMetrics = QFontMetrics(qapp.font())
    painter = QPainter(image)
    ProgressDelegate().paint(painter, option, model.index(0, 0))
    painter.end()
    blue = 0
    for x in range(4, 96):  # the chunk's half of the bar
        for y in range(4, 20):
            c = image.pixelColor(x, y)
            blue += c.blue() > c.red() + 60 and c.blue() > c.green() + 30
    return blue


@pytest.mark.parametrize("theme", [Theme.LIGHT, Theme.DARK])
def test_paused_and_failed_bars_are_not_blue(qapp: QApplication, theme: Theme) -> None:
    before, style = qapp.palette(), qapp.style().name()
    try:
        apply_theme(qapp, theme)
        assert _blue_pixels(qapp, TaskState.RUNNING) > 200  # the check sees a blue chunk
        assert _blue_pixels(qapp, TaskState.PAUSED) == 0
        assert _blue_pixels(qapp, TaskState.FAILED) == 0
    finally:
        qapp.setStyle(style)
        qapp.setPalette(before)


# ----------------------------------------------------------------------------- no keyring (issue 12)


def test_without_a_keyring_a_typed_token_is_kept_for_the_session(qtbot: QtBot) -> None:
    session = SessionTokens()
    store = TokenStore("http://127.0.0.1:8765", backend=FailKeyring(), session=session)
    d = make(qtbot, token_store=store)
    assert d.token_edit.isEnabled()  # a 401 must leave a way to type a token
    assert "this session only" in d.token_status.text()
    assert "environment variable" in d.token_status.text()
    d.token_edit.setText("s3cret")
    d.accept()
    assert d.result_settings is not None
    assert session.get("http://127.0.0.1:8765") == "s3cret"
    assert store.get() == "s3cret"
    # Opened again: it says a token is kept, in memory only, and never shows it.
    again = make(qtbot, token_store=store)
    assert again.token_edit.text() == ""
    assert "kept in memory for this session only" in again.token_status.text()


def test_a_named_but_unset_token_variable_is_warned_about(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MON_TOKEN_UNSET", raising=False)
    monkeypatch.setenv("MON_TOKEN_SET", "x")
    d = make(qtbot, settings=AppSettings(token_env="MON_TOKEN_UNSET"))
    assert d.token_env_warning.isVisibleTo(d)
    assert "MON_TOKEN_UNSET is not set" in d.token_env_warning.text()
    d.token_env_edit.setText("MON_TOKEN_SET")
    assert not d.token_env_warning.isVisibleTo(d)
    d.token_env_edit.setText("")
    assert not d.token_env_warning.isVisibleTo(d)
    assert unset_token_env("MON_TOKEN_UNSET") == "MON_TOKEN_UNSET"
    assert unset_token_env(None) is None


def test_dont_ask_again_can_be_undone_in_the_dialog(qtbot: QtBot) -> None:
    """A question turned off with "Don't ask again" shows unticked and can be turned back on."""
    s = AppSettings().model_copy(update={"confirm": ConfirmSettings(cancel=False, bulk=True)})
    d = make(qtbot, s)
    assert not d.confirm_cancel.isChecked()
    assert d.confirm_bulk.isChecked()
    assert d.build_settings().confirm == ConfirmSettings(cancel=False, bulk=True)  # kept as it was
    d.confirm_cancel.setChecked(True)
    d.confirm_bulk.setChecked(False)
    with qtbot.waitSignal(d.settings_applied, timeout=1000) as blocker:
        d.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert blocker.args[0].confirm == ConfirmSettings(cancel=True, bulk=False)
    assert d.confirm_cancel.accessibleName() == "Before cancelling tasks"
