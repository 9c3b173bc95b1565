"""Server counters and their Prometheus text exposition (``GET /metrics``).

Plain integers bumped on the event loop: no locks, no client library dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["Metrics"]

_HELP: dict[str, tuple[str, str]] = {
    "connections_total": ("counter", "SSE streams opened"),
    "connections_rejected_total": ("counter", "SSE streams refused because the server was full"),
    "events_published_total": ("counter", "Events appended to the log and fanned out"),
    "events_delivered_total": ("counter", "Event frames queued to streams (live fan-out)"),
    "replays_total": ("counter", "Streams that resumed from a cursor"),
    "replayed_events_total": ("counter", "Events sent from the log during replays"),
    "resets_total": ("counter", "reset events sent for unknown or trimmed cursors"),
    "slow_consumer_drops_total": ("counter", "Streams disconnected because their send queue overflowed"),
    "heartbeats_total": ("counter", "Heartbeat ticks of the shared timer"),
    "shutdown_notices_total": ("counter", "shutdown events sent to streams"),
    "auth_failures_total": ("counter", "Requests refused with 401"),
    "idempotent_replays_total": ("counter", "POSTs answered from the idempotency cache"),
    "body_timeouts_total": ("counter", "Requests answered 408 because their body arrived too slowly"),
}


@dataclass
class Metrics:
    """Counters; ``connections`` (a gauge) is read from the hub when rendering."""

    connections_total: int = 0
    connections_rejected_total: int = 0
    events_published_total: int = 0
    events_delivered_total: int = 0
    replays_total: int = 0
    replayed_events_total: int = 0
    resets_total: int = 0
    slow_consumer_drops_total: int = 0
    heartbeats_total: int = 0
    shutdown_notices_total: int = 0
    auth_failures_total: int = 0
    idempotent_replays_total: int = 0
    body_timeouts_total: int = 0

    def render(self, *, connections: int, prefix: str = "monitor_") -> str:
        """Prometheus text format (version 0.0.4)."""
        lines = [
            f"# HELP {prefix}connections Open SSE streams",
            f"# TYPE {prefix}connections gauge",
            f"{prefix}connections {connections}",
        ]
        for f in fields(self):
            kind, text = _HELP[f.name]
            lines += [
                f"# HELP {prefix}{f.name} {text}",
                f"# TYPE {prefix}{f.name} {kind}",
                f"{prefix}{f.name} {getattr(self, f.name)}",
            ]
        return "\n".join(lines) + "\n"
