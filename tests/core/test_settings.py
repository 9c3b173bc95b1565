"""Settings persistence: round trip, atomic save, corrupt and invalid files, seed names."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from monitor.core.settings import (
    SCHEMA_VERSION,
    AppSettings,
    Theme,
    UiState,
    load_settings,
    load_ui_state,
    save_model,
    validate_server_url,
)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "settings.json"
    s = AppSettings(server_url="https://jobs.example:9000/", theme=Theme.DARK, close_to_tray=False)
    s.notifications.completed = True
    s.reconnect.max_reconnect_attempts = 7
    save_model(s, path)
    loaded = load_settings(path)
    assert loaded.warning is None
    assert loaded.value == s
    assert loaded.value.server_url == "https://jobs.example:9000"
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp file left


def test_missing_file_gives_defaults_silently(tmp_path: Path) -> None:
    result = load_settings(tmp_path / "nope.json")
    assert result.warning is None
    assert result.value == AppSettings()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\xff\xfe garbage", ""])
def test_corrupt_file_gives_defaults_and_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content.encode("latin-1"))
    with caplog.at_level(logging.WARNING):
        result = load_settings(path)
    assert result.value == AppSettings()
    assert result.warning
    assert str(path) in result.warning
    assert caplog.records


def test_invalid_field_resets_only_that_field(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"server_url": "ftp://nope", "theme": "dark", "future_key": 1}))
    result = load_settings(path)
    assert result.value.theme is Theme.DARK
    assert result.value.server_url == AppSettings().server_url
    assert result.warning
    assert "server_url" in result.warning


def test_seed_names_accepted(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "reconnect": {
                    "reconnectInterval": 250,
                    "reconnectDecay": 2.0,
                    "maxReconnectInterval": 5000,
                    "pollingInterval": 800,
                }
            }
        )
    )
    r = load_settings(path).value.reconnect
    assert (
        r.reconnect_interval_ms,
        r.reconnect_decay,
        r.max_reconnect_interval_ms,
        r.polling_interval_ms,
    ) == (250, 2.0, 5000, 800)


def test_seed_defaults() -> None:
    r = AppSettings().reconnect
    assert (r.reconnect_interval_ms, r.reconnect_decay, r.max_reconnect_interval_ms) == (1000, 1.5, 30000)
    assert (r.heartbeat_interval_ms, r.heartbeat_timeout_ms, r.polling_interval_ms) == (30000, 10000, 5000)
    assert r.max_reconnect_attempts is None
    assert r.fallback_to_polling


def test_failed_save_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.json"
    save_model(AppSettings(theme=Theme.LIGHT), path)

    def boom(*_a: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("monitor.core.settings.os.replace", boom)
    with pytest.raises(OSError):
        save_model(AppSettings(theme=Theme.DARK), path)
    assert load_settings(path).value.theme is Theme.LIGHT
    assert len(list(tmp_path.iterdir())) == 1


def test_ui_state_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    geo = bytes(range(256))
    state = UiState(
        geometry=UiState.encode_bytes(geo),
        columns=["name", "progress"],
        column_widths={"name": 200},
        filters={"state": ["failed"], "text": "wav"},
        splitter=[300, 100],
    )
    state.sort.column = "eta"
    save_model(state, path)
    loaded = load_ui_state(path).value
    assert loaded == state
    assert UiState.decode_bytes(loaded.geometry) == geo


def test_ui_state_bad_base64_resets_field(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    path.write_text(json.dumps({"geometry": "!!notb64", "columns": ["name"]}))
    result = load_ui_state(path)
    assert result.value.geometry is None
    assert result.value.columns == ["name"]
    assert result.warning


@pytest.mark.parametrize("url", ["", "localhost:8000", "ftp://x", "http://", "http://a b", "http://h:99999"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        validate_server_url(url)


def test_token_env_validated() -> None:
    with pytest.raises(ValueError):
        AppSettings(token_env="not a name")
    assert AppSettings(token_env="MONITOR_TOKEN").token_env == "MONITOR_TOKEN"
