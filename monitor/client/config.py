"""Client configuration: a connection profile plus what only the client process decides.

The profile (:class:`~monitor.core.profile.ConnectionProfile`) holds the URLs, resume mode,
client id, dialect and the reconnect timing (:class:`~monitor.core.profile.ReconnectConfig`, the
one model the settings use too). ``ClientConfig`` adds the secret (token), extra headers, TLS and
limits. Durations are milliseconds, as in seed 000. Validated with pydantic so that a bad value
fails at start-up with a message naming the field, not in the middle of a reconnect loop.

Flat keyword arguments in seed 000's spelling are still accepted (``ClientConfig(url=...,
reconnect_interval=250)``, ``{"url": ..., "reconnectInterval": 250}``): they are moved into the
profile before validation, so there is one definition of each field.
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.core.profile import ConnectionProfile, ReconnectConfig, ResumeMode

__all__ = ["ClientConfig", "is_event_stream", "request_headers", "ssl_context"]

#: Flat (seed-style) names -> the profile's reconnect field.
_RECONNECT_KEYS: Final = {
    "reconnect": "reconnect",
    "reconnect_interval": "reconnect_interval_ms",
    "reconnectInterval": "reconnect_interval_ms",
    "reconnect_decay": "reconnect_decay",
    "reconnectDecay": "reconnect_decay",
    "max_reconnect_interval": "max_reconnect_interval_ms",
    "maxReconnectInterval": "max_reconnect_interval_ms",
    "max_reconnect_attempts": "max_reconnect_attempts",
    "maxReconnectAttempts": "max_reconnect_attempts",
    "heartbeat_interval": "heartbeat_interval_ms",
    "heartbeatInterval": "heartbeat_interval_ms",
    "heartbeat_timeout": "heartbeat_timeout_ms",
    "heartbeatTimeout": "heartbeat_timeout_ms",
    "fallback_to_polling": "fallback_to_polling",
    "fallbackToPolling": "fallback_to_polling",
    "polling_interval": "polling_interval_ms",
    "pollingInterval": "polling_interval_ms",
    "connection_timeout": "connection_timeout_ms",
    "connectionTimeout": "connection_timeout_ms",
    "jitter": "jitter",
    "stable_after": "stable_after_ms",
    "probe_interval": "probe_interval_ms",
    "poll_after_failures": "poll_after_failures",
}
#: Flat names -> the profile's field.
_PROFILE_KEYS: Final = {
    "url": "stream_url",
    "api_base": "api_base",
    "poll_url": "poll_url",
    "snapshot_url": "snapshot_url",
    "commands_url": "commands_url",
    "client_id": "client_id",
    "clientId": "client_id",
    "allow_token_in_query": "token_in_query",
    "resume": "resume",
    "dialect": "dialect",
}


class ClientConfig(BaseModel):
    """Everything the engine and the command sender need: a profile, the token, headers, TLS, limits."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    profile: ConnectionProfile
    auth_token: str | None = Field(default=None, alias="authToken")
    headers: dict[str, str] = Field(default_factory=dict)
    message_queue_size: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=100, alias="messageQueueSize"
    )
    enable_dedup: bool = Field(default=True, alias="enableDedup")
    #: How many recent ids are remembered for dedup (opaque ids only: ordered ids need no window).
    dedup_window: Annotated[int, Field(ge=1, le=1_000_000)] = 2048
    #: Verify TLS certificates.
    verify: bool = True
    #: A CA bundle file instead of the system's.
    ca_bundle: str | None = None
    #: Largest accepted SSE line and event (bytes).
    max_line_bytes: Annotated[int, Field(ge=1024)] = 1 << 20
    max_event_bytes: Annotated[int, Field(ge=1024)] = 8 << 20

    @model_validator(mode="before")
    @classmethod
    def _lift_flat_names(cls, data: Any) -> Any:
        """Move seed-style flat keys into ``profile`` / ``profile.reconnect``."""
        if not isinstance(data, dict) or not any(k in data for k in (*_PROFILE_KEYS, *_RECONNECT_KEYS)):
            return data
        data = dict(data)
        given = data.pop("profile", None)
        profile: dict[str, Any] = (
            given.model_dump() if isinstance(given, ConnectionProfile) else dict(given or {})
        )
        reconnect = profile.get("reconnect", {})
        reconnect = reconnect.model_dump() if isinstance(reconnect, ReconnectConfig) else dict(reconnect)
        for key, target in _RECONNECT_KEYS.items():
            if key in data:
                reconnect[target] = data.pop(key)
        for key, target in _PROFILE_KEYS.items():
            if key in data:
                profile[target] = data.pop(key)
        if data.pop("send_last_event_id_query", False):
            profile["resume"] = ResumeMode.HEADER_AND_QUERY
        profile["reconnect"] = reconnect
        data["profile"] = profile
        return data

    @property
    def url(self) -> str:
        """The stream URL, as the user gave it (fragment dropped)."""
        return self.profile.stream_url

    @property
    def client_id(self) -> str:
        """The profile's client id."""
        return self.profile.client_id

    @property
    def reconnect(self) -> ReconnectConfig:
        """The reconnect, heartbeat and polling timing."""
        return self.profile.reconnect

    @property
    def connection_timeout(self) -> int:
        """ms from connect to response headers (seed ``connectionTimeout``)."""
        return self.profile.reconnect.connection_timeout_ms

    @property
    def read_timeout_s(self) -> float:
        """Silence after which a stream is dead: heartbeat interval + heartbeat timeout."""
        return self.profile.reconnect.read_timeout_s

    @property
    def resolved_poll_url(self) -> str:
        """Where the polling fallback asks."""
        return self.profile.resolved_poll_url

    @property
    def resolved_snapshot_url(self) -> str:
        """Where the snapshot is fetched."""
        return self.profile.resolved_snapshot_url

    @property
    def resolved_commands_url(self) -> str:
        """Where commands are posted."""
        return self.profile.resolved_commands_url

    @property
    def base_url(self) -> str:
        """The commands URL without its last segment (``.../api/commands`` -> ``...``).

        Kept for callers that append ``/api/commands`` themselves; prefer
        :attr:`resolved_commands_url`, which keeps the URL's query too.
        """
        url = self.profile.resolved_commands_url.split("?", 1)[0]
        return url[: -len("/api/commands")] if url.endswith("/api/commands") else url.rpartition("/")[0]


def is_event_stream(content_type: str | None) -> bool:
    """Whether a Content-Type is ``text/event-stream`` (case-insensitive, parameters allowed)."""
    return (content_type or "").split(";", 1)[0].strip().lower() == "text/event-stream"


def request_headers(config: ClientConfig, token: str | None, **extra: str) -> dict[str, str]:
    """Headers for one request, built fresh: client id, the caller's headers, bearer token, extras.

    The caller's ``config.headers`` dict is copied, never changed.
    """
    headers = {"X-Client-Id": config.client_id, **config.headers, **extra}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def ssl_context(config: ClientConfig) -> ssl.SSLContext | bool:
    """TLS verification setting for httpx.

    These machines export ``SSL_CERT_FILE``, which httpx honours; a value pointing at a missing
    file would make every connection fail, so it falls back to certifi's bundle then. Contexts
    are shared per CA file (see :func:`_verifying_context`).
    """
    if not config.verify:
        return False
    if config.ca_bundle:
        return _verifying_context(config.ca_bundle)
    env_file = os.environ.get("SSL_CERT_FILE")
    if env_file and os.path.isfile(env_file):
        return _verifying_context(env_file)
    try:
        import certifi

        return _verifying_context(certifi.where())
    except ImportError:  # pragma: no cover - certifi ships with httpx
        return ssl.create_default_context()


def _verifying_context(cafile: str) -> ssl.SSLContext:
    """One verifying context per CA file and its version (size, mtime), shared by every client.

    Loading a CA bundle (``load_verify_locations``) was the largest single cost of the app's
    start (about 30 ms a time on a quiet machine, three clients: stream, commands, capabilities).
    A changed file is read again; httpx only reads a context it is given.
    """
    try:
        st = os.stat(cafile)
        version = (st.st_size, st.st_mtime_ns)
    except OSError:  # let ssl report the missing file, as before
        version = (-1, -1)
    return _context_for(cafile, version)


@functools.lru_cache(maxsize=8)
def _context_for(cafile: str, _version: tuple[int, int]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)
