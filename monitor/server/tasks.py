"""The server's task registry: the one place where task state transitions are validated and published.

Every accepted change is stored (:class:`TaskStorage`), published as exactly one event through the
injected :class:`~monitor.server.log.Publisher`, and then handed to listeners. Event types:

* ``task_created`` / ``task_updated`` / ``task_complete`` / ``task_failed`` / ``task_cancelled``
  with ``TaskSnapshotEvent(task=...)`` JSON (the whole task after the change);
* ``task_progress`` with a :class:`~monitor.core.protocol.TaskProgress` delta when only progress,
  stage or eta changed (the hot path: a small payload several times a second per task);
* ``task_removed`` with :class:`~monitor.core.protocol.TaskRemoved`.

Transition rules (anything else raises :class:`InvalidTransition` naming from-state, to-state and why):

Worker reports (:meth:`TaskService.apply_report`):
    ``started``: queued/running -> running. ``progress``: queued -> running (an implicit start:
    seed-000 workers only send progress); running/paused/cancelling keep their state (a late
    progress report while pausing or cancelling is still true news). ``paused``: queued/running ->
    paused. ``resumed``: paused/queued -> running. ``completed``: any live state -> completed
    (a job that finished while a cancel was on its way did finish). ``failed`` / ``cancelled``:
    any live state. Nothing is accepted on a terminal task: it has to be retried first.

Commands (:meth:`TaskService.request`):
    ``cancel``: queued/paused -> cancelled at once, running -> cancelling (the worker or the demo
    finishes it with a ``cancelled`` report). ``pause``: queued/running -> paused. ``resume``:
    paused -> running if the attempt had started and a running slot is free (see below), else
    queued. ``retry``: failed/cancelled -> queued with attempt+1 and progress, stage, eta, error,
    result, started_at, finished_at reset.

Running limit (:attr:`TaskService.max_running`, None = none): with a limit, the server's own
decisions never take running and cancelling tasks beyond it: a resume beyond it goes back to
queued (the task keeps its progress and ``started_at`` and runs again when a slot frees), and the
demo's dispatcher starts a job only into a free slot. Before this, resuming paused tasks whose
slots had been given to queued ones ran 6 tasks with a demo concurrency of 3. A worker's report is
a fact, not a request: a worker that says it started a task is believed even beyond the limit
(refusing it would only make the server's view wrong while the work goes on).

Progress never goes backwards within one attempt: a lower value (reports that overtook each
other, a worker restarting a stage) is kept at the higher one, while stage and eta still update.
A retry starts again from 0, as does a report with a higher ``attempt`` (a job system that
retried on its own, such as Celery). ``started_at`` is the start of the current attempt, ``finished_at``
is set on terminal states, ``updated_at`` on every change.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final, Protocol, TypeVar

from monitor.core.lifecycle import ACTION_STATES, ACTIVE_STATES, action_applies
from monitor.core.protocol import (
    TASK_EVENT_TYPES,
    TERMINAL_STATES,
    CommandAction,
    EventType,
    Task,
    TaskError,
    TaskProgress,
    TaskRemoved,
    TaskSnapshotEvent,
    TaskState,
    TaskSubmit,
    WorkerReport,
    WorkerReportKind,
)
from monitor.server.log import EventLog, LogRecord, LogWriteError, Publisher, parse_cursor

__all__ = [
    "EVENTS_PER_TASK",
    "DuplicateTask",
    "InMemoryTaskStorage",
    "InvalidTransition",
    "RemovalListener",
    "TaskListener",
    "TaskNotFound",
    "TaskService",
    "TaskStorage",
    "event_task_id",
    "tasks_from_json",
]

_log = logging.getLogger(__name__)

#: Called after every change (after the event is published) with ``(new, old)``; ``old`` is None
#: for a created task.
TaskListener = Callable[[Task, Task | None], None]
#: Called after a task was removed (after ``task_removed`` is published) with the last snapshot.
RemovalListener = Callable[[Task], None]
_Listener = TypeVar("_Listener", TaskListener, RemovalListener)

_LIVE = ACTIVE_STATES
#: Newest events per task that ``GET /api/tasks/{id}`` lists (the task's event index keeps these).
EVENTS_PER_TASK: Final = 200
#: States that hold one of the :attr:`TaskService.max_running` slots.
_SLOT_STATES: Final = frozenset({TaskState.RUNNING, TaskState.CANCELLING})
#: A refused state command: the state it would have reached, what it does, and the states it
#: needs (in words, from the one table in monitor.core.lifecycle).
_REFUSAL: Final = {
    action: (target, done, " or ".join(sorted(s.value for s in ACTION_STATES[action])))
    for action, target, done in (
        (CommandAction.CANCEL, "cancelled", "cancelled"),
        (CommandAction.PAUSE, "paused", "paused"),
        (CommandAction.RESUME, "resumed", "resumed"),
        (CommandAction.RETRY, "queued", "retried"),
    )
}

_TERMINAL_EVENT = {
    TaskState.COMPLETED: EventType.TASK_COMPLETE,
    TaskState.FAILED: EventType.TASK_FAILED,
    TaskState.CANCELLED: EventType.TASK_CANCELLED,
}


class TaskNotFound(LookupError):
    """No task with that id."""


class InvalidTransition(ValueError):
    """A report or command that the task's current state does not allow.

    Attributes:
        task_id: The task.
        from_state: Its state.
        to_state: What was asked for (a state name or an action).
        reason: Why it is refused.
    """

    def __init__(self, task_id: str, from_state: TaskState, to_state: str, reason: str) -> None:
        """Build the error; the message says from-state, to-state and why."""
        self.task_id = task_id
        self.from_state = from_state
        self.to_state = to_state
        self.reason = reason
        super().__init__(f"task {task_id!r}: cannot go from {from_state.value} to {to_state}: {reason}")


class DuplicateTask(ValueError):
    """``create`` with an id that is already taken."""


class TaskStorage(Protocol):
    """Where tasks live across restarts. Calls are synchronous and quick (SQLite or a dict)."""

    def load(self) -> list[Task]:
        """Return every stored task."""
        ...

    def save(self, task: Task) -> None:
        """Insert or replace ``task``."""
        ...

    def delete(self, task_id: str) -> None:
        """Forget ``task_id`` (no error if absent)."""
        ...


def tasks_from_json(texts: Iterable[str]) -> list[Task]:
    """Tasks from stored JSON rows; a row that no longer validates (an older schema) is skipped."""
    out: list[Task] = []
    for text in texts:
        try:
            out.append(Task.model_validate_json(text))
        except ValueError:
            continue
    return out


class InMemoryTaskStorage:
    """The default :class:`TaskStorage`: a dict, gone with the process."""

    def __init__(self, tasks: list[Task] | None = None) -> None:
        """Start with ``tasks`` (tests use this to simulate a restart)."""
        self._tasks: dict[str, Task] = {t.id: t for t in tasks or []}

    def load(self) -> list[Task]:
        """Return every stored task."""
        return list(self._tasks.values())

    def save(self, task: Task) -> None:
        """Insert or replace ``task``."""
        self._tasks[task.id] = task

    def delete(self, task_id: str) -> None:
        """Forget ``task_id``."""
        self._tasks.pop(task_id, None)


class TaskService:
    """Registry of tasks; validates, stores and publishes every change.

    Args:
        publisher: Where events go (the hub / event log).
        clock: Unix-seconds clock for ``created_at``, ``updated_at`` and friends.
        store: Persistent storage; tasks it holds are loaded at construction (a restart keeps them).
            Defaults to :class:`InMemoryTaskStorage`.
    """

    def __init__(
        self,
        publisher: Publisher,
        *,
        clock: Callable[[], float] = time.time,
        store: TaskStorage | None = None,
        max_running: int | None = None,
    ) -> None:
        """See the class docstring."""
        if max_running is not None and max_running < 1:
            raise ValueError("max_running must be at least 1")
        #: Most tasks running (or cancelling) at once; None: no limit (workers decide).
        self.max_running = max_running
        self._publisher = publisher
        self._clock = clock
        self._store: TaskStorage = store if store is not None else InMemoryTaskStorage()
        loaded = sorted(self._store.load(), key=lambda t: t.created_at)
        self._tasks: dict[str, Task] = {t.id: t for t in loaded}
        self._listeners: list[TaskListener] = []
        self._removal_listeners: list[RemovalListener] = []
        # Task id -> sequence numbers of its newest events: GET /api/tasks/{id} reads those by
        # key instead of scanning the log (issue 13 item 14). Seqs of a rolled-back burst may
        # linger (and be reused): readers check that the record read back is this task's.
        self._event_seqs: dict[str, deque[int]] = {}
        # One change at a time, from validation to publish: the event order on the wire is then
        # exactly the order of the changes, and two concurrent commands on one task cannot both
        # validate against the same old state.
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ read side

    def get(self, task_id: str) -> Task | None:
        """Return the task or None."""
        return self._tasks.get(task_id)

    def all(self) -> list[Task]:
        """Return every task ordered by ``created_at`` (ties: creation order)."""
        return sorted(self._tasks.values(), key=lambda t: t.created_at)

    def __len__(self) -> int:
        """Number of tasks."""
        return len(self._tasks)

    def running_count(self) -> int:
        """Tasks that hold a running slot (running or cancelling)."""
        return sum(1 for t in self._tasks.values() if t.state in _SLOT_STATES)

    def slot_free(self) -> bool:
        """Whether one more task may start under :attr:`max_running`."""
        return self.max_running is None or self.running_count() < self.max_running

    def event_seqs(self, task_id: str) -> list[int]:
        """Log sequence numbers of the task's newest events (at most :data:`EVENTS_PER_TASK`)."""
        return list(self._event_seqs.get(task_id, ()))

    def index_log(self, log: EventLog, page: int = 1000) -> int:
        """Build the event index from the retained log (once, at start-up); returns events indexed.

        A log that can name each event's task itself (``task_event_owners``, SQLite's JSON
        functions) is asked for that; any other log is read page by page and parsed here.
        """
        self._event_seqs.clear()
        owners = getattr(log, "task_event_owners", None)
        pairs = owners(TASK_EVENT_TYPES) if callable(owners) else _task_event_owners(log, page)
        indexed = 0
        for seq, task_id in pairs:
            if task_id in self._tasks:
                self._note_event(task_id, seq)
                indexed += 1
        return indexed

    def _note_event(self, task_id: str, seq: int) -> None:
        seqs = self._event_seqs.get(task_id)
        if seqs is None:
            seqs = self._event_seqs[task_id] = deque(maxlen=EVENTS_PER_TASK)
        seqs.append(seq)

    def _note_published(self, task_id: str, event_id: str) -> None:
        parsed = parse_cursor(event_id)
        if parsed is not None:
            self._note_event(task_id, parsed[1])

    def reload(self) -> None:
        """Forget in-memory changes and take the tasks from storage again.

        Called when the storage rolled back a burst (a failed commit): memory must not keep a
        change that the file and the event log no longer have.
        """
        loaded = sorted(self._store.load(), key=lambda t: t.created_at)
        self._tasks = {t.id: t for t in loaded}

    def adopt(self, event: LogRecord, saved: Sequence[Task], removed: Sequence[str]) -> None:
        """Take over changes another replica made with ``event`` (stored and published there, in
        log order).

        Only the cache follows: nothing is stored, published or validated again here.
        """
        for task in saved:
            self._tasks[task.id] = task
            self._note_published(task.id, event.id)  # its event, for GET /api/tasks/{id}
        for task_id in removed:
            self._tasks.pop(task_id, None)
            self._event_seqs.pop(task_id, None)

    def add_listener(self, listener: TaskListener) -> Callable[[], None]:
        """Call ``listener(new, old)`` after every change; returns a function that unsubscribes."""
        return _subscribe(self._listeners, listener)

    def add_removal_listener(self, listener: RemovalListener) -> Callable[[], None]:
        """Call ``listener(task)`` after a task is removed; returns a function that unsubscribes."""
        return _subscribe(self._removal_listeners, listener)

    # ------------------------------------------------------------------ write side

    async def create(self, submit: TaskSubmit) -> Task:
        """Register a new queued task and publish ``task_created``.

        Raises:
            DuplicateTask: ``submit.id`` is already used.
        """
        async with self._lock:
            task_id = submit.id or "task_" + secrets.token_hex(8)
            if task_id in self._tasks:
                raise DuplicateTask(f"task {task_id!r} already exists")
            now = self._now()
            task = Task(
                id=task_id,
                name=submit.name,
                kind=submit.kind,
                metadata=dict(submit.metadata),
                created_at=now,
                updated_at=now,
            )
            await self._commit(task, None, EventType.TASK_CREATED)
        self._notify(task, None)
        return task

    async def apply_report(self, task_id: str, report: WorkerReport) -> Task:
        """Apply a worker's news (see the module docstring for the rules).

        Returns:
            The task after the change (unchanged if the report changed nothing).

        Raises:
            TaskNotFound: Unknown id.
            InvalidTransition: The report does not fit the task's state.
        """
        async with self._lock:
            old = self._require(task_id)
            new = self._after_report(old, report)
            if new is None:
                return old
            kind = self._event_for(old, new)
            await self._commit(new, old, kind)
        self._notify(new, old)
        return new

    async def request(self, task_id: str, action: CommandAction) -> Task:
        """Apply a user command: cancel, pause, resume or retry (see the module docstring).

        Raises:
            TaskNotFound: Unknown id.
            InvalidTransition: The action does not fit the task's state, or is not a task action.
        """
        async with self._lock:
            old = self._require(task_id)
            new = self._after_request(old, action)
            kind = self._event_for(old, new)
            await self._commit(new, old, kind)
        self._notify(new, old)
        return new

    async def remove(self, task_id: str) -> None:
        """Forget a task in any state and publish ``task_removed``.

        Raises:
            TaskNotFound: Unknown id.
        """
        async with self._lock:
            old = self._require(task_id)
            self._store.delete(task_id)
            del self._tasks[task_id]
            self._event_seqs.pop(task_id, None)
            data = TaskRemoved(id=task_id).model_dump_json()
            await self._publish_or_restore(EventType.TASK_REMOVED, data, task_id, old)
        _call_each(self._removal_listeners, "task removal listener", old)

    # ------------------------------------------------------------------ internals

    def _now(self) -> float:
        # Clamped at 0 because the model refuses negative timestamps (a test clock may start at 0).
        return max(0.0, float(self._clock()))

    def _require(self, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise TaskNotFound(f"unknown task {task_id!r}")
        return task

    def _after_report(self, old: Task, report: WorkerReport) -> Task | None:
        # The steps: refuse news on a finished task, take the reported fields, find the state the
        # report leads to (refusing what the state does not allow), stamp the times.
        state = old.state
        if state in TERMINAL_STATES:
            raise InvalidTransition(
                old.id, state, report.kind.value, f"the task is already {state.value}; retry it first"
            )
        now = self._now()
        changes = _reported_fields(old, report)
        target = _report_target(old, report, changes)
        if target is not state:
            changes["state"] = target
        if target is TaskState.RUNNING and old.started_at is None:
            changes["started_at"] = now
        if target in TERMINAL_STATES:
            changes["finished_at"] = now
        if all(getattr(old, k) == v for k, v in changes.items()):
            return None  # a pure repeat: nothing to publish
        changes["updated_at"] = now
        return old.model_copy(update=changes)

    def _after_request(self, old: Task, action: CommandAction) -> Task:
        state = old.state
        if action not in ACTION_STATES:
            raise InvalidTransition(old.id, state, action.value, "not a task state command")
        if not action_applies(action, state):
            target, done, allowed = _REFUSAL[action]
            raise InvalidTransition(
                old.id, state, target, f"only {allowed} tasks can be {done} (the task is {state.value})"
            )
        now = self._now()
        changes: dict[str, object] = {"updated_at": now}
        if action is CommandAction.CANCEL:
            if state is TaskState.RUNNING:
                changes["state"] = TaskState.CANCELLING  # the worker stops it and reports
            else:
                changes.update(state=TaskState.CANCELLED, finished_at=now, eta=None)
        elif action is CommandAction.PAUSE:
            changes.update(state=TaskState.PAUSED, eta=None)
        elif action is CommandAction.RESUME:
            # Beyond the running limit a started task waits in the queue, keeping its progress.
            started = old.started_at is not None and self.slot_free()
            changes["state"] = TaskState.RUNNING if started else TaskState.QUEUED
        else:  # retry
            changes.update(
                state=TaskState.QUEUED,
                attempt=old.attempt + 1,
                progress=0.0,
                stage=None,
                eta=None,
                error=None,
                result=None,
                started_at=None,
                finished_at=None,
            )
        return old.model_copy(update=changes)

    @staticmethod
    def _event_for(old: Task, new: Task) -> EventType:
        if new.state is not old.state:
            return _TERMINAL_EVENT.get(new.state, EventType.TASK_UPDATED)
        same = all(
            getattr(old, f) == getattr(new, f)
            for f in Task.model_fields
            if f not in ("progress", "stage", "eta", "updated_at")
        )
        return EventType.TASK_PROGRESS if same else EventType.TASK_UPDATED

    async def _commit(self, new: Task, old: Task | None, kind: EventType) -> None:
        # Store first: if storage fails, nothing was published and memory still holds the old task.
        self._store.save(new)
        self._tasks[new.id] = new
        if kind is EventType.TASK_PROGRESS:
            data = TaskProgress(
                id=new.id, progress=new.progress, stage=new.stage, eta=new.eta, at=new.updated_at
            ).model_dump_json()
        else:
            data = TaskSnapshotEvent.of(new, kind)
        self._note_published(new.id, await self._publish_or_restore(kind, data, new.id, old))

    async def _publish_or_restore(self, kind: EventType, data: str, task_id: str, old: Task | None) -> str:
        """Publish and return the event id; if the log refuses, memory goes back to ``old`` (the
        storage did not keep the change either: a shared log writes the row with the event, in
        one script)."""
        try:
            return await self._publisher.publish(kind.value, data, stamp_id=True)
        except LogWriteError:
            if old is None:
                self._tasks.pop(task_id, None)
            else:
                self._tasks[task_id] = old
            raise

    def _notify(self, new: Task, old: Task | None) -> None:
        _call_each(self._listeners, "task listener", new, old)


def event_task_id(event_type: str, data: object) -> str | None:
    """The task a logged task event is about (``data`` parsed from JSON), or None.

    Task news names its task in ``jobId`` (``id`` is the event's own id), a full snapshot in
    ``task.id``; older logged events (a SQLite log kept across an upgrade) had it in ``id``.
    """
    if event_type not in TASK_EVENT_TYPES or not isinstance(data, dict):
        return None
    inner = data.get("task")
    ident = inner.get("id") if isinstance(inner, dict) else data.get("jobId", data.get("id"))
    return ident if isinstance(ident, str) else None


def _task_event_owners(log: EventLog, page: int) -> Iterator[tuple[int, str]]:
    """``(seq, task id)`` of every retained broadcast task event, read and parsed page by page."""
    cursor: str | None = None
    while True:
        records = log.read_after(cursor, page)
        if not isinstance(records, list) or not records:
            return
        for rec in records:
            if rec.target is not None or rec.type not in TASK_EVENT_TYPES:
                continue
            try:
                task_id = event_task_id(rec.type, json.loads(rec.data))
            except ValueError:
                continue
            if task_id is not None:
                yield rec.seq, task_id
        cursor = records[-1].id


def _subscribe(listeners: list[_Listener], listener: _Listener) -> Callable[[], None]:
    """Add ``listener`` to ``listeners``; return a function that removes it (at most once)."""
    listeners.append(listener)

    def unsubscribe() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return unsubscribe


def _call_each(listeners: Sequence[Callable[..., None]], what: str, *args: object) -> None:
    """Call every listener with ``args``; one that raises is logged and the rest still run."""
    for listener in list(listeners):
        try:
            listener(*args)
        except Exception:  # noqa: BLE001 - a listener may raise anything; it must not break us
            # A broken listener (the demo, a metrics hook) must never break publishing.
            _log.exception("%s %r failed", what, listener)


def _reported_fields(old: Task, report: WorkerReport) -> dict[str, object]:
    """The fields a report sets whatever its kind (only those it carries)."""
    changes: dict[str, object] = {}
    if report.worker is not None:
        changes["worker"] = report.worker
    if report.stage is not None:
        changes["stage"] = report.stage
    if report.eta is not None:
        changes["eta"] = report.eta
    if report.attempt is not None and report.attempt > old.attempt:
        # The job system retried on its own: a new attempt starts from its own progress.
        changes.update(attempt=report.attempt, progress=report.progress or 0.0, error=None)
    elif report.progress is not None:
        # Never backwards within an attempt: out-of-order reports must not make the bar jump back.
        changes["progress"] = max(old.progress, report.progress)
    return changes


def _report_target(old: Task, report: WorkerReport, changes: dict[str, object]) -> TaskState:
    """The state a report on a live task leads to; adds the fields its kind implies to ``changes``.

    Raises:
        InvalidTransition: The kind does not fit the task's state.
    """
    kind = report.kind
    state = old.state
    if kind is WorkerReportKind.STARTED:
        if state not in (TaskState.QUEUED, TaskState.RUNNING):
            raise InvalidTransition(old.id, state, "running", "only a queued task can be started")
        return TaskState.RUNNING
    if kind is WorkerReportKind.PROGRESS:
        return TaskState.RUNNING if state is TaskState.QUEUED else state
    if kind is WorkerReportKind.PAUSED:
        if state not in (TaskState.QUEUED, TaskState.RUNNING, TaskState.PAUSED):
            raise InvalidTransition(old.id, state, "paused", "a cancelling task cannot pause")
        return TaskState.PAUSED
    if kind is WorkerReportKind.RESUMED:
        if state not in (TaskState.PAUSED, TaskState.QUEUED, TaskState.RUNNING):
            raise InvalidTransition(old.id, state, "running", "a cancelling task cannot resume")
        return TaskState.RUNNING
    if kind is WorkerReportKind.COMPLETED:
        changes.update(progress=100.0, eta=0.0, result=report.result)
        return TaskState.COMPLETED
    if kind is WorkerReportKind.FAILED:
        changes["error"] = report.error or TaskError(message="the worker reported a failure")
        changes["eta"] = None
        return TaskState.FAILED
    changes["eta"] = None  # CANCELLED
    return TaskState.CANCELLED
