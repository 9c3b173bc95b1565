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
import struct
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from monitor.core.protocol import Task, stamp_event_id
from monitor.server.log import (
    GONE,
    CommitListener,
    Gone,
    LogOpenError,
    LogRecord,
    LogWriteError,
    _WindowMixin,
    new_epoch,
)
from monitor.server.tasks import tasks_from_json

__all__ = ["SqliteCommandStorage", "SqliteLog", "SqliteTaskStorage", "wal_header_problem"]

_log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, target TEXT, time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, created_at REAL NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (id TEXT PRIMARY KEY, final INTEGER NOT NULL, json TEXT NOT NULL);
"""

# Sequence numbers per ``IN (...)`` query (SQLite allows 32,766 parameters; keep statements small).
_IN_CHUNK = 500

# Run count/age retention after this many appends (a DELETE per append would dominate the cost).
_TRIM_EVERY = 256


# The WAL file header (https://www.sqlite.org/fileformat.html#the_write_ahead_log): magic (its low
# bit says the checksums' byte order), format version, page size, ..., then two checksum words
# over the first 24 bytes.
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_VERSION = 3007000
_WAL_HEADER = 32


def _wal_checksum(data: bytes, big_endian: bool) -> tuple[int, int]:
    """SQLite's WAL checksum over ``data`` (a multiple of 8 bytes), starting from zero."""
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    s0 = s1 = 0
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def wal_header_problem(header: bytes) -> str | None:
    """What is wrong with a WAL file's first 32 bytes, or None if it is a valid SQLite WAL header."""
    magic, version, page_size = struct.unpack(">III", header[:12])
    if magic not in _WAL_MAGIC:
        return "not a SQLite WAL file (bad magic number)"
    if version != _WAL_VERSION:
        return f"unknown WAL format version {version}"
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        return f"impossible page size {page_size}"
    if _wal_checksum(header[:24], magic & 1 == 1) != struct.unpack(">II", header[24:32]):
        return "header checksum mismatch"
    return None


def _check_wal(path: Path, *, quarantine: bool) -> None:
    """Refuse (or move aside) a WAL file SQLite would silently ignore: a damaged header.

    SQLite treats a WAL whose header does not check out as empty and resets it, dropping every
    commit not yet checkpointed into the main file. A WAL shorter than its header holds no commit.
    """
    wal = Path(f"{path}-wal")
    try:
        with wal.open("rb") as f:
            header = f.read(_WAL_HEADER)
    except FileNotFoundError:
        return
    if len(header) < _WAL_HEADER:
        return
    problem = wal_header_problem(header)
    if problem is None:
        return
    size = wal.stat().st_size
    if not quarantine:
        raise LogOpenError(
            f"cannot open the database {path}: its WAL file {wal.name} ({size} bytes) is damaged ({problem})"
            " and may hold committed events that SQLite would silently drop; restore it, or start once"
            " with --quarantine-bad-wal (MONITOR_SERVER_QUARANTINE_BAD_WAL=1) to move it aside and lose"
            " its commits"
        )
    aside = wal.with_name(f"{wal.name}.bad-{time.strftime('%Y%m%dT%H%M%S')}")
    wal.rename(aside)
    shm = Path(f"{path}-shm")
    if shm.exists():
        shm.unlink()  # derived from the WAL; SQLite rebuilds it
    _log.error(
        "database %s: its WAL file was damaged (%s, %d bytes) and was moved to %s; events and tasks "
        "committed only in it are not in the log",
        path,
        problem,
        size,
        aside,
    )


def _open_failure(path: Path, exc: BaseException) -> str:
    """One line for a database that cannot be opened: which file, what, what to do."""
    if isinstance(exc, LogOpenError):
        return str(exc)
    reason = " ".join(str(exc).split()) or type(exc).__name__
    low = reason.lower()
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        hint = "the file is corrupted or not a database; restore a backup, or move it aside to start empty"
    elif "readonly" in low or "read-only" in low or "permission" in low or "unable to open" in low:
        hint = "check that the file and its directory exist and are writable by this user"
    else:
        hint = "check the path and the disk"
    return f"cannot open the database {path}: {reason}; {hint}"


class SqliteLog(_WindowMixin):
    """An :class:`~monitor.server.log.EventLog` in a SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_events: int = 100_000,
        max_age_s: float | None = 7 * 24 * 3600.0,
        clock: Callable[[], float] = time.time,
        quarantine_bad_wal: bool = False,
    ) -> None:
        """Open (or create) the database at ``path``; its directory is created if needed.

        Args:
            path: Database file.
            max_events: Keep at most this many events.
            max_age_s: Drop events older than this (None: no age limit).
            clock: Unix-seconds clock.
            quarantine_bad_wal: A WAL file whose header is not SQLite's is renamed
                ``<name>-wal.bad-<time>`` (with an error logged) and the database opened without it;
                by default the log refuses to open (SQLite would silently ignore the WAL and every
                commit in it: events, tasks, even the epoch).

        Raises:
            LogOpenError: The database cannot be used (one line: which file, what, what to do).
        """
        if max_events < 1:
            raise ValueError("max_events must be >= 1")
        self.path = Path(path)
        self._closed = False
        try:
            self._db = self._open(quarantine_bad_wal)
        except (sqlite3.Error, OSError) as exc:
            raise LogOpenError(_open_failure(self.path, exc)) from exc
        self._max_events = max_events
        self._max_age_s = max_age_s
        self._clock = clock
        self._in_tx = False
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
        try:
            self.trim()
        except sqlite3.Error as exc:
            self._db.close()
            raise LogOpenError(_open_failure(self.path, exc)) from exc

    def _open(self, quarantine_bad_wal: bool) -> sqlite3.Connection:
        """Connect, check the file (WAL header, ``quick_check``) and create the schema."""
        if self.path.is_dir():
            raise LogOpenError(f"cannot open the database {self.path}: it is a directory; give a file path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _check_wal(self.path, quarantine=quarantine_bad_wal)
        # The server thread, not the creating thread, uses it; only one thread at a time does.
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # Corruption anywhere in the file (a truncated or overwritten page) is found now, not
            # by the first replay that reaches it. About 10 ms per 10 MB.
            problems = [str(row[0]) for row in db.execute("PRAGMA quick_check(3)").fetchall()]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError("database disk image is malformed: " + "; ".join(problems))
            db.executescript(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

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

    def read_seqs(self, seqs: Sequence[int]) -> list[LogRecord]:
        """Events by sequence number (primary-key lookups); see ``EventLog.read_seqs``."""
        wanted = sorted({s for s in seqs if 0 < s <= self._durable_seq})
        out: list[LogRecord] = []
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))  # placeholders only: the values are bound
            rows = self._db.execute(
                f"SELECT seq, type, data, target, time FROM events WHERE seq IN ({marks}) ORDER BY seq",
                chunk,
            ).fetchall()
            out.extend(
                LogRecord(seq=s, id=f"{self._epoch}-{s}", type=t, data=d, target=g, time=tm)
                for s, t, d, g, tm in rows
            )
        return out

    def task_event_owners(self, types: Collection[str]) -> list[tuple[int, str]]:
        """``(seq, task id)`` of every retained broadcast event of ``types``, oldest first.

        The start-up index of the task service (``TaskService.index_log``), in SQLite's JSON
        functions: about 10x faster than parsing 100,000 events in Python. The task id is where
        ``monitor.server.tasks.event_task_id`` looks for it.
        """
        names = sorted(types)
        marks = ",".join("?" * len(names))  # placeholders only: the values are bound
        rows = self._db.execute(
            "SELECT seq, CASE WHEN json_type(data, '$.task') = 'object' THEN json_extract(data, '$.task.id')"
            " ELSE coalesce(json_extract(data, '$.jobId'), json_extract(data, '$.id')) END"
            f" FROM events WHERE target IS NULL AND type IN ({marks}) AND seq <= ? AND json_valid(data)"
            " ORDER BY seq",
            (*names, self._durable_seq),
        ).fetchall()
        return [(int(seq), owner) for seq, owner in rows if isinstance(owner, str)]

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

    # ------------------------------------------------------------------ other modules' tables

    def add_schema(self, script: str) -> None:
        """Create another module's tables in this file (``CREATE TABLE IF NOT EXISTS ...``)."""
        self.flush()
        self._db.executescript(script)

    def write(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """One write of another module's, committed with the current burst (LogWriteError)."""
        self._write(sql, params)
        self._end()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """The rows of one read of another module's."""
        return list(self._db.execute(sql, params).fetchall())

    # ------------------------------------------------------------------ tasks

    def task_storage(self) -> SqliteTaskStorage:
        """A :class:`SqliteTaskStorage` over this file, sharing this log's transactions."""
        return SqliteTaskStorage(self)

    def sql_table(self) -> SqliteLog:
        """This file (``add_schema`` / ``write`` / ``query``) for other modules' tables."""
        return self

    def command_storage(self) -> SqliteCommandStorage:
        """A :class:`SqliteCommandStorage` over this file, sharing this log's transactions."""
        return SqliteCommandStorage(self)


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
        return tasks_from_json(text for (text,) in rows)

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


class SqliteCommandStorage:
    """Persistent commands for ``CommandScheduler(store=...)`` (``CommandStorage``).

    Writes join the log's burst, so a command's row and its ack event commit together. Finished
    rows beyond the newest ``keep_final`` are deleted now and then (``INSERT OR REPLACE`` gives a
    replaced row a new rowid, so rowid order is the order of the last change).
    """

    def __init__(self, log: SqliteLog, *, keep_final: int = 10_000) -> None:
        """Store commands in ``log``'s database; keep at most about ``keep_final`` finished ones."""
        self._log = log
        self._keep_final = keep_final
        self._since_prune = 0

    def save(self, command_id: str, final: bool, data: str) -> None:
        """Insert or replace one command."""
        self._log._write("INSERT OR REPLACE INTO commands VALUES (?, ?, ?)", (command_id, int(final), data))
        if final:
            self._since_prune += 1
            if self._since_prune >= _TRIM_EVERY:
                self._since_prune = 0
                self._log._write(
                    "DELETE FROM commands WHERE final = 1 AND rowid <= (SELECT rowid FROM commands"
                    " WHERE final = 1 ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
                    (self._keep_final,),
                )
        self._log._end()

    def load(self, final_limit: int) -> list[str]:
        """Unfinished commands and the ``final_limit`` newest finished ones, oldest change first."""
        rows = self._log._db.execute(
            "SELECT rowid, json FROM commands WHERE final = 0 UNION ALL"
            " SELECT * FROM (SELECT rowid, json FROM commands WHERE final = 1 ORDER BY rowid DESC LIMIT ?)"
            " ORDER BY 1",
            (max(final_limit, 0),),
        ).fetchall()
        return [str(text) for _, text in rows]
