"""Several active connection profiles: the flag, the fallback, the migration (issue 15 item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.core.profile import ConnectionProfile
from monitor.core.settings import SCHEMA_VERSION, TEMPORARY_PROFILE, AppSettings, load_settings


def _profile(name: str, port: int, *, active: bool | None = None) -> dict[str, object]:
    data: dict[str, object] = {
        "name": name,
        "stream_url": f"http://127.0.0.1:{port}/api/tasks/stream",
        "client_id": f"c-{name}",
    }
    if active is not None:
        data["active"] = active
    return data


def test_flagged_profiles_are_all_watched_in_their_order() -> None:
    settings = AppSettings.model_validate(
        {"profiles": [_profile("a", 1, active=True), _profile("b", 2), _profile("c", 3, active=True)]}
    )
    assert [p.name for p in settings.active_profiles] == ["a", "c"]


def test_without_any_flag_the_profile_in_use_is_watched() -> None:
    settings = AppSettings.model_validate(
        {"profiles": [_profile("a", 1), _profile("b", 2)], "active_profile": "b"}
    )
    assert [p.name for p in settings.active_profiles] == ["b"]


def test_a_schema_2_file_migrates_to_one_flagged_profile(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {"schema_version": 2, "profiles": [_profile("a", 1), _profile("b", 2)], "active_profile": "b"}
        )
    )
    result = load_settings(path)
    assert result.upgraded
    assert result.warning is None
    assert [(p.name, p.active) for p in result.value.profiles] == [("a", False), ("b", True)]
    assert result.value.schema_version == SCHEMA_VERSION == 3


def test_a_file_with_flags_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"profiles": [_profile("a", 1, active=True), _profile("b", 2, active=True)]}))
    result = load_settings(path)
    assert not result.upgraded
    assert [p.name for p in result.value.active_profiles] == ["a", "b"]


def test_the_temporary_stream_is_the_only_one_watched_and_never_saved() -> None:
    saved = AppSettings.model_validate(
        {"profiles": [_profile("a", 1, active=True), _profile("b", 2, active=True)]}
    )
    running = saved.with_temporary_stream("http://127.0.0.1:9/api/tasks/stream")
    assert [p.name for p in running.active_profiles] == [TEMPORARY_PROFILE]
    assert running.without_temporary(saved).active_profiles == saved.active_profiles


@pytest.mark.parametrize("name", ["a\x1fb", "tab\there", ""])
def test_a_profile_name_cannot_hold_a_control_character(name: str) -> None:
    with pytest.raises(ValidationError):
        ConnectionProfile(name=name, stream_url="http://127.0.0.1:1/api/tasks/stream")
