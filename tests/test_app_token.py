"""A token without a keyring, through the real app (issue 12).

The real ``DesktopApp`` against a real ``monitor serve`` app that requires a token, on a machine
with no keyring (keyring's own fail backend, which is what a bare machine has): the 401 sends the
user to Settings, the token typed there is kept for this session, and the app connects with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtWidgets import QApplication

from monitor.core.connection import ConnectionState, FailureKind
from monitor.server.app import create_app
from monitor.server.config import ServerConfig
from monitor.server.runner import ServerThread
from monitor.ui.settings_dialog import SettingsDialog
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("MONITOR_TOKEN_H20", raising=False)
    return tmp_path


def open_settings_dialog(window: Any) -> SettingsDialog:
    window.settings_requested.emit()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def test_a_token_typed_after_a_401_connects_without_a_keyring(
    run: Any, config_dir: Path, no_keyring: None
) -> None:
    app = create_app(ServerConfig(tokens=["s3cret"], db=":memory:"))
    with ServerThread(app) as server:

        async def scenario() -> None:
            async with running_app(config_dir, "--server", server.url, demo=False) as desktop:
                parts = parts_of(desktop)
                indicator = parts.window.indicator
                await until(lambda: indicator.status.failure is FailureKind.AUTH, 15, "the 401")
                assert indicator.settings_visible()
                dialog = open_settings_dialog(parts.window)
                assert dialog.token_edit.isEnabled()
                assert "this session only" in dialog.token_status.text()
                dialog.token_edit.setText("s3cret")
                dialog.accept()
                await until(lambda: indicator.status.state is ConnectionState.CONNECTED, 15, "live")
                assert parts.service.token == "s3cret"
                # Never written to disk: the settings file holds no token.
                saved = config_dir / "settings.json"
                assert not saved.exists() or "s3cret" not in saved.read_text()

        run(scenario())


def test_an_unset_token_variable_is_named_in_the_status_bar(run: Any, config_dir: Path) -> None:
    (config_dir / "settings.json").write_text(json.dumps({"token_env": "MONITOR_TOKEN_H20"}))

    async def scenario() -> None:
        async with running_app(config_dir) as desktop:
            message = parts_of(desktop).window.statusBar().currentMessage()
            assert "MONITOR_TOKEN_H20 is not set" in message

    run(scenario())
