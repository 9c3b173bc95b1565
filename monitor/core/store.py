"""The task store: a pure reducer from :class:`~monitor.core.news.TaskPatch` to change records.

The Qt model is a thin adapter over this. Sorting and filtering happen here in plain Python
(a dynamic ``QSortFilterProxyModel`` was measured to freeze at 10k rows under live updates).

Stale-data rules (why a patch may be ignored):

* A terminal task (completed/failed/cancelled) never moves back to a non-terminal state, and
  its progress does not change, unless the patch carries a *higher* ``attempt`` (a retry).
* A full snapshot whose ``updated_at`` is older than the stored one is ignored (same attempt).
* Seed completion semantics: ``completed`` sets progress to 100; every terminal state sets
  ``finished_at`` (to the arrival time if the server did not say).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from itertools import compress, repeat
from operator import attrgetter, is_not, not_
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from pydantic import JsonValue

from monitor.core.eta import EtaKind, EtaReading, EtaTracker
from monitor.core.news import PATCH_FIELDS, TaskPatch, patch_from_task
from monitor.core.protocol import TERMINAL_STATES, Task, TaskError, TaskState
from monitor.core.query import STATE_GROUPS, Query
from monitor.core.servers import local_id, server_of

__all__ = [
    "CREATED_ORDER",
    "EVENT_LOG_LIMIT",
    "NULLABLE_KEYS",
    "SORT_KEYS",
    "SORT_ORDERS",
    "Added",
    "Change",
    "Evicted",
    "LogEntry",
    "Removed",
    "SortKey",
    "StateGroup",
    "TaskColumn",
    "TaskRecord",
    "TaskStore",
    "Updated",
]

#: Events kept per task for the detail pane.
EVENT_LOG_LIMIT: Final = 100


class StateGroup(StrEnum):
    """Sidebar entries."""

    ALL = "all"
    ACTIVE = "active"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def states(self) -> frozenset[TaskState]:
        """The states this group shows."""
        return STATE_GROUPS[self.value]


# Sort order of states: the most urgent-to-look-at first when ascending.
_STATE_ORDER: Final = {
    TaskState.RUNNING: 0,
    TaskState.CANCELLING: 1,
    TaskState.PAUSED: 2,
    TaskState.QUEUED: 3,
    TaskState.FAILED: 4,
    TaskState.CANCELLED: 5,
    TaskState.COMPLETED: 6,
}


class LogEntry(NamedTuple):
    """One line of a task's event log (or timeline).

    The record keeps its entries as plain tuples of these fields (see :data:`_Stored`) and
    builds these only when read.

    Attributes:
        at: Local Unix time the news arrived.
        source: The event name it came from.
        text: The line (for the timeline: the state's value).
        server_at: The server's time of the change (the news's ``updated_at``), if it said one.
        fields: The task fields the news changed (event log lines), sorted.
    """

    at: float
    source: str
    text: str
    server_at: float | None = None
    fields: tuple[str, ...] = ()


# How a record keeps its log and timeline: one bare entry, or a tuple of entries; an entry is a
# plain tuple of LogEntry's fields (``fields`` left out when empty). Plain tuples of atoms are
# ones the cyclic GC stops tracking at its first pass over them, where a LogEntry (a class
# instance, or a tuple subclass) stays tracked for life: with 4.8 entries per task that was 55 %
# of the objects each full collection walked on the ingest stream (docs/performance.md, R1).
_Entry = tuple[Any, ...]
_Stored = _Entry | tuple[_Entry, ...]


def _read_entries(stored: _Stored) -> tuple[LogEntry, ...]:
    if not stored:
        return ()
    if not isinstance(stored[0], tuple):  # one bare entry (its first field is a time)
        return (LogEntry(*stored),)
    return tuple(LogEntry(*entry) for entry in stored)


def _appended(stored: _Stored, entry: _Entry, limit: int | None = None) -> _Stored:
    if not stored:
        return entry
    if not isinstance(stored[0], tuple):
        return (stored, entry)
    if limit is not None and len(stored) >= limit:
        return (*stored[1 - limit :], entry)
    return (*stored, entry)


#: A finished task's ETA reading (also what a record without a tracker reads).
_FINISHED_READING: Final = EtaReading(EtaKind.FINISHED)
#: The metadata of a task that has none: one shared, read-only mapping (64 B per task otherwise).
_NO_METADATA: Final[Mapping[str, JsonValue]] = MappingProxyType({})


@dataclass(slots=True)
class TaskRecord:
    """The store's view of one task (mutable inside the store only; treat as read-only).

    Memory is the design constraint (issue 16: at most 1 KB per task at 100,000 tasks): the event
    log and the timeline are kept as one bare entry, or a tuple once there are more (an empty
    ``deque(maxlen=100)`` alone took 760 B, a 1-tuple takes 48 B); the metadata is the validated
    mapping itself (never copied, never mutated); a task first seen finished has no ETA tracker
    (``tracker`` is None, its reading "finished") until a retry.
    """

    id: str
    name: str
    kind: str = "task"
    state: TaskState = TaskState.QUEUED
    progress: float = 0.0
    stage: str | None = None
    eta: float | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float | None = None
    attempt: int = 1
    worker: str | None = None
    result: JsonValue = None
    error: TaskError | None = None
    metadata: Mapping[str, JsonValue] = field(default_factory=lambda: _NO_METADATA)  # shared
    placeholder: bool = False
    seq: int = 0  # arrival order, the last tie-break
    timeline_entries: _Stored = ()  # see timeline
    log_entries: _Stored = ()  # see log
    tracker: EtaTracker | None = None

    @property
    def timeline(self) -> tuple[LogEntry, ...]:
        """The task's states as the app saw them arrive, oldest first."""
        return _read_entries(self.timeline_entries)

    @property
    def log(self) -> tuple[LogEntry, ...]:
        """The last :data:`EVENT_LOG_LIMIT` meaningful changes, oldest first."""
        return _read_entries(self.log_entries)

    def eta_reading(self, now: float) -> EtaReading:
        """The smoothed ETA at ``now``."""
        return _FINISHED_READING if self.tracker is None else self.tracker.reading(now)

    def elapsed(self, now: float) -> float | None:
        """Run time so far (or total once finished), None before it started."""
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else now
        return max(0.0, end - self.started_at)


@dataclass(frozen=True, slots=True)
class Added:
    """New tasks."""

    ids: tuple[str, ...]


class Updated(NamedTuple):
    """One task changed: which fields, and its state before and after.

    A named tuple, not a frozen dataclass: one is built per applied event, and a frozen
    dataclass took 0.61 us to build against 0.21 us (measured), a tenth of the per-event budget.
    """

    id: str
    fields: frozenset[str]
    old_state: TaskState
    new_state: TaskState


@dataclass(frozen=True, slots=True)
class Removed:
    """Tasks gone (server forgot them, or removed from the list locally)."""

    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Evicted(Removed):
    """Finished tasks dropped, oldest first, to keep the store within its limit.

    A :class:`Removed` (every consumer drops the rows alike); its own type lets the UI say why.
    """

    limit: int = 0


Change = Added | Updated | Removed

_FIELDS: Final = PATCH_FIELDS


_FIELD_VALUES: Final = attrgetter(*_FIELDS)  # a patch's or a record's values, in one C call

# Fields a progress tick changes; changes limited to these are not written to the event log.
_HOT_FIELDS: Final = frozenset({"progress", "stage", "eta", "updated_at"})
#: Fields a full snapshot may clear (its None means "none", not "not said").
_CLEARABLE: Final = frozenset({"stage", "eta", "worker", "error", "started_at", "finished_at", "updated_at"})
#: Changes the ETA tracker needs to see.
_ETA_INPUTS: Final = frozenset({"progress", "state", "eta"})
# A progress delta's changed fields by bit mask (progress 1, stage 2, eta 4, updated_at 8): one
# shared frozenset per combination instead of a set and a frozenset per event.
_DELTA_FIELDS: Final = tuple(
    frozenset(
        f for bit, f in zip((1, 2, 4, 8), ("progress", "stage", "eta", "updated_at"), strict=True) if m & bit
    )
    for m in range(16)
)
_RUNNING: Final = TaskState.RUNNING
_PERCENTS: Final[dict[float, float]] = {float(n): float(n) for n in range(101)}
# A whole new task (_add_whole): the fields it must say, and the others with a blank record's values.
_NEW_REQUIRED: Final = attrgetter("name", "state", "created_at", "kind", "progress", "attempt")
_NEW_FIELDS: Final = (
    "kind", "progress", "stage", "eta", "started_at", "finished_at",
    "updated_at", "attempt", "worker", "error",
)  # fmt: skip
_NEW_VALUES: Final = attrgetter(*_NEW_FIELDS)
_BLANK: Final = ("task", 0.0, None, None, None, None, None, 1, None, None)
#: Distinct event-log texts kept for sharing (a text per (source, fields) combination).
_LOG_TEXTS_MAX: Final = 4096


def _put(rec: TaskRecord, changed: set[str], name: str, value: object) -> None:
    if getattr(rec, name) != value:
        setattr(rec, name, value)
        changed.add(name)


def _imply(rec: TaskRecord, p: TaskPatch, changed: set[str]) -> None:
    """Apply what the news implies beyond its fields (the seeds' lifecycle rules)."""
    # Progress news for a queued task means it runs (seed 004 has no "started" event).
    if p.state is None and p.progress is not None and rec.state is TaskState.QUEUED:
        _put(rec, changed, "state", TaskState.RUNNING)
    if rec.state is TaskState.RUNNING and rec.started_at is None:
        _put(rec, changed, "started_at", p.received_at)
    if rec.state is TaskState.COMPLETED:
        _put(rec, changed, "progress", 100.0)
    if rec.state in TERMINAL_STATES:
        if rec.finished_at is None:
            _put(rec, changed, "finished_at", p.received_at)
        _put(rec, changed, "eta", None)


def _feed_tracker(rec: TaskRecord, p: TaskPatch) -> None:
    finished = rec.state in TERMINAL_STATES
    tracker = rec.tracker
    if tracker is None and not finished:
        # Created at the first news of an unfinished task: a finished tracker only records that
        # it is finished, which a record without one reads as.
        tracker = rec.tracker = EtaTracker()
    if tracker is not None:
        tracker.observe(
            p.received_at,
            p.progress,
            worker_eta=p.eta,
            paused=rec.state is TaskState.PAUSED,
            finished=finished,
        )


def _append_log(rec: TaskRecord, entry: _Entry) -> None:
    rec.log_entries = _appended(rec.log_entries, entry, EVENT_LOG_LIMIT)


def _eviction_order(rec: TaskRecord) -> tuple[float, int]:
    # Finished tasks only: finished_at is set (the store sets it on arrival when not said).
    return (rec.finished_at if rec.finished_at is not None else rec.created_at, rec.seq)


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


def _elapsed(r: TaskRecord) -> float | None:
    # Sorting has no clock: a running task counts up to its last news.
    if r.started_at is None:
        return None
    return (r.finished_at or r.updated_at or r.started_at) - r.started_at


_CREATED: Final = attrgetter("created_at")
_STATE: Final = attrgetter("state")
_ID: Final = attrgetter("id")


@dataclass(frozen=True, slots=True)
class SortKey:
    """How the view sorts by one key.

    Attributes:
        value: The raw value of a record to sort by. For a nullable key None means "empty",
            which sorts last in either direction; other keys never return None.
        moved_by: Record fields whose change can move a row under this sort.
        nullable: Whether ``value`` can return None. Sorting splits the empty ones off and sorts
            the rest by the plain value, about twice as fast at 100k tasks as building a
            (is_none, value) tuple per record (measured 51.6 -> 28.7 ms, bench/bench_store.py).
    """

    value: Callable[[TaskRecord], Any]
    moved_by: frozenset[str]
    nullable: bool = False

    def total(self, rec: TaskRecord) -> Any:
        """A key that orders every record, empty last ascending (the slow reference order)."""
        return _none_last(self.value(rec)) if self.nullable else self.value(rec)


def _key(value: Callable[[TaskRecord], Any], *moved_by: str, nullable: bool = False) -> SortKey:
    return SortKey(value, frozenset(moved_by), nullable)


class TaskColumn(IntEnum):
    """The task table's columns: the one registry they all derive from.

    Each member is one column: its int is the model column (members are numbered in the order
    written), :attr:`key` is its stable name (saved layouts, :meth:`TaskStore.set_sort`) and
    :attr:`sort_key` how the store sorts by it. The Qt half (title, tooltip, width, cell text,
    alignment) is declared once per member in ``monitor.ui.task_model.COLUMN_VIEWS``; adding a
    column is one member here, one entry there, and its translations.
    """

    sort_key: SortKey

    def __new__(cls, sort_key: SortKey) -> TaskColumn:
        value = len(cls.__members__)
        member = int.__new__(cls, value)
        member._value_ = value
        member.sort_key = sort_key
        return member

    NAME = _key(lambda r: r.name.casefold(), "name")
    STATUS = _key(lambda r: _STATE_ORDER[r.state], "state")
    PROGRESS = _key(attrgetter("progress"), "progress")
    ETA = _key(attrgetter("eta"), "eta", nullable=True)
    ELAPSED = _key(_elapsed, "started_at", "finished_at", "updated_at", nullable=True)
    STARTED = _key(attrgetter("started_at"), "started_at", nullable=True)
    FINISHED = _key(attrgetter("finished_at"), "finished_at", nullable=True)
    ID = _key(_ID, "id")
    WORKER = _key(lambda r: r.worker.casefold() if r.worker else None, "worker", nullable=True)
    ATTEMPT = _key(attrgetter("attempt"), "attempt")
    ERROR = _key(lambda r: r.error.message.casefold() if r.error else None, "error", nullable=True)
    KIND = _key(lambda r: r.kind.casefold(), "kind")
    #: The server a task came from (several servers at once: ``monitor.core.servers``).
    SERVER = _key(lambda r: server_of(r.id).casefold(), "id")

    @property
    def key(self) -> str:
        """Stable string key (settings, store sort key)."""
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> TaskColumn | None:
        """The column for ``key`` or None."""
        return cls.__members__.get(key.upper())


#: The store's default order (arrival by creation time), a sort key with no column.
CREATED_ORDER: Final = _key(_CREATED, "created_at")
#: Every sort key by name: the columns' keys and "created".
SORT_ORDERS: Final[dict[str, SortKey]] = {c.key: c.sort_key for c in TaskColumn} | {"created": CREATED_ORDER}
#: Sort keys by column key: a total order of records (None sorts last ascending).
SORT_KEYS: Final[dict[str, Callable[[TaskRecord], Any]]] = {
    k: (s.total if s.nullable else s.value) for k, s in SORT_ORDERS.items()
}
#: For columns that can be empty: the raw value (None when empty).
NULLABLE_KEYS: Final[dict[str, Callable[[TaskRecord], Any]]] = {
    k: s.value for k, s in SORT_ORDERS.items() if s.nullable
}


class TaskStore:
    """All known tasks, their change history, and one sorted, filtered view."""

    def __init__(self) -> None:
        self._tasks: dict[str, TaskRecord] = {}
        self._seq = 0
        self._counts: dict[TaskState, int] = dict.fromkeys(TaskState, 0)
        self._group = StateGroup.ALL
        self._query = Query()
        self._sort_key = "created"
        self._descending = False
        self._view: list[str] | None = None  # None: must be recomputed
        self._view_fields_cache: frozenset[str] | None = None  # fields whose change moves rows
        # Every record in (created_at, arrival) order, the view's tie-break order: sorting 100k
        # records by it for every view took a third of a re-sort. Kept until a task is removed
        # or one arrives (or changes created_at) out of order.
        self._by_created: list[TaskRecord] | None = []
        self._ids_by_created: list[str] | None = []  # the same order, ids only
        # Sum of progress per state, kept as tasks change, so that the tray's mean progress is
        # O(states) on every repaint instead of a walk over every task (9 ms at 100k tasks).
        self._progress_sum: dict[TaskState, float] = dict.fromkeys(TaskState, 0.0)
        # Ids of records from a previous server lifetime (a resync without a snapshot): the next
        # patch for one of them starts a new record instead of merging into the old one.
        self._old_lifetime: set[str] = set()
        # (source, changed fields) -> (sorted fields, log text): every task's log shares them
        # (a text and a tuple per logged change cost 232 B per task at 100k tasks).
        self._log_texts: dict[tuple[str, frozenset[str]], tuple[tuple[str, ...], str]] = {}
        self._limit: int | None = None
        # Ids the user removed from the list ("Remove from list", "Clear finished"): news about
        # them is ignored until the task is active again (retried), so a reconnect's snapshot
        # does not bring them back.
        self._dismissed: set[str] = set()
        # Finished tasks kept locally (the local history): a snapshot that no longer lists them
        # (the server trimmed them) does not remove them; a new lifetime's same id replaces them.
        self._kept: set[str] = set()
        # Kept records read back at start-up: which server lifetime they are from is not known,
        # so the first news about one replaces it whole (a fresh server's task-1 is not ours).
        self._provisional: set[str] = set()
        # The specialised paths (progress deltas, whole new tasks); off only in the test that
        # checks they give what the general path gives.
        self._fast = True

    # ------------------------------------------------------------------ read side

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._tasks

    def get(self, task_id: str) -> TaskRecord | None:
        """The record for ``task_id`` or None."""
        return self._tasks.get(task_id)

    def ids(self) -> list[str]:
        """Every task id in arrival order."""
        return list(self._tasks)

    def counts(self) -> dict[TaskState, int]:
        """Live number of tasks per state."""
        return dict(self._counts)

    def mean_progress(self, states: Iterable[TaskState]) -> float | None:
        """Mean progress of the tasks in ``states`` (None when there are none)."""
        wanted = frozenset(states)
        n = sum(self._counts[s] for s in wanted)
        return sum(self._progress_sum[s] for s in wanted) / n if n else None

    def group_counts(self) -> dict[StateGroup, int]:
        """Live number of tasks per sidebar group."""
        c = self._counts
        return {g: sum(c[s] for s in g.states) for g in StateGroup}

    # ------------------------------------------------------------------ write side

    def is_old_lifetime(self, task_id: str) -> bool:
        """Whether the record is from a previous server lifetime (see :meth:`begin_lifetime`)."""
        return task_id in self._old_lifetime

    def begin_lifetime(self, scope: str = "") -> None:
        """A new server lifetime began and no snapshot follows: every record becomes "old".

        Old records stay visible until the new lifetime speaks of their id; then the new task
        replaces the old record whole (the "finished never goes back" rule holds within one
        lifetime only: a new server's ``task-1`` is not the old one retried).

        Args:
            scope: Only the records whose id starts with this (one server's namespace when
                several share the store, ``monitor.core.servers``); "" is every record.
        """
        self._old_lifetime.update(self.ids_in(scope))

    def replace_all(self, tasks: Sequence[Task], *, received_at: float, scope: str = "") -> list[Change]:
        """Rebuild the store from a new lifetime's snapshot: every old record goes, then the new.

        Unlike :meth:`apply_snapshot`, nothing is merged with what the old server said. Records
        kept locally (:meth:`keep`) stay, as the old lifetime's: a new task with the same id
        replaces one whole. ``scope`` limits the old records to one server's namespace (see
        :meth:`begin_lifetime`); ``tasks`` must already carry that namespace's ids.
        """
        in_scope = self.ids_in(scope)
        changes = self.remove([i for i in in_scope if i not in self._kept])
        self._old_lifetime.difference_update(in_scope)
        self._old_lifetime.update(i for i in in_scope if i in self._kept)
        changes.extend(self.apply(patch_from_task(t, received_at=received_at) for t in tasks))
        return changes

    def ids_in(self, scope: str) -> list[str]:
        """The ids that start with ``scope``, in arrival order (every id for "")."""
        return list(self._tasks) if not scope else [i for i in self._tasks if i.startswith(scope)]

    @property
    def limit(self) -> int | None:
        """The most tasks kept (None: no limit); see :meth:`set_limit`."""
        return self._limit

    def set_limit(self, limit: int | None) -> list[Change]:
        """Keep at most ``limit`` tasks (None: no limit); return the tasks evicted at once.

        Past the limit the oldest *finished* tasks go (by finish time, then arrival), never an
        active one: with more active tasks than the limit, the store holds them all. Each
        eviction goes down to 1 % below the limit, so that a steady stream of new tasks pays
        one scan per hundredth of the limit, not one per task.

        Raises:
            ValueError: For a limit below 1.
        """
        if limit is not None and limit < 1:
            raise ValueError(f"task limit must be at least 1, not {limit}")
        self._limit = limit
        return self._evict()

    def _evict(self) -> list[Change]:
        limit = self._limit
        if limit is None or len(self._tasks) <= limit:
            return []
        if not any(self._counts[s] for s in TERMINAL_STATES):
            return []  # over the limit with active tasks only: no scan per network read
        excess = len(self._tasks) - (limit - limit // 100)
        finished = [r for r in self._tasks.values() if r.state in TERMINAL_STATES]
        oldest = heapq.nsmallest(excess, finished, key=_eviction_order)
        ids = tuple(r.id for r in oldest)
        self._drop(ids)
        return [Evicted(ids, limit)]

    def apply(self, patches: Iterable[TaskPatch]) -> list[Change]:
        """Apply patches in order; return what changed (consecutive adds merged).

        New tasks past the limit (:meth:`set_limit`) evict old finished ones: an
        :class:`Evicted` change at the end.
        """
        changes = self._apply(patches)
        if self._limit is not None and len(self._tasks) > self._limit:
            changes.extend(self._evict())
        return changes

    def _apply(self, patches: Iterable[TaskPatch]) -> list[Change]:
        changes: list[Change] = []
        added: list[str] = []  # consecutive adds, merged (a list: tuple concat would be quadratic)
        old_lifetime = self._old_lifetime
        tasks = self._tasks
        dismissed = self._dismissed
        for patch in patches:
            if dismissed and patch.id in dismissed:
                if patch.state is None or patch.state in TERMINAL_STATES:
                    continue  # removed by the user, and still over
                dismissed.discard(patch.id)  # active again (retried): it is news again
            # The hot path: a progress delta for a running task (9 events in 10 on a busy stream).
            if (
                patch.delta
                and (rec := tasks.get(patch.id)) is not None
                and rec.state is _RUNNING
                and self._fast
            ):
                if rec.started_at is not None and not (old_lifetime and patch.id in old_lifetime):
                    update = self._apply_delta(rec, patch)
                    if update is not None:
                        if added:
                            changes.append(Added(tuple(added)))
                            added = []
                        changes.append(update)
                    continue
            if (old_lifetime and patch.id in old_lifetime) or (
                self._provisional and patch.id in self._provisional
            ):
                old_lifetime.discard(patch.id)
                self._provisional.discard(patch.id)
                if added:
                    changes.append(Added(tuple(added)))
                    added = []
                changes.extend(self.remove((patch.id,)))
            change = self._apply_one(patch)
            if change is None:
                continue
            if isinstance(change, Added):
                added.extend(change.ids)
                continue
            if added:
                changes.append(Added(tuple(added)))
                added = []
            changes.append(change)
        if added:
            changes.append(Added(tuple(added)))
        return changes

    def apply_snapshot(self, tasks: Sequence[Task], *, received_at: float, scope: str = "") -> list[Change]:
        """Reconcile with a full snapshot: add, update, and remove tasks the server no longer has.

        ``scope``: only the records of that namespace can go (see :meth:`begin_lifetime`).
        """
        present = {t.id for t in tasks}
        kept = self._kept
        gone = tuple(tid for tid in self.ids_in(scope) if tid not in present and tid not in kept)
        changes = self._apply(patch_from_task(t, received_at=received_at) for t in tasks)
        if gone:
            self._drop(gone)
            changes.append(Removed(gone))
        changes.extend(self._evict())
        return changes

    # ------------------------------------------------------------------ local keeping

    def keep(self, ids: Iterable[str]) -> None:
        """Keep these tasks when a snapshot no longer lists them (the local history has them)."""
        self._kept.update(i for i in ids if i in self._tasks)

    def load_kept(self, tasks: Sequence[Task], *, received_at: float) -> list[Change]:
        """Add finished tasks read back from the local history, kept (:meth:`keep`).

        Ids already listed or removed by the user are skipped. Until the server speaks of one,
        it is provisional: the first news about its id replaces it whole, since a server started
        afresh may have given the id to another task.
        """
        fresh = [t for t in tasks if t.id not in self._tasks and t.id not in self._dismissed]
        changes = self._apply(patch_from_task(t, received_at=received_at, source="history") for t in fresh)
        ids = [t.id for t in fresh if t.id in self._tasks]
        self._kept.update(ids)
        self._provisional.update(ids)
        changes.extend(self._evict())
        return changes

    def is_kept(self, task_id: str) -> bool:
        """Whether the record is kept locally (see :meth:`keep`)."""
        return task_id in self._kept

    def dismiss(self, ids: Iterable[str]) -> list[Change]:
        """Remove tasks from the list and ignore news about them until they are active again."""
        wanted = list(dict.fromkeys(ids))
        self._dismissed.update(wanted)
        return self.remove(wanted)

    def set_dismissed(self, ids: Iterable[str]) -> None:
        """The ids removed earlier (read back at start-up): their news is ignored (see :meth:`dismiss`)."""
        self._dismissed = set(ids)

    @property
    def dismissed(self) -> frozenset[str]:
        """The ids whose news is ignored."""
        return frozenset(self._dismissed)

    def remove(self, ids: Iterable[str]) -> list[Change]:
        """Remove tasks from the list locally (the server is not told)."""
        gone = tuple(tid for tid in dict.fromkeys(ids) if tid in self._tasks)
        if not gone:
            return []
        self._drop(gone)
        return [Removed(gone)]

    def _drop(self, ids: Iterable[str]) -> None:
        for tid in ids:
            self._old_lifetime.discard(tid)
            self._kept.discard(tid)
            self._provisional.discard(tid)
            rec = self._tasks.pop(tid)
            self._counts[rec.state] -= 1
            self._untrack_progress(rec.state, rec.progress)
        self._view = None
        self._by_created = self._ids_by_created = None

    def _untrack_progress(self, state: TaskState, progress: float) -> None:
        if self._counts[state]:
            self._progress_sum[state] -= progress
        else:
            self._progress_sum[state] = 0.0  # no float drift survives an empty state

    def _log(self, rec: TaskRecord, patch: TaskPatch, text: str) -> None:
        _append_log(rec, (patch.received_at, patch.source, text, patch.updated_at))

    def _apply_delta(self, rec: TaskRecord, p: TaskPatch) -> Updated | None:
        """:meth:`_apply_one` for a progress delta (``p.delta``) to a running, started task.

        The same rules, specialised: such news is never stale (the task is not finished and the
        patch is not a snapshot), implies nothing (the task runs and has started) and is never
        logged (it changes only hot fields). What is left: copy up to four fields, feed the ETA
        tracker, keep the progress sums and the view's validity.
        """
        mask = 0
        old_progress = rec.progress
        value = p.progress
        if value is not None and value != old_progress:
            rec.progress = value
            mask = 1
        if (stage := p.stage) is not None and stage != rec.stage:
            rec.stage = stage
            mask |= 2
        if (value := p.eta) is not None and value != rec.eta:
            rec.eta = value
            mask |= 4
        if (value := p.updated_at) is not None and value != rec.updated_at:
            rec.updated_at = value
            mask |= 8
        if not mask:
            return None
        if mask & 5:  # progress or eta: the tracker's inputs
            tracker = rec.tracker
            if tracker is None:
                tracker = rec.tracker = EtaTracker()
            tracker.observe(p.received_at, p.progress, worker_eta=p.eta, paused=False, finished=False)
            if mask & 1:
                sums = self._progress_sum
                sums[_RUNNING] -= old_progress
                sums[_RUNNING] += rec.progress
        fields = _DELTA_FIELDS[mask]
        if self._view is not None and not fields.isdisjoint(self._view_fields()):
            self._view = None
        return Updated(p.id, fields, _RUNNING, _RUNNING)

    def _apply_one(self, p: TaskPatch) -> Change | None:
        rec = self._tasks.get(p.id)
        if p.removed:
            if rec is None:
                return None
            self._drop((p.id,))
            return Removed((p.id,))
        if rec is None:
            return self._add(p)
        old_state = rec.state
        old_progress = rec.progress
        changed = self._merge(rec, p)
        if not changed:
            return None
        if "state" in changed:
            self._counts[old_state] -= 1
            self._counts[rec.state] += 1
        if "state" in changed or "progress" in changed:
            self._untrack_progress(old_state, old_progress)
            self._progress_sum[rec.state] += rec.progress
        if "created_at" in changed:
            self._by_created = self._ids_by_created = None
        if self._view is not None and not changed.isdisjoint(self._view_fields()):
            self._view = None
        return Updated(p.id, frozenset(changed), old_state, rec.state)

    def _view_fields(self) -> frozenset[str]:
        if self._view_fields_cache is None:
            self._view_fields_cache = frozenset(self._compute_view_fields())
        return self._view_fields_cache

    def _compute_view_fields(self) -> set[str]:
        fields = {"state"} if self._group is not StateGroup.ALL or not self._query.is_empty else set()
        if not self._query.is_empty:
            fields |= {"name", "worker", "kind"}
        return fields | SORT_ORDERS[self._sort_key].moved_by

    def _add(self, p: TaskPatch) -> Added:
        self._seq += 1
        if p.full and self._fast and None not in _NEW_REQUIRED(p):
            rec = self._add_whole(p)  # every task of a snapshot: no merge into a blank record
            state = rec.state
        else:
            state = (
                p.state
                if p.state is not None
                else (TaskState.RUNNING if p.progress is not None else TaskState.QUEUED)
            )
            rec = TaskRecord(
                id=p.id,
                name=p.name if p.name is not None else local_id(p.id),  # the server's id, not ours
                state=state,
                created_at=p.created_at if p.created_at is not None else p.received_at,
                placeholder=p.name is None,
                seq=self._seq,
            )
            self._tasks[p.id] = rec
            self._counts[state] += 1
            rec.timeline_entries = (p.received_at, p.source, state.value, p.updated_at)
            self._merge(rec, p, new=True)
        if rec.state is not state:
            self._counts[state] -= 1
            self._counts[rec.state] += 1
        # Whole percents are common (and 0 and 100 always): one shared float each, 24 B a task.
        rec.progress = _PERCENTS.get(rec.progress, rec.progress)
        self._progress_sum[rec.state] += rec.progress
        by_created, ids_by_created = self._by_created, self._ids_by_created
        if by_created is not None and ids_by_created is not None:
            if not by_created or by_created[-1].created_at <= rec.created_at:
                by_created.append(rec)  # the usual case: the newest task arrives last
                ids_by_created.append(rec.id)
            else:
                self._by_created = self._ids_by_created = None
        self._view = None
        return Added((p.id,))

    def _add_whole(self, p: TaskPatch) -> TaskRecord:
        """:meth:`_add`'s record for a full patch that says every required field, built whole.

        The same result as merging the patch into a blank record (the test of the specialised
        paths checks it): the fields that differ from a blank record's are the changes logged.
        """
        state = p.state
        assert state is not None  # checked by the caller (_NEW_REQUIRED)
        rec = TaskRecord(
            p.id, p.name, p.kind, state, p.progress, p.stage, p.eta, p.created_at,  # type: ignore[arg-type]
            p.started_at, p.finished_at, p.updated_at, p.attempt, p.worker,  # type: ignore[arg-type]
            p.result if p.result_set else None, p.error, p.metadata or _NO_METADATA, False, self._seq,
        )  # fmt: skip
        self._tasks[p.id] = rec
        self._counts[state] += 1
        rec.timeline_entries = (p.received_at, p.source, state.value, p.updated_at)
        changed = {n for n, v, blank in zip(_NEW_FIELDS, _NEW_VALUES(p), _BLANK, strict=True) if v != blank}
        if p.result_set:
            changed.add("result")
        if state is not TaskState.RUNNING or rec.started_at is None:
            _imply(rec, p, changed)
        self._log_changes(rec, p, changed, True)
        _feed_tracker(rec, p)
        return rec

    def _merge(self, rec: TaskRecord, p: TaskPatch, *, new: bool = False) -> set[str]:
        """Fold ``p`` into ``rec``; return the names of fields that changed.

        The steps: refuse stale news, start a retry clean, copy the fields the patch says, apply
        the seeds' implied changes, then log a meaningful change and feed the ETA tracker.
        """
        changed: set[str] = set()
        retry = p.attempt is not None and p.attempt > rec.attempt
        # Only news for a finished task, or a full snapshot, can be stale: a progress tick for a
        # running task (the hot path) skips the call.
        if not (new or retry) and (p.full or rec.state in TERMINAL_STATES) and self._is_stale(rec, p):
            return changed
        if retry:
            # A new attempt starts clean: old error, result and finish time no longer apply.
            _put(rec, changed, "attempt", p.attempt)
            _put(rec, changed, "error", None)
            _put(rec, changed, "finished_at", None)
            rec.result = None
        # The per-event path: inline, both sides' values read in one C call each.
        full = p.full
        for name, value, old in zip(_FIELDS, _FIELD_VALUES(p), _FIELD_VALUES(rec), strict=True):
            if value is None and (not full or name not in _CLEARABLE):
                continue  # None means "not said", except for fields a full snapshot may clear
            if old != value:
                setattr(rec, name, value)
                changed.add(name)
        if p.name is not None:
            rec.placeholder = False
        if p.result_set:
            rec.result = p.result
            changed.add("result")
        if p.metadata:
            rec.metadata = p.metadata  # validated news, never mutated: kept, not copied
        if rec.state is not TaskState.RUNNING or rec.started_at is None:  # else nothing is implied
            _imply(rec, p, changed)
        # Progress ticks are the hot path (thousands/s): logging each would keep up to
        # EVENT_LOG_LIMIT objects per task alive and make the GC's full collections stall the UI
        # (measured 60-70 ms at 10k tasks). The log keeps the meaningful changes only.
        if new or not changed <= _HOT_FIELDS:
            self._log_changes(rec, p, changed, new)
        if new or not changed.isdisjoint(_ETA_INPUTS):
            _feed_tracker(rec, p)
        return changed

    def _is_stale(self, rec: TaskRecord, p: TaskPatch) -> bool:
        """Whether ``p`` is older news than ``rec`` shows (logged when so); retries never are."""
        if rec.state in TERMINAL_STATES and (p.state is None or p.state not in TERMINAL_STATES):
            self._log(rec, p, "ignored: stale news for a finished task")
            return True
        if (
            p.full
            and p.updated_at is not None
            and rec.updated_at is not None
            and p.updated_at < rec.updated_at
            and (p.attempt or 1) == rec.attempt
        ):
            self._log(rec, p, "ignored: older than what is shown")
            return True
        return False

    def _log_changes(self, rec: TaskRecord, p: TaskPatch, changed: set[str], new: bool) -> None:
        """Write a meaningful change to the event log, and a new state to the timeline."""
        if "state" in changed and not new:
            entry = (p.received_at, p.source, rec.state.value, p.updated_at)
            rec.timeline_entries = _appended(rec.timeline_entries, entry)
        key = (p.source, frozenset(changed))
        shared = self._log_texts.get(key)
        if shared is None:
            fields = tuple(sorted(changed))
            shared = (fields, f"{p.source or 'news'}: {', '.join(fields) or 'no change'}")
            if len(self._log_texts) < _LOG_TEXTS_MAX:
                self._log_texts[key] = shared
        _append_log(rec, (p.received_at, p.source, shared[1], p.updated_at, shared[0]))

    # ------------------------------------------------------------------ the view

    @property
    def group(self) -> StateGroup:
        """The sidebar group the view shows."""
        return self._group

    @property
    def query(self) -> Query:
        """The search query the view applies."""
        return self._query

    @property
    def sort(self) -> tuple[str, bool]:
        """(sort key, descending)."""
        return self._sort_key, self._descending

    def set_filter(self, group: StateGroup | None = None, query: Query | None = None) -> None:
        """Change the view's filter (either part; None keeps it)."""
        if group is not None:
            self._group = group
        if query is not None:
            self._query = query
        self._view = None
        self._view_fields_cache = None

    def set_sort(self, key: str, descending: bool = False) -> None:
        """Sort the view by ``key`` (one of :data:`SORT_ORDERS`).

        Raises:
            KeyError: For an unknown key (a programming error, not user input).
        """
        if key not in SORT_ORDERS:
            raise KeyError(key)
        self._sort_key, self._descending = key, descending
        self._view = None
        self._view_fields_cache = None

    @property
    def view_dirty(self) -> bool:
        """True when the next :meth:`view_rows` recomputes the order."""
        return self._view is None

    def view_rows(self) -> list[str]:
        """The ids the view shows, in order (cached until something relevant changes).

        The list is the store's cache and is never modified afterwards: callers may keep it, and
        must not modify it.
        """
        if self._view is None:
            self._view = self._compute_view()
        return self._view

    def _compute_view(self) -> list[str]:
        # At 100k tasks every per-record Python step costs milliseconds, and so does every read
        # of a record (they are scattered in memory). So: filters and keys go through
        # map/compress with C-level callables, each key is computed once, positions are sorted
        # by key, and the ids come from a list kept in created order, not from the records.
        if self._by_created is None or self._ids_by_created is None:
            # Records are stored in arrival (seq) order, so a stable sort by created_at keeps seq
            # as the final tie-break without building tuples.
            self._by_created = sorted(self._tasks.values(), key=_CREATED)
            self._ids_by_created = list(map(_ID, self._by_created))
        recs: list[TaskRecord] = self._by_created
        ids: list[str] = self._ids_by_created
        if self._group is not StateGroup.ALL:
            mask = list(map(self._group.states.__contains__, map(_STATE, recs)))
            recs, ids = list(compress(recs, mask)), list(compress(ids, mask))
        if not self._query.is_empty:
            mask = list(map(self._query.matches, recs))
            recs, ids = list(compress(recs, mask)), list(compress(ids, mask))
        order_by = SORT_ORDERS[self._sort_key]
        if order_by.nullable:
            keys = list(map(order_by.value, recs))
            has = list(map(is_not, keys, repeat(None)))
            present_keys = list(compress(keys, has))
            present_ids = list(compress(ids, has))
            # Stable: ties keep the created order, also with reverse=True.
            order = sorted(range(len(present_keys)), key=present_keys.__getitem__, reverse=self._descending)
            out = list(map(present_ids.__getitem__, order))
            if len(present_keys) != len(keys):
                out += compress(ids, map(not_, has))  # empty last either way
            return out
        key = order_by.value
        if key is _CREATED and not self._descending:
            return list(ids)  # a copy: the created-order list grows in place
        # Every key that can be empty went through the nullable path above: these never see None.
        return list(map(_ID, sorted(recs, key=key, reverse=self._descending)))
