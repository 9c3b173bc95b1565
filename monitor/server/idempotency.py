"""``Idempotency-Key``: a retried ``POST`` runs once, per principal, across restarts.

A key is scoped by (principal, client id, method, path, key) and remembered with a hash of the
request body. The same key with the same body replays the stored answer (``Idempotent-Replayed:
true``); the same key with another body is refused with ``422``. A duplicate that arrives while the
first request is still running waits for its answer, so racing retries execute once. 5xx answers
are not stored (the client may retry those).

Answers are kept ``ttl`` seconds, at most ``max_entries`` of them, in the server's SQLite file when
it has one (table ``idempotency``): the answer is committed before it is sent, so a key answered
once is replayed after a restart instead of running again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from monitor.server.identity import SqlTable
from monitor.server.log import LogWriteError
from monitor.server.stream import Send, send_error

__all__ = ["KEY_REUSED", "IdempotencyCache", "SharedAnswers", "StoredAnswer", "request_hash"]

#: The 422 answer to a key sent again with another request body.
KEY_REUSED = "Idempotency-Key already used with a different request body; use a new key for a new request"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, hash TEXT NOT NULL, status INTEGER NOT NULL,
    headers TEXT NOT NULL, body BLOB NOT NULL, expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency (expires);
"""
_PRUNE_EVERY = 64


def request_hash(body: bytes) -> str:
    """The fingerprint a key is stored with (SHA-256 of the body)."""
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A response kept for replay."""

    request_hash: str
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    expires: float


@dataclass
class _Running:
    request_hash: str
    done: asyncio.Future[StoredAnswer | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SharedAnswers(Protocol):
    """Stored answers shared by several replicas (Redis), each kept until its ``expires``."""

    def get(self, key: str) -> StoredAnswer | None:
        """The answer stored under ``key``, if any."""
        ...

    def put(self, key: str, answer: StoredAnswer) -> None:
        """Store ``answer`` under ``key`` until ``answer.expires``.

        Raises:
            LogWriteError: The store is unreachable.
        """
        ...


class IdempotencyCache:
    """Stored answers per scoped key (memory, or a SQLite table), plus the requests in flight."""

    def __init__(
        self,
        *,
        ttl: float = 300.0,
        max_entries: int = 10_000,
        table: SqlTable | None = None,
        flush: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.time,
        shared: SharedAnswers | None = None,
    ) -> None:
        """An empty cache, or the one stored in ``table`` (or ``shared``).

        Args:
            ttl: Seconds an answer is replayed.
            max_entries: Answers kept at most (oldest dropped first).
            table: The server's database (None: memory only).
            flush: Commits ``table``'s pending writes (the log's ``flush``).
            clock: Unix-seconds clock (stored expiry times survive restarts).
            shared: Replicas on Redis: answers every replica replays (instead of ``table``; a
                repeat racing the first request on another replica is not held back).
        """
        self.ttl = ttl
        self.max_entries = max_entries
        self._table = table
        self._shared = shared
        self._flush = flush
        self._clock = clock
        self._memory: OrderedDict[str, StoredAnswer] = OrderedDict()
        self._running: dict[str, _Running] = {}
        self._puts = 0
        if table is not None:
            table.add_schema(_SCHEMA)

    def __len__(self) -> int:
        if self._table is not None:
            return int(str(self._table.query("SELECT COUNT(*) FROM idempotency")[0][0]))
        return len(self._memory)

    # ------------------------------------------------------------------ storage

    def _get(self, key: str) -> StoredAnswer | None:
        now = self._clock()
        if self._shared is not None:
            found = self._shared.get(key)
        elif self._table is None:
            found = self._memory.get(key)
        else:
            rows = self._table.query(
                "SELECT hash, status, headers, body, expires FROM idempotency WHERE key = ?", (key,)
            )
            found = None
            if rows:
                digest, status, headers, body, expires = rows[0]
                found = StoredAnswer(
                    request_hash=str(digest),
                    status=int(str(status)),
                    headers=tuple(
                        (k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(str(headers))
                    ),
                    body=bytes(body) if isinstance(body, bytes | bytearray | memoryview) else b"",
                    expires=float(str(expires)),
                )
        return found if found is not None and found.expires > now else None

    def _put(self, key: str, answer: StoredAnswer) -> None:
        if self._shared is not None:
            self._shared.put(key, answer)
            return
        if self._table is None:
            self._memory[key] = answer
            self._memory.move_to_end(key)
            now = self._clock()
            while self._memory:
                oldest = next(iter(self._memory.values()))
                if oldest.expires > now and len(self._memory) <= self.max_entries:
                    break
                self._memory.popitem(last=False)
            return
        headers = json.dumps([[k.decode("latin-1"), v.decode("latin-1")] for k, v in answer.headers])
        self._table.write(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
            (key, answer.request_hash, answer.status, headers, answer.body, answer.expires),
        )
        self._puts += 1
        if self._puts % _PRUNE_EVERY == 0:
            self._table.write("DELETE FROM idempotency WHERE expires <= ?", (self._clock(),))
            self._table.write(
                "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency ORDER BY expires"
                " LIMIT max(0, (SELECT COUNT(*) FROM idempotency) - ?))",
                (self.max_entries,),
            )
        if self._flush is not None:
            self._flush()  # committed before the answer goes out: a restart replays it

    # ------------------------------------------------------------------ requests

    async def run(self, key: str, digest: str, app: Callable[[Send], Awaitable[None]], send: Send) -> bool:
        """Run ``app`` once per key, or replay its stored answer. Returns True when replayed.

        A stored or running request with the same key and another ``digest`` gets 422.
        """
        while True:
            running = self._running.get(key)
            stored = self._get(key) if running is None else None
            theirs = stored if stored is not None else running
            if theirs is not None and theirs.request_hash != digest:
                await send_error(send, 422, KEY_REUSED)
                return False
            if stored is not None:
                await _replay(stored, send)
                return True
            if running is None:
                break
            answer = await asyncio.shield(running.done)
            if answer is not None:
                await _replay(answer, send)
                return True
            # The first request failed (5xx or an exception): this one runs on its own.
        return await self._first(key, digest, app, send)

    async def _first(self, key: str, digest: str, app: Callable[[Send], Awaitable[None]], send: Send) -> bool:
        running = self._running[key] = _Running(digest)
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        body = bytearray()

        async def capture(message: dict[str, Any] | Any) -> None:
            # Held back until complete: the answer is stored (and committed) before it is sent.
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        answer: StoredAnswer | None = None
        try:
            await app(capture)
            if status < 500:
                kept = tuple((k, v) for k, v in headers if k.lower() != b"date")
                answer = StoredAnswer(digest, status, kept, bytes(body), self._clock() + self.ttl)
                try:
                    self._put(key, answer)
                except LogWriteError:
                    answer = None  # the answer still goes out; only the replay is not stored
        finally:
            del self._running[key]
            running.done.set_result(answer)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(body), "more_body": False})
        return False


async def _replay(answer: StoredAnswer, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [*answer.headers, (b"idempotent-replayed", b"true")],
        }
    )
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
