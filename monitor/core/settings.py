"""User settings and remembered UI state, persisted as JSON.

Two models, two files: :class:`AppSettings` is what the user chooses in the settings dialog;
:class:`UiState` is what the window remembers by itself (geometry, columns, sort, filters). Keeping
them apart means a broken UI-state file never costs the user their server URL, and vice versa.

Reconnect parameters keep seed 000's names (``reconnectInterval`` -> ``reconnect_interval_ms``...)
and defaults; the JSON accepts both spellings.

Loading never raises: a missing, unreadable, corrupt or invalid file gives the defaults plus a
warning (returned and logged), because a settings file must never stop the app from starting.
Saving is atomic (temp file in the same folder, fsync, ``os.replace``), so a crash mid-write leaves
the old file intact.

The token is *not* here: it lives in the OS keyring (``monitor.services.secrets``); only the name of
an environment variable that may hold it (``token_env``) is stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.core.atomicfile import write_text_atomic
from monitor.core.profile import ReconnectConfig

__all__ = [
    "SCHEMA_VERSION",
    "AppSettings",
    "LoadResult",
    "NotificationSettings",
    "ReconnectSettings",
    "SortSpec",
    "Theme",
    "UiState",
    "load_settings",
    "load_ui_state",
    "save_model",
    "validate_server_url",
]

_log = logging.getLogger(__name__)

#: Bumped when a field changes meaning; older files are migrated or reset field by field.
SCHEMA_VERSION: Final = 1

_Ms = Annotated[int, Field(ge=0, le=24 * 3600 * 1000)]
#: A period that must not be zero: the client refuses a heartbeat interval or timeout of 0 (a
#: stream would be declared dead at once), so the settings refuse it too, in the dialog and on load.
_PositiveMs = Annotated[int, Field(ge=1, le=24 * 3600 * 1000)]


def validate_server_url(url: str) -> str:
    """Check that ``url`` is an absolute http(s) URL with a host.

    Args:
        url: What the user typed.

    Returns:
        The URL, stripped of surrounding whitespace and a trailing slash.

    Raises:
        ValueError: With a message fit to show the user.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError("the server URL must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("the server URL has no host name")
    if any(c.isspace() for c in text):
        raise ValueError("the server URL must not contain spaces")
    try:
        _ = parts.port  # raises on a port out of range or not a number
    except ValueError as exc:
        raise ValueError(f"the server URL has an invalid port: {exc}") from None
    return text.rstrip("/")


class Theme(StrEnum):
    """Colour scheme: follow the desktop, or force one."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


class _Model(BaseModel):
    # Unknown keys are ignored so that a file written by a newer version still loads.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, validate_assignment=True)


#: The reconnect/heartbeat/polling parameters: one model, shared with the engine's profile.
ReconnectSettings = ReconnectConfig


class NotificationSettings(_Model):
    """Which events notify, and how.

    Defaults follow ux.md §3: failures and "all done" on, routine successes off.
    """

    enabled: bool = True
    completed: bool = False
    failed: bool = True
    cancelled: bool = False
    connection_lost: bool = True
    connection_restored: bool = False
    all_done: bool = True
    #: Seed-004 server messages: system notices, error messages, anything of critical priority.
    message_system: bool = True
    message_error: bool = True
    message_critical: bool = True
    #: Skip toasts while the main window has focus (the user sees the table anyway).
    quiet_when_focused: bool = True
    #: Seconds within which notifications of the same kind are merged into one.
    group_window_s: Annotated[float, Field(ge=0, le=60, allow_inf_nan=False)] = 2.0
    #: Seconds a success notice stays before the server expires it; failures never expire.
    success_timeout_s: Annotated[float, Field(ge=1, le=600, allow_inf_nan=False)] = 8.0


class AppSettings(_Model):
    """What the user sets in the settings dialog."""

    schema_version: int = SCHEMA_VERSION
    server_url: str = "http://127.0.0.1:8765"
    #: Name of an environment variable holding the token (CI, kiosks); the keyring is the default.
    token_env: Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    reconnect: ReconnectSettings = Field(default_factory=ReconnectSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    theme: Theme = Theme.SYSTEM
    start_minimised: bool = False
    close_to_tray: bool = True
    minimise_to_tray: bool = False
    do_not_disturb: bool = False
    #: Server messages kept in the messages view (the oldest go first).
    messages_limit: Annotated[int, Field(ge=10, le=100_000)] = 1000
    #: Locale for translations ("" = the system's).
    language: Annotated[str, Field(max_length=16)] = ""

    @field_validator("server_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return validate_server_url(value)


class SortSpec(_Model):
    """Sort column (a stable column key, never an index) and direction."""

    column: Annotated[str, Field(max_length=64)] = "name"
    descending: bool = False


class UiState(_Model):
    """What the window remembers by itself.

    Columns are stored by stable key (``"name"``, ``"progress"``...) so that adding a column in a
    later version never scrambles a saved layout (qbittorrent#17145).
    """

    schema_version: int = SCHEMA_VERSION
    #: ``QMainWindow.saveGeometry()`` bytes, base64.
    geometry: str | None = None
    #: ``QMainWindow.saveState()`` bytes (toolbars, docks), base64.
    window_state: str | None = None
    #: Visible columns in display order.
    columns: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list)
    column_widths: dict[str, Annotated[int, Field(ge=0, le=10000)]] = Field(default_factory=dict)
    sort: SortSpec = Field(default_factory=SortSpec)
    #: Filter name -> value (state filter, search text...); owned by the task view.
    filters: dict[str, str | list[str]] = Field(default_factory=dict)
    splitter: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)
    detail_pane_visible: bool = True

    @field_validator("geometry", "window_state")
    @classmethod
    def _check_b64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("not base64") from None
        return value

    @staticmethod
    def encode_bytes(data: bytes) -> str:
        """Encode Qt state bytes (``bytes(QByteArray)``) for storage."""
        return base64.b64encode(data).decode("ascii")

    @staticmethod
    def decode_bytes(text: str | None) -> bytes | None:
        """Decode what :meth:`encode_bytes` stored; None stays None."""
        return None if text is None else base64.b64decode(text)


_M = TypeVar("_M", bound=BaseModel)


class LoadResult(Generic[_M]):
    """What a load produced: the model and, if the file could not be used as is, why.

    Attributes:
        value: The settings (defaults when the file was unusable).
        warning: None when the file loaded cleanly (or did not exist), else a plain-text reason.
    """

    __slots__ = ("value", "warning")

    def __init__(self, value: _M, warning: str | None) -> None:
        self.value = value
        self.warning = warning


def _load(path: Path, model: type[_M]) -> LoadResult[_M]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(model(), None)
    except (OSError, UnicodeDecodeError) as exc:
        return _fallback(model, f"cannot read {path}: {exc}")
    try:
        raw: Any = json.loads(text)
    except ValueError as exc:
        return _fallback(model, f"{path} is not valid JSON ({exc}); using defaults")
    if not isinstance(raw, dict):
        return _fallback(model, f"{path} does not hold a JSON object; using defaults")
    version = raw.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        # A newer app wrote it: read what we understand rather than refusing outright.
        _log.info("settings %s have schema_version %r, this app knows %d", path, version, SCHEMA_VERSION)
    raw["schema_version"] = SCHEMA_VERSION
    try:
        return LoadResult(model.model_validate(raw), None)
    except ValidationError as exc:
        # Keep every valid top-level field; reset only the broken ones, so one bad value does not
        # cost the user all their other choices.
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        kept = {k: v for k, v in raw.items() if k not in bad}
        names = ", ".join(sorted(bad)) or "?"
        try:
            value = model.model_validate(kept)
        except ValidationError:
            return _fallback(model, f"{path} has invalid settings; using defaults")
        return _warn(LoadResult(value, f"{path}: invalid value for {names}; reset to default"))


def _fallback(model: type[_M], message: str) -> LoadResult[_M]:
    return _warn(LoadResult(model(), message))


def _warn(result: LoadResult[_M]) -> LoadResult[_M]:
    _log.warning("%s", result.warning)
    return result


def load_settings(path: str | os.PathLike[str]) -> LoadResult[AppSettings]:
    """Load :class:`AppSettings` from ``path``; never raises (see the module docstring)."""
    return _load(Path(path), AppSettings)


def load_ui_state(path: str | os.PathLike[str]) -> LoadResult[UiState]:
    """Load :class:`UiState` from ``path``; never raises."""
    return _load(Path(path), UiState)


def save_model(model: BaseModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` as JSON to ``path`` atomically, creating the folder if needed.

    Raises:
        OSError: If the folder cannot be created or written; the old file is then untouched.
    """
    write_text_atomic(path, model.model_dump_json(indent=2))
