"""The log engine interface: what the rest of the server needs from its storage, and how to open one.

:class:`LogEngine` is the :class:`~monitor.server.log.EventLog` (ids, append, replay, retention,
commit listener) plus the few things the app wires around it: the task rows that commit with the
events, a rollback hook, a hook for changes another replica made, and a start/stop for engines
that follow a shared log. Three classes implement it:

* :class:`~monitor.server.log.MemoryLog` (``--db :memory:``): one process, nothing kept;
* :class:`~monitor.server.sqlite_log.SqliteLog` (the default): one process, a SQLite file;
* :class:`~monitor.server.redis_log.RedisLog` (``--store redis://...``): several replicas share
  one Redis; each keeps a mirror of the retained window fed by one ``XREAD`` loop.

``tests/server/test_log.py`` and ``tests/server/test_engines.py`` run the same behaviour tests
against each of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from monitor.core.protocol import Task
from monitor.server.log import EventLog, LogRecord

if TYPE_CHECKING:
    from monitor.server.config import ServerConfig
    from monitor.server.idempotency import SharedAnswers
    from monitor.server.identity import SharedOwners, SqlTable
    from monitor.server.scheduler import CommandStorage
    from monitor.server.tasks import TaskStorage

__all__ = ["ForeignRowsListener", "LogEngine", "OnceLog", "Presence", "open_engine"]

#: Called with an event another replica logged and the task rows it stored with it (saved tasks,
#: removed ids), in log order.
ForeignRowsListener = Callable[[LogRecord, Sequence[Task], Sequence[str]], None]


class Presence(Protocol):
    """Which clients have a stream open on *other* replicas (replicas on Redis).

    Calls are synchronous and quick; a store that cannot be reached answers "not there" and
    never raises (a stream must open whatever Redis does).
    """

    def joined(self, client_id: str) -> None:
        """``client_id`` opened its first stream on this replica."""
        ...

    def left(self, client_id: str) -> None:
        """``client_id`` closed its last stream on this replica."""
        ...

    def elsewhere(self, client_id: str) -> bool:
        """True if ``client_id`` has a stream open on another live replica."""
        ...


@runtime_checkable
class LogEngine(EventLog, Protocol):
    """An :class:`~monitor.server.log.EventLog` the app can run on (see the module docstring)."""

    def task_storage(self) -> TaskStorage:
        """Task rows stored with this engine (a change commits with the event announcing it)."""
        ...

    def command_storage(self) -> CommandStorage | None:
        """Where one process keeps its commands across restarts (None: memory, or a shared
        engine whose commands are durable in their own queue)."""
        ...

    def sql_table(self) -> SqlTable | None:
        """This engine's SQL database for other modules' tables (client ids, idempotency answers);
        None: they keep them in memory."""
        ...

    def client_owners(self) -> SharedOwners | None:
        """Client-id ownership every replica checks (None: one process, its own registry)."""
        ...

    def idempotency_answers(self) -> SharedAnswers | None:
        """``Idempotency-Key`` answers every replica replays (None: one process)."""
        ...

    def presence(self) -> Presence | None:
        """Clients connected to other replicas (None: one process, the hub knows them all)."""
        ...

    def add_rollback_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after a write was lost (memory caches reload from storage)."""
        ...

    def on_foreign_rows(self, listener: ForeignRowsListener) -> None:
        """Call ``listener(event, saved, removed)`` for task rows another replica wrote with
        ``event`` (never for single-process engines)."""
        ...

    def on_epoch_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` when the epoch changed under a running server (shared storage lost).

        Live streams then hold cursors of the old epoch: the app ends them, and they resume with a
        ``reset``.
        """
        ...

    async def start(self) -> None:
        """Start following the shared log (no-op for single-process engines)."""
        ...

    async def stop(self) -> None:
        """Stop what :meth:`start` started (the log stays readable until :meth:`close`)."""
        ...


@runtime_checkable
class OnceLog(Protocol):
    """A shared log that appends with an idempotency key, atomically (one Redis script)."""

    def append_once(
        self, event_type: str, data: str, target: str | None, *, key: str, stamp_id: bool = False
    ) -> tuple[LogRecord, bool]:
        """Append unless ``key`` was used lately (on any replica); the record and whether it is new."""
        ...


def open_engine(config: ServerConfig) -> LogEngine:
    """The engine the config asks for.

    ``store`` ``redis://...`` (or ``rediss://``, ``unix://``) -> :class:`RedisLog` (LogOpenError
    when the extra is missing or Redis cannot be reached); else ``db``
    ``:memory:`` -> :class:`MemoryLog`; else a :class:`SqliteLog` at ``db`` or the default path.
    """
    from monitor.server.config import default_db_path

    if config.store is not None:
        try:
            from monitor.server.redis_log import RedisLog  # the [redis] extra
        except ImportError as exc:
            from monitor.server.log import LogOpenError

            raise LogOpenError(
                f"--store needs redis-py and hiredis ({exc}): pip install 'monitor[redis]'"
            ) from exc

        return RedisLog(
            config.store,
            prefix=config.store_prefix,
            max_events=config.log_max_events,
            max_age_s=config.log_max_age_s,
        )
    if config.db == ":memory:":
        from monitor.server.log import MemoryLog

        return MemoryLog(max_events=config.log_max_events, max_age_s=config.log_max_age_s)
    from monitor.server.sqlite_log import SqliteLog

    return SqliteLog(
        config.db or default_db_path(), max_events=config.log_max_events, max_age_s=config.log_max_age_s
    )
