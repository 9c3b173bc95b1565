"""``HistoryService``: the local history database (SQLite), off the GUI thread.

Finished tasks are written here as they finish (in batches, once a second at most), and read back
at start-up, so the list survives app restarts and the server trimming its own log. Tasks the
user removed from the list are remembered here too, so they stay removed after a restart.

SQLite runs in worker threads (``asyncio.to_thread``), one statement batch at a time under a lock:
the GUI never waits on the disk. The database is a cache of what servers said: if it is corrupt it
is moved aside (``history.sqlite3.corrupt-<time>``), a new one is started, and the service says so
(``problem`` signal) instead of failing the app.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from monitor.client.aio import cancel_and_wait
from monitor.core.history import Retention, server_key, task_from_json
from monitor.core.protocol import Task

__all__ = ["FLUSH_S", "HistoryService"]

_log = logging.getLogger(__name__)

#: How long finished tasks wait before they are written (one transaction per batch).
FLUSH_S = 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks(
    server TEXT NOT NULL,
    id TEXT NOT NULL,
    saved_at REAL NOT NULL,
    task TEXT NOT NULL,
    PRIMARY KEY (server, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tasks_by_age ON tasks(server, saved_at);
CREATE TABLE IF NOT EXISTS dismissed(
    server TEXT NOT NULL,
    id TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (server, id)
) WITHOUT ROWID;
"""


class HistoryService(QObject):
    """Keeps one server's finished tasks and removed ids in a local SQLite file.

    Signals:
        problem(str): Something went wrong with the file (plain text, for the status bar); the
            service goes on (a corrupt file was moved aside, or it now keeps nothing).

    Args:
        path: The database file.
        server: The server's stream URL (credentials and query are not stored).
        retention: How much to keep.
        clock: Unix seconds.
        parent: Qt parent.
    """

    problem = Signal(str)

    def __init__(
        self,
        path: Path,
        server: str,
        *,
        retention: Retention | None = None,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.server = server_key(server)
        self.retention = retention or Retention()
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._pending: dict[str, str] = {}  # task id -> task JSON, to write
        self._clear = False  # delete this server's rows before writing the pending ones
        self._forget: set[str] = set()  # rows to delete
        self._dismiss: dict[str, bool] = {}  # task id -> dismissed (True) or shown again (False)
        self._flusher: asyncio.Task[None] | None = None
        #: Ids the user removed from the list (read at start, kept up to date by the wiring).
        self.removed_by_user: set[str] = set()
        self._started = False
        self._closed = False

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> tuple[list[Task], set[str]]:
        """Open the file, apply the retention, and read it back.

        Returns:
            The kept tasks (most recently saved last) and the ids removed from the list.

        Raises:
            RuntimeError: If already started, or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("HistoryService already started or closed")
        self._started = True
        tasks, dismissed, problem = await asyncio.to_thread(self._open_and_read)
        if problem:
            self.problem.emit(problem)  # here, on the loop's thread, not from the worker
        return tasks, dismissed

    def _open_and_read(self) -> tuple[list[Task], set[str], str]:
        try:
            return (*self._read(self._open()), "")
        except sqlite3.DatabaseError as exc:  # not a database, or corrupt
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(self._clock())}")
            _log.warning("history %s is unreadable (%s); moved to %s", self.path, exc, aside)
            self._close_db()
            try:
                self.path.replace(aside)
                tasks, dismissed = self._read(self._open())
            except (OSError, sqlite3.Error) as again:
                self._close_db()
                return [], set(), f"Local history is off: {again}"
            return tasks, dismissed, f"The local history was unreadable and was moved to {aside.name}"
        except OSError as exc:
            self._close_db()
            return [], set(), f"Local history is off: {exc}"

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db = db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # a lost second of history is fine; speed counts
        db.executescript(_SCHEMA)
        return db

    def _read(self, db: sqlite3.Connection) -> tuple[list[Task], set[str]]:
        with self._lock:
            self._trim(db)
            rows = db.execute(
                "SELECT task FROM tasks WHERE server = ? ORDER BY saved_at", (self.server,)
            ).fetchall()
            dismissed = {
                r[0] for r in db.execute("SELECT id FROM dismissed WHERE server = ?", (self.server,))
            }
        tasks = [t for (text,) in rows if (t := task_from_json(text)) is not None]
        return tasks, dismissed

    def _trim(self, db: sqlite3.Connection) -> None:
        if self.retention.days is not None:
            oldest = self._clock() - self.retention.days * 86_400
            db.execute("DELETE FROM tasks WHERE server = ? AND saved_at < ?", (self.server, oldest))
            # A removal older than the history is moot: the server forgot that task long ago.
            db.execute("DELETE FROM dismissed WHERE server = ? AND at < ?", (self.server, oldest))
        db.execute(
            "DELETE FROM tasks WHERE server = ? AND id NOT IN "
            "(SELECT id FROM tasks WHERE server = ? ORDER BY saved_at DESC LIMIT ?)",
            (self.server, self.server, self.retention.max_tasks),
        )

    # ------------------------------------------------------------------ writes (batched)

    def record(self, items: Iterable[tuple[str, str]]) -> None:
        """Keep these finished tasks ((id, task JSON)); written within :data:`FLUSH_S`."""
        self._pending.update(items)
        self._schedule()

    def forget(self, ids: Iterable[str]) -> None:
        """The server removed these tasks: they leave the history too."""
        for task_id in ids:
            self._pending.pop(task_id, None)
            self._forget.add(task_id)
        self._schedule()

    def dismiss(self, ids: Iterable[str], *, dismissed: bool = True) -> None:
        """Remember that these tasks were removed from the list (or shown again)."""
        for task_id in ids:
            self._dismiss[task_id] = dismissed
        self._schedule()

    def clear(self) -> None:
        """Forget this server's history (``Clear finished``); written within :data:`FLUSH_S`."""
        self._pending.clear()
        self._clear = True
        self._schedule()

    def _schedule(self) -> None:
        if self._closed or self._db is None:
            return
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_S)
        await self.flush()

    async def flush(self) -> None:
        """Write what is pending now."""
        pending, self._pending = self._pending, {}
        dismiss, self._dismiss = self._dismiss, {}
        clear, self._clear = self._clear, False
        forget, self._forget = self._forget, set()
        if (pending or dismiss or clear or forget) and self._db is not None:
            problem = await asyncio.to_thread(self._write, pending, dismiss, clear, forget)
            if problem:
                self.problem.emit(problem)

    def _write(self, pending: dict[str, str], dismiss: dict[str, bool], clear: bool, forget: set[str]) -> str:
        db = self._db
        if db is None:
            return ""
        now = self._clock()
        try:
            with self._lock:
                db.execute("BEGIN")
                if clear:
                    db.execute("DELETE FROM tasks WHERE server = ?", (self.server,))
                db.executemany(
                    "DELETE FROM tasks WHERE server = ? AND id = ?", [(self.server, i) for i in forget]
                )
                db.executemany(
                    "INSERT OR REPLACE INTO tasks(server, id, saved_at, task) VALUES (?, ?, ?, ?)",
                    [(self.server, i, now, text) for i, text in pending.items()],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO dismissed(server, id, at) VALUES (?, ?, ?)",
                    [(self.server, i, now) for i, on in dismiss.items() if on],
                )
                db.executemany(
                    "DELETE FROM dismissed WHERE server = ? AND id = ?",
                    [(self.server, i) for i, on in dismiss.items() if not on],
                )
                db.execute("COMMIT")
        except sqlite3.Error as exc:  # disk full, read-only: history is a convenience, say so
            if db.in_transaction:
                db.execute("ROLLBACK")
            return f"Local history could not be saved: {exc}"
        return ""

    async def aclose(self) -> None:
        """Write what is pending, then close the file; idempotent."""
        if self._closed:
            return
        self._closed = True
        await cancel_and_wait(self._flusher)
        await self.flush()
        await asyncio.to_thread(self._close_db)

    def _close_db(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
