"""The event log: every published event gets an id, is kept for replay, and can be read back.

Ids are ``<epoch>-<seq>``: ``epoch`` names one incarnation of the log (a new random value when the
log is created or lost), ``seq`` counts up from 1 within it. A cursor from another epoch, from
the future, or older than the oldest retained event cannot be resumed: :meth:`EventLog.read_after`
returns :data:`GONE` and the stream sends one ``reset`` event (Centrifugo's all-or-nothing
recovery, Mercure's ``earliest``).

:class:`MemoryLog` lives here; :class:`monitor.server.sqlite_log.SqliteLog` (the default) persists
events and tasks. Both pass ``tests/server/test_log.py``.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from monitor.core.protocol import Task, stamp_event_id

if TYPE_CHECKING:
    from monitor.server.engine import Presence
    from monitor.server.idempotency import SharedAnswers
    from monitor.server.identity import SharedOwners
    from monitor.server.tasks import TaskStorage

__all__ = [
    "EARLIEST",
    "GONE",
    "CommitListener",
    "EventLog",
    "Gone",
    "LogOpenError",
    "LogRecord",
    "LogWriteError",
    "MemoryLog",
    "Publisher",
    "new_epoch",
    "parse_cursor",
]

#: Cursor value meaning "everything still retained".
EARLIEST: Final = "earliest"


class Gone(Enum):
    """Marker type of :data:`GONE`."""

    GONE = "gone"


#: Returned by :meth:`EventLog.read_after` when the cursor cannot be resumed.
GONE: Final = Gone.GONE


@runtime_checkable
class Publisher(Protocol):
    """What task and command services need: publish one event."""

    async def publish(
        self, event_type: str, data: str, *, target: str | None = None, stamp_id: bool = False
    ) -> str:
        """Append one event (``data`` = JSON text, encoded once by the caller) to the event log and
        fan it out to live streams.

        Args:
            event_type: The SSE ``event:`` name.
            data: JSON text.
            target: None for every client; a client id for only that client's streams (it is still
                logged, and replayed only to that client).
            stamp_id: Put the event's id into ``data`` (a JSON object) as its first member ``id``
                (:func:`~monitor.core.protocol.stamp_event_id`), as task events carry it.

        Returns:
            The event id (``<epoch>-<seq>``).
        """
        ...


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One logged event."""

    seq: int
    id: str
    type: str
    data: str
    target: str | None
    time: float

    def visible_to(self, client_id: str | None) -> bool:
        """True if a stream of ``client_id`` may see this event (broadcast, or addressed to it)."""
        return self.target is None or self.target == client_id


#: Receives events once they are durable, in order (the hub sends them live from there).
CommitListener = Callable[[Sequence[LogRecord]], None]


class LogWriteError(Exception):
    """The log could not store a burst (disk full, I/O error); it was rolled back whole.

    Attributes:
        reason: What the storage said, for the client's error answer.
        disk_full: True when the cause is a full disk or database (answered ``507``, else ``503``).
    """

    def __init__(self, cause: BaseException) -> None:
        """Wrap the storage's exception."""
        self.reason = str(cause) or type(cause).__name__
        code = getattr(cause, "sqlite_errorcode", None)
        self.disk_full = code == 13 or "full" in self.reason.lower()  # 13 = SQLITE_FULL
        super().__init__(f"event log write failed: {self.reason}")


class LogOpenError(Exception):
    """The log's storage cannot be used at start-up: corrupted, unreadable, read-only, a directory,
    or a WAL file that cannot be read. ``str()`` is one line saying which file, what and what to do;
    ``monitor serve`` prints it and exits with status 3."""


def new_epoch() -> str:
    """A fresh random epoch: 8 hex digits, no ``-`` so ids split unambiguously."""
    return secrets.token_hex(4)


def parse_cursor(cursor: str) -> tuple[str, int] | None:
    """Split ``<epoch>-<seq>``; None if the cursor is malformed (treated like an unknown one)."""
    epoch, sep, seq = cursor.rpartition("-")
    if not sep or not epoch or not seq.isdigit() or len(seq) > 18 or not seq.isascii():
        return None
    return epoch, int(seq)


class EventLog(Protocol):
    """Storage for published events, with bounded retention.

    Reads and appends are synchronous and never await, so a caller can subscribe to live events and
    read the log in one step, with no event slipping between the two.
    """

    @property
    def epoch(self) -> str:
        """This log's epoch."""
        ...

    @property
    def last_id(self) -> str | None:
        """Id of the newest event, or None if nothing was ever appended in this epoch."""
        ...

    @property
    def next_id(self) -> str:
        """The id the next :meth:`append` will give (appends never await, so it cannot change)."""
        ...

    def append(
        self, event_type: str, data: str, target: str | None = None, *, stamp_id: bool = False
    ) -> LogRecord:
        """Store one event and return it with its id.

        ``stamp_id`` puts the id into ``data`` (a JSON object) as its first member ``id``
        (:func:`~monitor.core.protocol.stamp_event_id`): only the log knows the id, and with a
        shared log only at the moment it appends.

        Raises:
            LogWriteError: Storage failed; nothing of the current burst was kept.
        """
        ...

    def on_commit(self, listener: CommitListener) -> None:
        """Call ``listener(records)`` once appended records are durable (at once in memory).

        Only then may they go out live: an event that is rolled back was never seen by anyone.
        """
        ...

    def read_after(self, cursor: str | None, limit: int = 1000) -> list[LogRecord] | Gone:
        """Events strictly after ``cursor`` (oldest first, at most ``limit``).

        ``cursor`` None or :data:`EARLIEST` reads from the oldest retained event. Returns
        :data:`GONE` when the cursor is malformed, from another epoch, newer than :attr:`last_id`,
        or older than the retained window.
        """
        ...

    def read_seqs(self, seqs: Sequence[int]) -> list[LogRecord]:
        """The retained, durable events with these sequence numbers, oldest first (an index lookup,
        never a scan; sequence numbers that are gone are skipped)."""
        ...

    def trim(self) -> int:
        """Apply retention (count and age) now; return how many events were dropped."""
        ...

    def flush(self) -> None:
        """Make every appended event durable (no-op in memory).

        Raises:
            LogWriteError: The commit failed and the burst was rolled back.
        """
        ...

    def close(self) -> None:
        """Flush and release resources."""
        ...


class _SingleProcess:
    """The :class:`~monitor.server.engine.LogEngine` hooks that a one-process log never fires."""

    def on_foreign_rows(self, listener: Callable[[LogRecord, Sequence[Task], Sequence[str]], None]) -> None:
        """No other replica writes here."""

    def on_epoch_change(self, listener: Callable[[], None]) -> None:
        """The epoch of a one-process log never changes under a running server."""

    def client_owners(self) -> SharedOwners | None:
        """One process: client-id ownership needs no sharing."""
        return None

    def idempotency_answers(self) -> SharedAnswers | None:
        """One process: stored answers need no sharing."""
        return None

    def presence(self) -> Presence | None:
        """One process: the hub knows every stream."""
        return None

    async def start(self) -> None:
        """Nothing to follow."""

    async def stop(self) -> None:
        """Nothing to stop."""


class _WindowMixin(_SingleProcess):
    """What the logs share, everything but the storage: ids and cursor resolution."""

    _epoch: str
    _last_seq: int

    @property
    def epoch(self) -> str:
        """This log's epoch (a persistent log keeps it across restarts)."""
        return self._epoch

    @property
    def last_id(self) -> str | None:
        """Id of the newest durable event."""
        head = self._head_seq()
        return f"{self._epoch}-{head}" if head else None

    def _head_seq(self) -> int:
        """Newest event a reader may see (every appended one, unless a log commits later)."""
        return self._last_seq

    @property
    def next_id(self) -> str:
        """The id of the next event."""
        return f"{self._epoch}-{self._last_seq + 1}"

    def _first_seq(self) -> int:
        raise NotImplementedError

    def _resolve(self, cursor: str | None) -> int | Gone:
        """The seq after which to read, or GONE."""
        if cursor is None or cursor == EARLIEST:
            return self._first_seq() - 1
        parsed = parse_cursor(cursor)
        if parsed is None:
            return GONE
        epoch, seq = parsed
        if epoch != self._epoch or seq > self._head_seq():
            return GONE
        # seq == first-1 is fine: the client saw the event just before the window.
        if seq < self._first_seq() - 1:
            return GONE
        return seq


class MemoryLog(_WindowMixin):
    """An in-memory ring: the test log and ``--db :memory:``."""

    def __init__(
        self,
        *,
        max_events: int = 10_000,
        max_age_s: float | None = 3600.0,
        clock: Callable[[], float] = time.time,
        epoch: str | None = None,
    ) -> None:
        """Create an empty log.

        Args:
            max_events: Keep at most this many events.
            max_age_s: Drop events older than this (None: no age limit).
            clock: Unix-seconds clock (injectable for tests).
            epoch: Force an epoch (tests); random by default.
        """
        if max_events < 1:
            raise ValueError("max_events must be >= 1")
        self._epoch = epoch or new_epoch()
        self._events: deque[LogRecord] = deque()
        self._last_seq = 0
        self._max_events = max_events
        self._max_age_s = max_age_s
        self._clock = clock
        self._on_commit: CommitListener | None = None

    def on_commit(self, listener: CommitListener) -> None:
        """See :meth:`EventLog.on_commit` (memory is "durable" as soon as it is appended)."""
        self._on_commit = listener

    def _first_seq(self) -> int:
        return self._events[0].seq if self._events else self._last_seq + 1

    def append(
        self, event_type: str, data: str, target: str | None = None, *, stamp_id: bool = False
    ) -> LogRecord:
        """Store one event."""
        if stamp_id:
            data = stamp_event_id(data, self.next_id)
        self._last_seq += 1
        rec = LogRecord(
            seq=self._last_seq,
            id=f"{self._epoch}-{self._last_seq}",
            type=event_type,
            data=data,
            target=target,
            time=self._clock(),
        )
        self._events.append(rec)
        if len(self._events) > self._max_events:
            self._events.popleft()
        if self._on_commit is not None:
            self._on_commit((rec,))
        return rec

    def read_after(self, cursor: str | None, limit: int = 1000) -> list[LogRecord] | Gone:
        """Events after ``cursor``; see :meth:`EventLog.read_after`."""
        self.trim()
        after = self._resolve(cursor)
        if after is GONE:
            return GONE
        assert isinstance(after, int)
        if not self._events:
            return []
        # seqs are contiguous in the deque, so the start index is arithmetic, not a scan.
        start = after + 1 - self._events[0].seq
        out: list[LogRecord] = []
        for i in range(max(start, 0), min(len(self._events), max(start, 0) + max(limit, 0))):
            out.append(self._events[i])
        return out

    def read_seqs(self, seqs: Sequence[int]) -> list[LogRecord]:
        """Events by sequence number; see :meth:`EventLog.read_seqs`."""
        if not self._events:
            return []
        first = self._events[0].seq
        size = len(self._events)
        # seqs are contiguous in the deque: each lookup is arithmetic.
        return [self._events[s - first] for s in sorted(set(seqs)) if 0 <= s - first < size]

    def trim(self) -> int:
        """Drop events older than ``max_age_s``."""
        if self._max_age_s is None:
            return 0
        horizon = self._clock() - self._max_age_s
        dropped = 0
        while self._events and self._events[0].time < horizon:
            self._events.popleft()
            dropped += 1
        return dropped

    def flush(self) -> None:
        """Nothing to flush in memory."""

    def task_storage(self) -> TaskStorage:
        """Task rows in a dict, gone with the process like the events."""
        from monitor.server.tasks import InMemoryTaskStorage

        return InMemoryTaskStorage()

    def add_rollback_listener(self, listener: Callable[[], None]) -> None:
        """Memory never rolls back."""

    def command_storage(self) -> None:
        """Commands stay in the scheduler's memory."""
        return None

    def sql_table(self) -> None:
        """No SQL database: other modules keep their tables in memory."""
        return None

    def close(self) -> None:
        """Nothing to release."""
