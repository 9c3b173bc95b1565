"""Connection states shared by the streaming engine, the Qt service and the UI.

Kept in ``monitor.core`` so that the UI (which may not import the client engine) and the engine
speak of the same states without either importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ConnectionState", "ConnectionStatus", "FailureKind", "Resync", "ResyncReason"]


class ConnectionState(StrEnum):
    """Where the stream is. Seed 000's states plus ``polling`` (its fallback mode)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    POLLING = "polling"
    FAILED = "failed"

    @property
    def is_live(self) -> bool:
        """Data arrives (streaming or polling): what is shown is current."""
        return self in (ConnectionState.CONNECTED, ConnectionState.POLLING)


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


class ResyncReason(StrEnum):
    """Why the client's view of the task list must be rebuilt rather than patched."""

    EPOCH = "epoch"  # the server declared a new epoch (monitor serve: a restart, a fresh database)
    IDS_RESTARTED = "ids_restarted"  # ordered (numeric) ids went backwards: a new server lifetime
    RESET = "reset"  # the server sent a ``reset`` event
    REQUESTED = "requested"  # the user asked (F5 / Refresh all)


@dataclass(frozen=True, slots=True)
class Resync:
    """A new server lifetime (or an explicit request): the old task list no longer holds.

    Announced by the engine *before* the first event of the new lifetime is delivered. When
    ``snapshot_follows`` is true a full task list follows (``on_snapshot``) and replaces the old
    one; otherwise the old lifetime's rows are kept but marked as such, and events of the new
    lifetime replace them (never masked by the old rows, never dropped as duplicates).

    Attributes:
        reason: Why.
        snapshot_follows: Whether a snapshot of the new lifetime is on its way.
        detail: Plain-text detail for logs and tooltips (e.g. "epoch a1 -> b7", "id 3 after 2051").
    """

    reason: ResyncReason
    snapshot_follows: bool
    detail: str = ""
