"""Connection profiles: how to talk to one server (URLs, auth, resume, dialect).

The profile model itself is being built (issue 10); this module starts with the dialect enum that
the engine, the command sender and the UI agree on.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ServerDialect"]


class ServerDialect(StrEnum):
    """Which family of server a profile talks to; decides envelopes and optional features.

    Seed compatibility lives here, at the edge, not in every layer.
    """

    MONITOR = "monitor"  # monitor serve: epochs, snapshot, poll, commands with acks over the stream
    SEED004 = "seed004"  # seed 004's Express server: /sse, CommandMessage envelope, {commandId, success} acks
    SEED000 = "seed000"  # seed 000's FastAPI backend: /stream + /poll, lastEventId query, integer ids
    GENERIC = "generic"  # any SSE server: opaque ids, no commands unless configured
