"""User settings and remembered UI state, persisted as JSON.

Two models, two files: :class:`AppSettings` is what the user chooses in the settings dialog;
:class:`UiState` is what the window remembers by itself (geometry, columns, sort, filters). Keeping
them apart means a broken UI-state file never costs the user their server URL, and vice versa.

The connection is a :class:`~monitor.core.profile.ConnectionProfile` (stream URL, API endpoints,
auth placement, client id, resume mode, dialect, reconnect timing). The settings hold a list of
profiles and the name of the one the settings dialog edits (``active_profile``); each profile's
``active`` flag says whether the app watches it, and several may be watched at once
(:attr:`AppSettings.active_profiles`; a file from before the flag flags ``active_profile``).
Files written before profiles existed (``server_url`` + ``reconnect`` at the top level) are
migrated on load into one profile named ``default`` whose stream URL is
``<server_url>/api/tasks/stream``; the result says so (``upgraded``), and the app saves the file
at once so that the profile's generated client id stays the same from then on.
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
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.core.atomicfile import write_text_atomic
from monitor.core.profile import ConnectionProfile, ReconnectConfig, new_client_id

__all__ = [
    "DEFAULT_PROFILE",
    "DEFAULT_SERVER_URL",
    "DEFAULT_TASK_LIMIT",
    "MAX_TASK_LIMIT",
    "MIN_TASK_LIMIT",
    "MONITOR_STREAM_PATH",
    "SCHEMA_VERSION",
    "TEMPORARY_PROFILE",
    "AppSettings",
    "ConfirmSettings",
    "LoadResult",
    "NotificationSettings",
    "ReconnectSettings",
    "SortSpec",
    "Theme",
    "UiState",
    "load_settings",
    "load_ui_state",
    "monitor_stream_url",
    "save_model",
    "server_url_of",
    "stream_url_from_input",
    "validate_server_url",
]

_log = logging.getLogger(__name__)

#: Bumped when a field changes meaning; older files are migrated or reset field by field.
#: 2: ``server_url`` + ``reconnect`` became ``profiles`` + ``active_profile``.
#: 3: profiles carry an ``active`` flag (several servers at once); a file without one gets it on
#: the profile named by ``active_profile``.
SCHEMA_VERSION: Final = 3

#: Tasks the app keeps by default (about 50 MB; issue 13: 100k tasks once took 265 MB).
DEFAULT_TASK_LIMIT: Final = 50_000
#: The range the settings accept for the task limit.
MIN_TASK_LIMIT: Final = 100
MAX_TASK_LIMIT: Final = 10_000_000

#: Where ``monitor serve`` listens by default.
DEFAULT_SERVER_URL: Final = "http://127.0.0.1:8765"
#: The stream's path on a Monitor server, below the server's root URL.
MONITOR_STREAM_PATH: Final = "/api/tasks/stream"
#: The name of the profile a migrated (or brand-new) settings file gets.
DEFAULT_PROFILE: Final = "default"
#: The name of the profile ``--server`` / ``--stream`` / ``--demo`` put in effect for one run;
#: it is never saved.
TEMPORARY_PROFILE: Final = "(command line)"


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


def monitor_stream_url(server_url: str) -> str:
    """The stream URL of the Monitor server at ``server_url`` (its root, maybe with a path prefix).

    Raises:
        ValueError: ``server_url`` is not a valid server URL (see :func:`validate_server_url`).
    """
    return validate_server_url(server_url) + MONITOR_STREAM_PATH


def stream_url_from_input(text: str) -> str:
    """The stream URL for what the user typed into a stream URL field.

    A URL with neither path nor query (``https://tasks.example.org``) can only mean a Monitor
    server's root, so :data:`MONITOR_STREAM_PATH` is appended; anything else is used as given.
    """
    text = text.strip()
    parts = urlsplit(text)
    if parts.path in ("", "/") and not parts.query and parts.scheme in ("http", "https"):
        return monitor_stream_url(text)
    return text


def server_url_of(profile: ConnectionProfile) -> str:
    """A profile's server for display and as the key of its token (see ``AppSettings.server_url``)."""
    url = profile.stream_url
    return url[: -len(MONITOR_STREAM_PATH)] if url.endswith(MONITOR_STREAM_PATH) else url


def _legacy_profile(server_url: Any, reconnect: Any) -> dict[str, Any]:
    """A profile (as data) for a pre-profile ``server_url`` + ``reconnect`` pair."""
    return {
        "name": DEFAULT_PROFILE,
        "stream_url": monitor_stream_url(str(server_url)),
        "reconnect": reconnect if reconnect is not None else {},
        "client_id": new_client_id(),
    }


def _default_profiles() -> list[ConnectionProfile]:
    return [ConnectionProfile(name=DEFAULT_PROFILE, stream_url=monitor_stream_url(DEFAULT_SERVER_URL))]


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


class ConfirmSettings(_Model):
    """Which task actions ask before they go (a "Don't ask again" box turns one off).

    Attributes:
        cancel: Cancel asks first (one task or many): cancelled work is gone.
        bulk: Any other action on more than one task, and the tray's Pause all / Resume all,
            asks first.
    """

    cancel: bool = True
    bulk: bool = True


class AppSettings(_Model):
    """What the user sets in the settings dialog."""

    schema_version: int = SCHEMA_VERSION
    #: The connection profiles (several may exist; one is in use: ``active_profile``).
    profiles: Annotated[list[ConnectionProfile], Field(min_length=1, max_length=64)] = Field(
        default_factory=_default_profiles
    )
    #: The name of the profile in use (the first profile when no profile has this name).
    active_profile: Annotated[str, Field(max_length=128)] = DEFAULT_PROFILE
    #: Name of an environment variable holding the token (CI, kiosks); the keyring is the default.
    token_env: Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    confirm: ConfirmSettings = Field(default_factory=ConfirmSettings)
    theme: Theme = Theme.SYSTEM
    start_minimised: bool = False
    close_to_tray: bool = True
    minimise_to_tray: bool = False
    do_not_disturb: bool = False
    #: Server messages kept in the messages view (the oldest go first).
    messages_limit: Annotated[int, Field(ge=10, le=100_000)] = 1000
    #: Tasks kept in the list: past it the oldest finished ones go (active ones never do).
    task_limit: Annotated[int, Field(ge=MIN_TASK_LIMIT, le=MAX_TASK_LIMIT)] = DEFAULT_TASK_LIMIT
    #: Days finished tasks are kept in the local history (0: no local history).
    history_days: Annotated[int, Field(ge=0, le=3650)] = 30
    #: Locale for translations ("" = the system's).
    language: Annotated[str, Field(max_length=16)] = ""

    @model_validator(mode="before")
    @classmethod
    def _accept_legacy_names(cls, data: Any) -> Any:
        """``server_url`` / ``reconnect`` (the pre-profile fields) set the active profile.

        Files are migrated by :func:`load_settings`; this keeps ``AppSettings(server_url=...)``
        and a top-level ``reconnect`` (what the settings dialog's Connection tab edits) working.
        """
        if not isinstance(data, dict) or not ({"server_url", "reconnect"} & data.keys()):
            return data
        data = dict(data)
        url, reconnect = data.pop("server_url", None), data.pop("reconnect", None)
        if not data.get("profiles"):
            data["profiles"] = [_legacy_profile(url or DEFAULT_SERVER_URL, reconnect)]
            data.setdefault("active_profile", DEFAULT_PROFILE)
            return data
        profiles = [p.model_dump() if isinstance(p, BaseModel) else dict(p) for p in data["profiles"]]
        names = [p.get("name", DEFAULT_PROFILE) for p in profiles]
        active = data.get("active_profile", DEFAULT_PROFILE)
        index = names.index(active) if active in names else 0
        if url is not None:
            profiles[index]["stream_url"] = monitor_stream_url(str(url))
        if reconnect is not None:
            profiles[index]["reconnect"] = reconnect
        data["profiles"] = profiles
        return data

    @field_validator("profiles")
    @classmethod
    def _unique_names(cls, value: list[ConnectionProfile]) -> list[ConnectionProfile]:
        names = [p.name for p in value]
        if len(set(names)) != len(names):
            raise ValueError("two connection profiles have the same name")
        return value

    @property
    def profile(self) -> ConnectionProfile:
        """The profile in use."""
        return next((p for p in self.profiles if p.name == self.active_profile), self.profiles[0])

    @property
    def active_profiles(self) -> list[ConnectionProfile]:
        """The profiles the app watches at once: those flagged ``active``, else :attr:`profile`."""
        return [p for p in self.profiles if p.active] or [self.profile]

    @property
    def server_url(self) -> str:
        """The active server, for display and as the key of its token and single-instance lock.

        A Monitor stream URL gives its server's root URL (what earlier versions stored, so tokens
        saved by them are still found); any other stream URL is itself.
        """
        return server_url_of(self.profile)

    @property
    def reconnect(self) -> ReconnectConfig:
        """The active profile's reconnect, heartbeat and polling timing."""
        return self.profile.reconnect

    def with_profile(self, profile: ConnectionProfile) -> AppSettings:
        """These settings with ``profile`` replacing the active one and made active."""
        index = self.profiles.index(self.profile)
        profiles = [*self.profiles[:index], profile, *self.profiles[index + 1 :]]
        return self.model_copy(update={"profiles": profiles, "active_profile": profile.name})

    def with_temporary_stream(self, stream_url: str) -> AppSettings:
        """These settings connected, for this run only, to ``stream_url`` (``--server``, ``--demo``).

        The temporary profile (:data:`TEMPORARY_PROFILE`) keeps the active profile's client id (the
        installation's identity) and reconnect timing; everything else is the default.

        Raises:
            ValueError: ``stream_url`` is not an http(s) URL.
        """
        base = self.profile
        try:
            temporary = ConnectionProfile(
                name=TEMPORARY_PROFILE,
                stream_url=stream_url,
                client_id=base.client_id,
                reconnect=base.reconnect,
                active=True,
            )
        except ValidationError as exc:
            raise ValueError(f"invalid stream URL {stream_url!r}: {exc.errors()[0]['msg']}") from None
        # For this run the temporary server is the only one watched (never saved: see below).
        profiles = [
            p.model_copy(update={"active": False}) for p in self.profiles if p.name != TEMPORARY_PROFILE
        ] + [temporary]
        return self.model_copy(update={"profiles": profiles, "active_profile": TEMPORARY_PROFILE})

    def without_temporary(self, saved: AppSettings) -> AppSettings:
        """What to write to disk: these settings with ``saved``'s profiles if a temporary one is in use."""
        if not any(p.name == TEMPORARY_PROFILE for p in self.profiles):
            return self
        return self.model_copy(update={"profiles": saved.profiles, "active_profile": saved.active_profile})


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

    @field_validator("column_widths", mode="before")
    @classmethod
    def _clamp_widths(cls, value: Any) -> Any:
        # A width saved while a long name or stage had widened its column (30,702 px, issue 13
        # item 7) is clamped, rather than dropped with a warning about an invalid value.
        if not isinstance(value, dict):
            return value
        return {
            key: min(max(width, 0), 10000) if type(width) is int else width for key, width in value.items()
        }

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
        upgraded: The value holds something the file did not (the file is missing, was written
            by an older version, or lacked a generated value such as a client id): save it, so
            that the next load gives the same value.
    """

    __slots__ = ("upgraded", "value", "warning")

    def __init__(self, value: _M, warning: str | None, *, upgraded: bool = False) -> None:
        self.value = value
        self.warning = warning
        self.upgraded = upgraded


#: Rewrites a file's JSON object in place before validation; returns (changed?, warnings).
_Upgrade = Callable[[dict[str, Any]], tuple[bool, list[str]]]


def _upgrade_settings(raw: dict[str, Any]) -> tuple[bool, list[str]]:
    """Migrate a settings file's object to the current schema (see the module docstring)."""
    changed, warnings = False, []
    if "server_url" in raw or "reconnect" in raw:
        changed = True
        url, reconnect = raw.pop("server_url", DEFAULT_SERVER_URL), raw.pop("reconnect", None)
        try:
            monitor_stream_url(str(url))
        except ValueError:
            warnings.append("invalid value for server_url; reset to default")
            url = DEFAULT_SERVER_URL
        if not raw.get("profiles"):
            raw["profiles"] = [_legacy_profile(url, reconnect)]
            raw.setdefault("active_profile", DEFAULT_PROFILE)
    for profile in raw.get("profiles") or ():
        if isinstance(profile, dict) and not (profile.get("client_id") or profile.get("clientId")):
            profile["client_id"] = new_client_id()  # generated once, then saved
            changed = True
    changed = _flag_active(raw) or changed
    return changed, warnings


def _flag_active(raw: dict[str, Any]) -> bool:
    """Schema 2 -> 3: the profile in use becomes the one ``active`` profile (True: changed)."""
    profiles = [p for p in raw.get("profiles") or () if isinstance(p, dict)]
    if not profiles or any("active" in p for p in profiles):
        return False
    names = [p.get("name", DEFAULT_PROFILE) for p in profiles]
    wanted = raw.get("active_profile", DEFAULT_PROFILE)
    profiles[names.index(wanted) if wanted in names else 0]["active"] = True
    return True


def _load(path: Path, model: type[_M], upgrade: _Upgrade | None = None) -> LoadResult[_M]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(model(), None, upgraded=upgrade is not None)
    except (OSError, UnicodeDecodeError) as exc:
        # Not upgraded: an unreadable file is not overwritten behind the user's back.
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
    upgraded, notes = upgrade(raw) if upgrade is not None else (False, [])
    value, reset = _validate_keeping_good(model, raw)
    if value is None:
        return _fallback(model, f"{path} has invalid settings; using defaults")
    if reset:
        notes.append(f"invalid value for {', '.join(reset)}; reset to default")
    if notes:  # a file with errors is not rewritten behind the user's back
        return _warn(LoadResult(value, f"{path}: {'; '.join(notes)}"))
    return LoadResult(value, None, upgraded=upgraded)


def _validate_keeping_good(model: type[_M], raw: dict[str, Any]) -> tuple[_M | None, list[str]]:
    """Validate ``raw``, resetting only the values that are broken (the innermost key named by
    each error), so one bad heartbeat in a profile costs neither the profile's server URL nor
    the user's other choices. Returns the model (None if nothing helps) and the reset paths."""
    reset: list[str] = []
    for _ in range(8):  # each round removes at least one key; a few rounds settle any real file
        try:
            return model.model_validate(raw), reset
        except ValidationError as exc:
            removed = [p for err in exc.errors() if (p := _remove_at(raw, err["loc"]))]
            if not removed:
                return None, reset
            reset += [p for p in removed if p not in reset]
    return None, reset


def _remove_at(raw: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """Delete the value at ``loc`` (the deepest key present); returns its dotted path or ""."""
    node: Any = raw
    for depth, key in enumerate(loc):
        last = depth == len(loc) - 1
        if isinstance(node, dict) and key in node:
            if last or not isinstance(node[key], dict | list):
                del node[key]
                return ".".join(map(str, loc[: depth + 1]))
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            if last:
                del node[key]
                return ".".join(map(str, loc[: depth + 1]))
            node = node[key]
        elif depth > 0:  # the key is spelled another way here (an alias): drop what holds it
            return _remove_at(raw, loc[:depth])
        else:
            return ""
    return ""


def _fallback(model: type[_M], message: str) -> LoadResult[_M]:
    return _warn(LoadResult(model(), message))


def _warn(result: LoadResult[_M]) -> LoadResult[_M]:
    _log.warning("%s", result.warning)
    return result


def load_settings(path: str | os.PathLike[str]) -> LoadResult[AppSettings]:
    """Load :class:`AppSettings` from ``path``, migrating older files; never raises (module docstring)."""
    return _load(Path(path), AppSettings, _upgrade_settings)


def load_ui_state(path: str | os.PathLike[str]) -> LoadResult[UiState]:
    """Load :class:`UiState` from ``path``; never raises."""
    return _load(Path(path), UiState)


def save_model(model: BaseModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` as JSON to ``path`` atomically, creating the folder if needed.

    Raises:
        OSError: If the folder cannot be created or written; the old file is then untouched.
    """
    write_text_atomic(path, model.model_dump_json(indent=2))
