"""Client configuration: seed 000's options with its names and defaults, in Python spelling.

Durations are milliseconds, as in the seed. Validated with pydantic so that a bad value fails at
start-up with a message naming the field, not in the middle of a reconnect loop.
"""

from __future__ import annotations

import os
import ssl
import uuid
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ClientConfig", "request_headers", "ssl_context"]

_Ms = Annotated[int, Field(ge=0, le=24 * 3600 * 1000)]


class ClientConfig(BaseModel):
    """Everything the engine and the command sender need.

    The first block is seed 000's ``SSEConfig`` (``reconnectInterval`` -> ``reconnect_interval``...);
    camelCase names are accepted too. The second block is ours.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    url: str
    with_credentials: bool = True
    reconnect: bool = True
    reconnect_interval: _Ms = Field(default=1000, alias="reconnectInterval")
    reconnect_decay: Annotated[float, Field(ge=1.0, le=10.0)] = Field(default=1.5, alias="reconnectDecay")
    max_reconnect_interval: _Ms = Field(default=30000, alias="maxReconnectInterval")
    max_reconnect_attempts: Annotated[int, Field(ge=0)] | None = Field(
        default=None, alias="maxReconnectAttempts"
    )
    heartbeat_interval: Annotated[int, Field(ge=1, le=24 * 3600 * 1000)] = Field(
        default=30000, alias="heartbeatInterval"
    )
    heartbeat_timeout: Annotated[int, Field(ge=1, le=24 * 3600 * 1000)] = Field(
        default=10000, alias="heartbeatTimeout"
    )
    message_queue_size: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=100, alias="messageQueueSize"
    )
    enable_dedup: bool = Field(default=True, alias="enableDedup")
    fallback_to_polling: bool = Field(default=True, alias="fallbackToPolling")
    polling_interval: Annotated[int, Field(ge=50, le=24 * 3600 * 1000)] = Field(
        default=5000, alias="pollingInterval"
    )
    client_id: Annotated[str, Field(min_length=1, max_length=128)] = Field(
        default_factory=lambda: f"monitor-{uuid.uuid4().hex[:12]}", alias="clientId"
    )
    auth_token: str | None = Field(default=None, alias="authToken")
    connection_timeout: Annotated[int, Field(ge=1, le=600_000)] = Field(
        default=10000, alias="connectionTimeout"
    )
    headers: dict[str, str] = Field(default_factory=dict)

    # ours
    #: Fraction of each backoff delay added at random.
    jitter: Annotated[float, Field(ge=0, le=1)] = 0.3
    #: ms a connection must stay up before the backoff resets.
    stable_after: _Ms = 60000
    #: Also send ``lastEventId`` as a query parameter on reconnect (seed 000's server reads it there).
    send_last_event_id_query: bool = False
    #: Allow ``token=`` in the URL (seed 004's server); off: tokens only in the Authorization header.
    allow_token_in_query: bool = False
    #: Verify TLS certificates.
    verify: bool = True
    #: A CA bundle file instead of the system's.
    ca_bundle: str | None = None
    #: Polling endpoint; default: the stream URL with ``/stream`` replaced by ``/poll`` (seed 000).
    poll_url: str | None = None
    #: Snapshot endpoint; default: the stream URL without ``/stream``.
    snapshot_url: str | None = None
    #: While polling, try the stream again this often (ms).
    probe_interval: Annotated[int, Field(ge=100)] = 30000
    #: How many recent message ids are remembered for dedup.
    dedup_window: Annotated[int, Field(ge=1, le=1_000_000)] = 2048
    #: Largest accepted SSE line and event (bytes).
    max_line_bytes: Annotated[int, Field(ge=1024)] = 1 << 20
    max_event_bytes: Annotated[int, Field(ge=1024)] = 8 << 20

    @field_validator("url", "poll_url", "snapshot_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @property
    def read_timeout_s(self) -> float:
        """Silence after which a stream is dead: heartbeat interval + heartbeat timeout."""
        return (self.heartbeat_interval + self.heartbeat_timeout) / 1000.0

    def _sibling(self, replace_with: str) -> str:
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/")
        if path.endswith("/stream"):
            path = path[: -len("/stream")] + replace_with
        elif path.endswith("/sse"):
            path = path[: -len("/sse")] + "/api/tasks" + replace_with
        else:
            path = path + replace_with
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    @property
    def resolved_poll_url(self) -> str:
        """Where the polling fallback asks."""
        return self.poll_url or self._sibling("/poll")

    @property
    def resolved_snapshot_url(self) -> str:
        """Where the snapshot is fetched."""
        return self.snapshot_url or self._sibling("")

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` of the stream URL (commands and messages go there)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


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
    file would make every connection fail, so it falls back to certifi's bundle then.
    """
    if not config.verify:
        return False
    if config.ca_bundle:
        return ssl.create_default_context(cafile=config.ca_bundle)
    env_file = os.environ.get("SSL_CERT_FILE")
    if env_file and os.path.isfile(env_file):
        return ssl.create_default_context(cafile=env_file)
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi ships with httpx
        return ssl.create_default_context()
