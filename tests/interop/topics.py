"""The event log behind the third-party stand-ins (sse-starlette, aiohttp-sse): per-topic lists
with live subscribers, and the ``python -m`` entry both share. Ids are made by each app, so each
can use the id shape its library is commonly used with.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

__all__ = ["Event", "TopicLog", "bind_from_args"]


@dataclass(frozen=True)
class Event:
    """One published event."""

    id: str
    type: str
    data: str


@dataclass
class TopicLog:
    """Published events per topic, and the queues of the streams that follow each topic."""

    make_id: Callable[[str, int], str]
    events: dict[str, list[Event]] = field(default_factory=dict)
    followers: dict[str, set[asyncio.Queue[Event]]] = field(default_factory=dict)

    def publish(self, topic: str, type_: str, data: str) -> Event:
        """Append an event to ``topic`` and hand it to every live stream of the topic."""
        log = self.events.setdefault(topic, [])
        event = Event(self.make_id(topic, len(log) + 1), type_, data)
        log.append(event)
        for q in self.followers.get(topic, ()):
            q.put_nowait(event)
        return event

    async def follow(self, topic: str, last_event_id: str | None) -> AsyncIterator[Event]:
        """What follows ``last_event_id`` (nothing old without one), then live events, forever."""
        q: asyncio.Queue[Event] = asyncio.Queue()
        self.followers.setdefault(topic, set()).add(q)
        try:
            log = list(self.events.get(topic, ()))
            ids = [e.id for e in log]
            start = ids.index(last_event_id) + 1 if last_event_id in ids else len(log)
            for event in log[start:]:
                yield event
            while True:
                yield await q.get()
        finally:
            self.followers[topic].discard(q)


def bind_from_args() -> socket.socket:
    """Parse ``--port`` and bind 127.0.0.1 on it (before the parent is told the server listens)."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    return sock
