"""SQLite-backed event log and task storage (the server's default; survives restarts).

One file holds the events, the tasks and the epoch. WAL mode with ``synchronous=NORMAL``: a commit
is a WAL append without fsync, so the event loop is blocked for microseconds, not milliseconds.
Appends are not committed one by one: the first append of a burst schedules one commit with
``loop.call_soon``, so every event and task change published in the same loop iteration lands in
one transaction (and task rows and their events commit together). ``flush()``/``close()`` commit
whatever is pending, which is what the graceful shutdown relies on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from monitor.core.protocol import Task, stamp_event_id
from monitor.server.log import GONE, CommitListener, Gone, LogRecord, LogWriteError, _WindowMixin, new_epoch

__all__ = ["SqliteLog", "SqliteTaskStorage"]

_log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, target TEXT, time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, created_at REAL NOT NULL, json TEXT NOT NULL);
"""

# Run count/age retention after this many appends (a DELETE per append would dominate the cost).
_TRIM_EVERY = 256


class SqliteLog(_WindowMixin):
    """An :class:`~monitor.server.log.EventLog` in a SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_events: int = 100_000,
        max_age_s: float | None = 7 * 24 * 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Open (or create) the database at ``path``; its directory is created if needed.

        Args:
            path: Database file.
            max_events: Keep at most this many events.
            max_age_s: Drop events older than this (None: no age limit).
            clock: Unix-seconds clock.
        """
        if max_events < 1:
            raise ValueError("max_events must be >= 1")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The server thread, not the creating thread, uses it; only one thread at a time does.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._max_events = max_events
        self._max_age_s = max_age_s
        self._clock = clock
        self._in_tx = False
        self._closed = False
        self._pending: list[LogRecord] = []
        self._on_commit: CommitListener | None = None
        self._rollback_listeners: list[Callable[[], None]] = []
        #: Bursts rolled back after a failed write or commit.
        self.rollbacks = 0
        self._commit_scheduled = False
        self._since_trim = 0
        self.commits = 0
        row = self._db.execute("SELECT value FROM meta WHERE key='epoch'").fetchone()
        if row is None:
            self._epoch = new_epoch()
            self._db.execute("INSERT INTO meta VALUES ('epoch', ?)", (self._epoch,))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('last_seq', '0')")
        else:
            self._epoch = str(row[0])
        row = self._db.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()
        stored = int(row[0]) if row else 0
        top = self._db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
        self._last_seq = max(stored, int(top or 0))
        self._durable_seq = self._last_seq
        self.trim()

    # ------------------------------------------------------------------ transactions

    def _begin(self) -> None:
        """Open the burst transaction if needed and make sure a commit will follow."""
        if not self._in_tx:
            self._db.execute("BEGIN")
            self._in_tx = True
        if self._commit_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # synchronous use: the caller (append/save/delete) commits at once
        self._commit_scheduled = True
        loop.call_soon(self._scheduled_flush)

    def _end(self) -> None:
        """Commit now unless a loop callback will (synchronous use outside an event loop)."""
        if not self._commit_scheduled:
            self.flush()

    def _write(self, sql: str, params: tuple[object, ...]) -> sqlite3.Cursor:
        """Run one write inside the burst; a failure rolls the whole burst back (LogWriteError)."""
        try:
            self._begin()
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._abort(exc) from exc

    def _scheduled_flush(self) -> None:
        # A loop callback: an exception here would only reach asyncio's handler as a traceback.
        # The writers whose requests are still open get the error from their own flush();
        # background writers (demo, scheduler acks) lose the burst, which _abort logs once.
        with contextlib.suppress(LogWriteError):
            self.flush()

    def flush(self) -> None:
        """Commit the pending burst, then hand its events to the commit listener.

        Raises:
            LogWriteError: The commit failed (disk full, I/O error); the burst was rolled back, so
                none of its events or task rows exist and none was sent live. Later writes start a
                fresh transaction and succeed once the cause is gone.
        """
        self._commit_scheduled = False
        if not self._in_tx or self._closed:
            return
        try:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('last_seq', ?)", (str(self._last_seq),))
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._abort(exc) from exc
        self._in_tx = False
        self._durable_seq = self._last_seq
        self.commits += 1
        done, self._pending = self._pending, []
        if done and self._on_commit is not None:
            self._on_commit(done)
        if self._since_trim >= _TRIM_EVERY:
            try:
                self.trim()
            except sqlite3.Error as exc:  # retention can wait for the next burst
                _log.warning("event log retention failed: %s", exc)

    def _abort(self, exc: sqlite3.Error) -> LogWriteError:
        """Roll the burst back (whatever SQLite already undid) and return the error to raise."""
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error as again:
                _log.warning("event log rollback failed: %s", again)
        lost = len(self._pending)
        self._in_tx = False
        self._commit_scheduled = False
        self._last_seq = self._durable_seq
        self._pending = []
        self.rollbacks += 1
        error = LogWriteError(exc)
        _log.error("event log write failed, %d event(s) rolled back: %s", lost, error.reason)
        for listener in list(self._rollback_listeners):
            listener()
        return error

    def add_rollback_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after a burst was rolled back (memory caches reload from the file)."""
        self._rollback_listeners.append(listener)

    def on_commit(self, listener: CommitListener) -> None:
        """See :meth:`monitor.server.log.EventLog.on_commit`."""
        self._on_commit = listener

    def _head_seq(self) -> int:
        # Only committed events exist for readers: a rolled-back one was never seen by anybody.
        return self._durable_seq

    def close(self) -> None:
        """Commit and close the database (a failing final commit is logged, not raised)."""
        if self._closed:
            return
        with contextlib.suppress(LogWriteError):
            self.flush()
        self._closed = True
        self._db.close()

    # ------------------------------------------------------------------ EventLog

    def _first_seq(self) -> int:
        row = self._db.execute("SELECT MIN(seq) FROM events").fetchone()
        return int(row[0]) if row[0] is not None else self._last_seq + 1

    def append(
        self, event_type: str, data: str, target: str | None = None, *, stamp_id: bool = False
    ) -> LogRecord:
        """Store one event (committed with the rest of this loop iteration's burst)."""
        if stamp_id:
            data = stamp_event_id(data, self.next_id)
        seq = self._last_seq + 1
        now = self._clock()
        self._write("INSERT INTO events VALUES (?, ?, ?, ?, ?)", (seq, event_type, data, target, now))
        rec = LogRecord(
            seq=seq, id=f"{self._epoch}-{seq}", type=event_type, data=data, target=target, time=now
        )
        self._last_seq = seq
        self._since_trim += 1
        self._pending.append(rec)
        self._end()
        return rec

    def read_after(self, cursor: str | None, limit: int = 1000) -> list[LogRecord] | Gone:
        """Events after ``cursor``; see :meth:`monitor.server.log.EventLog.read_after`."""
        after = self._resolve(cursor)
        if after is GONE:
            return GONE
        rows = self._db.execute(
            "SELECT seq, type, data, target, time FROM events"
            " WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            (after, self._durable_seq, max(limit, 0)),
        ).fetchall()
        return [
            LogRecord(seq=s, id=f"{self._epoch}-{s}", type=t, data=d, target=g, time=tm)
            for s, t, d, g, tm in rows
        ]

    def trim(self) -> int:
        """Apply count and age retention; returns the number of events deleted."""
        self._since_trim = 0
        own_tx = not self._in_tx
        if own_tx:
            self._db.execute("BEGIN")
        try:
            cur = self._db.execute("DELETE FROM events WHERE seq <= ?", (self._last_seq - self._max_events,))
            dropped = cur.rowcount
            if self._max_age_s is not None:
                horizon = self._clock() - self._max_age_s
                cur = self._db.execute("DELETE FROM events WHERE time < ?", (horizon,))
                dropped += cur.rowcount
            if own_tx:
                self._db.execute("COMMIT")
        except sqlite3.Error:
            if own_tx and self._db.in_transaction:
                self._db.execute("ROLLBACK")  # never leave a half-trim open under the next burst
            raise
        return max(dropped, 0)

    # ------------------------------------------------------------------ tasks

    def task_storage(self) -> SqliteTaskStorage:
        """A :class:`SqliteTaskStorage` over this file, sharing this log's transactions."""
        return SqliteTaskStorage(self)


class SqliteTaskStorage:
    """Persistent task rows for ``TaskService(store=...)``: ``load()``, ``save(task)``, ``delete(id)``.

    Writes join the log's current burst transaction, so a task change and the event announcing it
    are committed together.
    """

    def __init__(self, log: SqliteLog) -> None:
        """Store tasks in ``log``'s database."""
        self._log = log

    def load(self) -> list[Task]:
        """Every stored task, oldest first. Rows that no longer validate are skipped."""
        rows = self._log._db.execute("SELECT json FROM tasks ORDER BY created_at, id").fetchall()
        out: list[Task] = []
        for (text,) in rows:
            try:
                out.append(Task.model_validate_json(text))
            except ValueError:
                continue
        return out

    def save(self, task: Task) -> None:
        """Insert or replace one task."""
        self._log._write(
            "INSERT OR REPLACE INTO tasks VALUES (?, ?, ?)",
            (task.id, task.created_at, task.model_dump_json()),
        )
        self._log._end()

    def delete(self, task_id: str) -> None:
        """Forget one task (no error if unknown)."""
        self._log._write("DELETE FROM tasks WHERE id = ?", (task_id,))
        self._log._end()

    def count(self) -> int:
        """Number of stored tasks."""
        return int(self._log._db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
