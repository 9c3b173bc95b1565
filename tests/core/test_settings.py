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


def _without_client_ids(s: AppSettings) -> dict[str, object]:
    """The settings as data, minus the client ids (generated at random for a new profile)."""
    data = s.model_dump()
    for profile in data["profiles"]:
        profile.pop("client_id")
    return data


def test_missing_file_gives_defaults_silently(tmp_path: Path) -> None:
    result = load_settings(tmp_path / "nope.json")
    assert result.warning is None
    assert _without_client_ids(result.value) == _without_client_ids(AppSettings())
    assert result.upgraded  # the generated client id must be saved


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\xff\xfe garbage", ""])
def test_corrupt_file_gives_defaults_and_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content.encode("latin-1"))
    with caplog.at_level(logging.WARNING):
        result = load_settings(path)
    assert _without_client_ids(result.value) == _without_client_ids(AppSettings())
    assert result.warning
    assert not result.upgraded  # an unusable file is not overwritten behind the user's back
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
    assert not result.upgraded


def test_old_format_file_is_migrated_into_a_profile(tmp_path: Path) -> None:
    """A file written before profiles existed: its server and reconnect timing become one profile."""
    path = tmp_path / "settings.json"
    old = {
        "schema_version": 1,
        "server_url": "https://jobs.example:9000/prefix",
        "token_env": "JOBS_TOKEN",
        "reconnect": {"reconnectInterval": 250, "max_reconnect_attempts": 4},
        "theme": "dark",
    }
    path.write_text(json.dumps(old))
    result = load_settings(path)
    assert result.warning is None
    assert result.upgraded
    s = result.value
    assert [p.name for p in s.profiles] == ["default"]
    assert s.profile.stream_url == "https://jobs.example:9000/prefix/api/tasks/stream"
    assert s.profile.resolved_commands_url == "https://jobs.example:9000/prefix/api/commands"
    assert (s.reconnect.reconnect_interval_ms, s.reconnect.max_reconnect_attempts) == (250, 4)
    assert s.server_url == "https://jobs.example:9000/prefix"  # the token's key is unchanged
    assert (s.token_env, s.theme) == ("JOBS_TOKEN", Theme.DARK)
    # Saved once, the client id is the file's: the next load gives the same one, not upgraded.
    save_model(s, path)
    saved = json.loads(path.read_text())
    assert "server_url" not in saved
    assert saved["profiles"][0]["client_id"] == s.profile.client_id
    again = load_settings(path)
    assert (again.value, again.upgraded, again.warning) == (s, False, None)


def test_a_profile_without_client_id_gets_one_to_save(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "profiles": [
                    {"name": "a", "stream_url": "http://a/sse?topic=x", "dialect": "seed004"},
                    {"name": "b", "stream_url": "http://b/stream", "client_id": "mine"},
                ],
                "active_profile": "b",
            }
        )
    )
    result = load_settings(path)
    assert result.upgraded
    assert result.warning is None
    a, b = result.value.profiles
    assert a.client_id.startswith("monitor-")
    assert b.client_id == "mine"
    assert result.value.profile is b
    assert result.value.server_url == "http://b/stream"


def test_temporary_stream_keeps_the_client_id_and_is_not_saved() -> None:
    s = AppSettings(server_url="http://saved:1")
    temp = s.with_temporary_stream("http://other:2/sse?clientId=me")
    assert temp.profile.stream_url == "http://other:2/sse?clientId=me"
    assert temp.profile.client_id == s.profile.client_id
    assert temp.without_temporary(s).model_dump() == s.model_dump()
    with pytest.raises(ValueError, match="invalid stream URL"):
        s.with_temporary_stream("ftp://x")


def test_duplicate_profile_names_are_refused() -> None:
    p = {"name": "x", "stream_url": "http://h/s"}
    with pytest.raises(ValueError, match="same name"):
        AppSettings.model_validate({"profiles": [p, p]})


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
