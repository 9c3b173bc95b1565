"""Connection profiles: how to talk to one server (URLs, auth, resume, reconnect, dialect).

Pure pydantic, shared by the engine (``monitor.client``), the settings (``monitor.core.settings``)
and the UI. One profile = the stream URL exactly as the user gave it, the API endpoints derived
from it (each overridable), where the token goes, a client id, how a reconnect resumes, the
reconnect/polling timing and the server's dialect. :class:`Capabilities` is what discovery found
the server can do.

URL rules (issue 10): the stream URL is used as given (path and query; the fragment is dropped).
Derived URLs keep a path prefix and the stream URL's query; query parameters the client adds are
merged into the URL's own query, never replacing it (:func:`merge_query`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from monitor.core.backoff import ReconnectPolicy

__all__ = [
    "Capabilities",
    "ConnectionProfile",
    "ReconnectConfig",
    "ResumeMode",
    "ServerDialect",
    "merge_query",
    "new_client_id",
]

_Ms = Annotated[int, Field(ge=0, le=24 * 3600 * 1000)]


class ServerDialect(StrEnum):
    """Which family of server a profile talks to; decides envelopes and optional features.

    Seed compatibility lives here, at the edge, not in every layer.
    """

    MONITOR = "monitor"  # monitor serve: epochs, snapshot, poll, commands with acks over the stream
    SEED004 = "seed004"  # seed 004's Express server: /sse, CommandMessage envelope, {commandId, success} acks
    SEED000 = "seed000"  # seed 000's FastAPI backend: /stream + /poll, lastEventId query, integer ids
    GENERIC = "generic"  # any SSE server: opaque ids, no commands unless configured


class ResumeMode(StrEnum):
    """How a reconnect tells the server where to resume."""

    HEADER = "header"  # the ``Last-Event-ID`` header only (the SSE standard)
    HEADER_AND_QUERY = "query"  # the header plus a query parameter (seed 000's backend reads only that)
    AUTO = "auto"  # the header; switch to header + query once the server replays from the start


class ReconnectConfig(BaseModel):
    """Seed 000's reconnect/heartbeat/polling parameters (milliseconds, as in the seed), plus ours.

    The one definition used by the user's settings (``AppSettings.reconnect``) and the engine
    (``ClientConfig.profile.reconnect``). The JSON accepts seed 000's camelCase names too.
    """

    # Unknown keys are ignored so that a settings file written by a newer version still loads.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, validate_assignment=True)

    reconnect: bool = True
    reconnect_interval_ms: _Ms = Field(
        default=1000, validation_alias=AliasChoices("reconnect_interval_ms", "reconnectInterval")
    )
    reconnect_decay: Annotated[float, Field(ge=1.0, le=10.0, allow_inf_nan=False)] = Field(
        default=1.5, validation_alias=AliasChoices("reconnect_decay", "reconnectDecay")
    )
    max_reconnect_interval_ms: _Ms = Field(
        default=30000, validation_alias=AliasChoices("max_reconnect_interval_ms", "maxReconnectInterval")
    )
    #: None means "no limit" (the seed's ``Infinity``).
    max_reconnect_attempts: Annotated[int, Field(ge=0)] | None = Field(
        default=None, validation_alias=AliasChoices("max_reconnect_attempts", "maxReconnectAttempts")
    )
    #: Both heartbeat values are at least 1 ms: their sum is the stream's read timeout.
    heartbeat_interval_ms: Annotated[int, Field(ge=1, le=24 * 3600 * 1000)] = Field(
        default=30000, validation_alias=AliasChoices("heartbeat_interval_ms", "heartbeatInterval")
    )
    heartbeat_timeout_ms: Annotated[int, Field(ge=1, le=24 * 3600 * 1000)] = Field(
        default=10000, validation_alias=AliasChoices("heartbeat_timeout_ms", "heartbeatTimeout")
    )
    fallback_to_polling: bool = Field(
        default=True, validation_alias=AliasChoices("fallback_to_polling", "fallbackToPolling")
    )
    polling_interval_ms: Annotated[int, Field(ge=50, le=24 * 3600 * 1000)] = Field(
        default=5000, validation_alias=AliasChoices("polling_interval_ms", "pollingInterval")
    )
    #: Bounds the time from connect to the response headers (not only the TCP connect).
    connection_timeout_ms: Annotated[int, Field(ge=50, le=600_000)] = Field(
        default=10000, validation_alias=AliasChoices("connection_timeout_ms", "connectionTimeout")
    )
    #: Fraction of each backoff delay added at random.
    jitter: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.3
    #: ms a connection must stay up (and deliver an event) before the backoff resets; 5 s, not
    #: 60: a proxy cutting streams every 30 s kept clients at the maximum delay (docs/client.md).
    stable_after_ms: _Ms = 5000
    #: Consecutive stream failures after which polling takes over (when the poll endpoint answers).
    poll_after_failures: Annotated[int, Field(ge=1, le=1000)] = 3
    #: While polling, try the stream again this often (ms).
    probe_interval_ms: Annotated[int, Field(ge=100, le=24 * 3600 * 1000)] = 30000

    @property
    def read_timeout_s(self) -> float:
        """Silence after which a stream is dead: heartbeat interval + heartbeat timeout."""
        return (self.heartbeat_interval_ms + self.heartbeat_timeout_ms) / 1000.0

    def backoff(self) -> ReconnectPolicy:
        """A fresh reconnect policy with this timing (the one place the fields map to it)."""
        return ReconnectPolicy(
            reconnect_interval=self.reconnect_interval_ms,
            reconnect_decay=self.reconnect_decay,
            max_interval=self.max_reconnect_interval_ms,
            max_attempts=self.max_reconnect_attempts,
            jitter=self.jitter,
            stable_after=self.stable_after_ms,
        )


def new_client_id() -> str:
    """A fresh client id (generate once per installation and profile, then persist it)."""
    return f"monitor-{uuid.uuid4().hex[:12]}"


def _check_url(value: str | None) -> str | None:
    if value is None:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))  # fragment-free


def merge_query(url: str, extra: Mapping[str, str]) -> str:
    """``url`` with ``extra`` query parameters merged into its own query.

    The URL's own parameters are kept, in order; a name in ``extra`` replaces the URL's
    parameter of that name (the client's cursor is newer than a stale one typed by the user).
    httpx's ``params=`` would replace the whole query instead, so the engine never uses it.
    """
    if not extra:
        return url
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    pairs += list(extra.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


class ConnectionProfile(BaseModel):
    """Everything about one server connection that the user chooses.

    Attributes:
        name: Shown in the UI.
        stream_url: The SSE endpoint, used exactly as given (path and query).
        api_base: Base of the REST endpoints; default: derived from the stream URL
            (``.../api/tasks/stream`` -> ``.../api``; otherwise the stream's folder + ``/api``).
        snapshot_url, poll_url, commands_url: Each endpoint, overriding the derivation.
        token_in_query: Also send the token as a query parameter (seed 004's server reads it
            there). Off by default: a URL ends up in logs and proxies; see :meth:`warnings`.
        token_query_name: The query parameter's name.
        client_id: Stable per installation and profile (the caller generates it once with
            :func:`new_client_id` and persists it).
        resume: How a reconnect says where to resume (:class:`ResumeMode`).
        resume_query_name: The query parameter for header + query resumes.
        dialect: The server family (default: Monitor's own protocol; discovery says what a
            server lacks and the UI offers only what it has).
        reconnect: Reconnect, heartbeat and polling timing.
        active: Watched by the desktop app (several profiles may be active at once; when none
            is, the app watches ``AppSettings.active_profile``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    #: No control characters: the name is also the server's part of a task's id in a table
    #: merged from several servers (``monitor.core.servers``), after a control-character separator.
    name: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")] = "default"
    stream_url: str
    api_base: str | None = None
    snapshot_url: str | None = None
    poll_url: str | None = None
    commands_url: str | None = None
    token_in_query: bool = False
    token_query_name: Annotated[str, Field(min_length=1, max_length=64)] = "token"
    client_id: Annotated[str, Field(min_length=1, max_length=128)] = Field(
        default_factory=new_client_id, validation_alias=AliasChoices("client_id", "clientId")
    )
    resume: ResumeMode = ResumeMode.AUTO
    resume_query_name: Annotated[str, Field(min_length=1, max_length=64)] = "lastEventId"
    dialect: ServerDialect = ServerDialect.MONITOR
    reconnect: ReconnectConfig = Field(default_factory=ReconnectConfig)
    active: bool = False

    @field_validator("stream_url", "api_base", "snapshot_url", "poll_url", "commands_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _check_url(value)

    @property
    def resolved_api_base(self) -> str:
        """The REST base: ``api_base``, or derived from the stream URL (prefix and query kept)."""
        if self.api_base:
            return self.api_base.rstrip("/") if "?" not in self.api_base else self.api_base
        path = urlsplit(self.stream_url).path.rstrip("/")
        if path.endswith("/tasks/stream"):
            return _with_path(self.stream_url, path[: -len("/tasks/stream")])
        return _with_path(self.stream_url, path.rpartition("/")[0] + "/api")

    def _api(self, suffix: str) -> str:
        base = self.resolved_api_base
        parts = urlsplit(base)
        return _with_path(base, parts.path.rstrip("/") + suffix)

    def _beside_stream(self, explicit: str | None, stream_tail: str, tail: str, api_suffix: str) -> str:
        # ``explicit`` if set; else, with no api_base, the stream URL with ``stream_tail`` swapped
        # for ``tail`` (when its path ends so); else the API base + ``api_suffix``.
        if explicit:
            return explicit
        path = urlsplit(self.stream_url).path.rstrip("/")
        if not self.api_base and path.endswith(stream_tail):
            return _with_path(self.stream_url, path[: -len(stream_tail)] + tail)
        return self._api(api_suffix)

    @property
    def resolved_snapshot_url(self) -> str:
        """Where the task snapshot is fetched (``/tasks/stream`` -> ``/tasks``)."""
        return self._beside_stream(self.snapshot_url, "/tasks/stream", "/tasks", "/tasks")

    @property
    def resolved_poll_url(self) -> str:
        """Where the polling fallback asks (seed 000: ``/stream`` -> ``/poll``)."""
        return self._beside_stream(self.poll_url, "/stream", "/poll", "/tasks/poll")

    @property
    def resolved_commands_url(self) -> str:
        """Where commands are posted (``<commands_url>/<id>`` asks for one command's status)."""
        return self.commands_url or self._api("/commands")

    def warnings(self) -> list[str]:
        """Plain-text warnings the UI and ``monitor watch`` show for this profile."""
        out: list[str] = []
        if self.token_in_query:
            out.append(
                f"the token is sent in the URL query ({self.token_query_name}=): URLs end up in server "
                "and proxy logs; use the Authorization header where the server supports it"
            )
        return out


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a server offers besides its stream, as discovered by probing its endpoints.

    Attributes:
        snapshot, poll, commands: Whether each endpoint answered.
        reasons: For each missing one (``"snapshot"``, ``"poll"``, ``"commands"``), a plain-text
            reason the UI shows instead of the action (e.g. "GET .../poll: HTTP 404").
    """

    snapshot: bool
    poll: bool
    commands: bool
    reasons: tuple[tuple[str, str], ...] = ()

    def reason(self, name: str) -> str:
        """Why ``name`` is unavailable ("" when it is available)."""
        return dict(self.reasons).get(name, "")
