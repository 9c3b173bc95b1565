"""Server counters and their Prometheus text exposition (``GET /metrics``).

Plain integers bumped on the event loop: no locks, no client library dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

__all__ = ["Metrics"]


def _counter(help_text: str) -> int:
    # A counter field: starts at 0; its ``# HELP`` text travels with it, so a counter is named once.
    return field(default=0, metadata={"help": help_text})


def _family(name: str, kind: str, help_text: str, value: int) -> list[str]:
    # One metric in the text format: HELP, TYPE and the sample.
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"]


@dataclass
class Metrics:
    """Counters; ``connections`` (a gauge) is read from the hub when rendering."""

    connections_total: int = _counter("SSE streams opened")
    connections_rejected_total: int = _counter("SSE streams refused because the server was full")
    events_published_total: int = _counter("Events appended to the log and fanned out")
    events_delivered_total: int = _counter("Event frames queued to streams (live fan-out)")
    replays_total: int = _counter("Streams that resumed from a cursor")
    replayed_events_total: int = _counter("Events sent from the log during replays")
    resets_total: int = _counter("reset events sent for unknown or trimmed cursors")
    slow_consumer_drops_total: int = _counter("Streams disconnected because their send queue overflowed")
    heartbeats_total: int = _counter("Heartbeat ticks of the shared timer")
    shutdown_notices_total: int = _counter("shutdown events sent to streams")
    auth_failures_total: int = _counter("Requests refused with 401")
    idempotent_replays_total: int = _counter("POSTs answered from the idempotency cache")
    body_timeouts_total: int = _counter("Requests answered 408 because their body arrived too slowly")

    def render(self, *, connections: int, prefix: str = "monitor_") -> str:
        """Prometheus text format (version 0.0.4)."""
        lines = _family(f"{prefix}connections", "gauge", "Open SSE streams", connections)
        for f in fields(self):
            lines += _family(f"{prefix}{f.name}", "counter", f.metadata["help"], getattr(self, f.name))
        return "\n".join(lines) + "\n"
