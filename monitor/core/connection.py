"""Connection states shared by the streaming engine, the Qt service and the UI.

Kept in ``monitor.core`` so that the UI (which may not import the client engine) and the engine
speak of the same states without either importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ConnectionState", "ConnectionStatus", "FailureKind"]


class ConnectionState(StrEnum):
    """Where the stream is. Seed 000's states plus ``polling`` (its fallback mode)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    POLLING = "polling"
    FAILED = "failed"


class FailureKind(StrEnum):
    """Why the engine stopped for good (state ``failed``) or why the last attempt failed."""

    NONE = "none"
    NETWORK = "network"  # connect/read error, retried
    SERVER = "server"  # 408/429/5xx, retried
    HEARTBEAT = "heartbeat"  # silence longer than heartbeat interval + timeout, retried
    AUTH = "auth"  # 401/403: "authentication failed", not retried
    NOT_A_STREAM = "not_a_stream"  # 404/410 or a wrong content type, not retried
    STOPPED = "stopped"  # 204: the server asked us to stop
    EXHAUSTED = "exhausted"  # reconnect attempts ran out (polling may take over)
    PROTOCOL = "protocol"  # oversized line/event, broken framing, retried


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """One announced state change.

    Attributes:
        state: The new state.
        previous: The state before.
        reason: Human-readable why (plain text; may quote a server message).
        failure: Machine-readable why, for the indicator and exit codes.
        attempt: Reconnect attempt number (0 while connected).
        next_attempt_at: While waiting: Unix time (seconds) of the next attempt, else None.
        since: Unix time this state was entered.
        http_status: The HTTP status that caused the change, if any.
    """

    state: ConnectionState
    previous: ConnectionState
    reason: str
    failure: FailureKind = FailureKind.NONE
    attempt: int = 0
    next_attempt_at: float | None = None
    since: float = 0.0
    http_status: int | None = None
