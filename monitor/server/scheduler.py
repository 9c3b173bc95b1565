"""Concurrent command scheduler (seed 004 section 4.2, done right with asyncio).

Seed 004's ``CommandScheduler`` has the right knobs (``maxConcurrent`` 5, ``defaultTimeout``
60000 ms, ``enablePriority``, ``maxRetries`` 3) and a sketch with known bugs: cancelling a running
command does not stop its handler, a timeout marks the command cancelled and then failed, the retry
counter is never incremented, and a 100 ms polling timer drives the queue. Here:

* a priority queue (higher :class:`~monitor.core.protocol.MessagePriority` first, FIFO within a
  priority) feeds ``max_concurrent`` worker tasks: the pool size *is* the concurrency limit and
  nothing polls;
* every handler run is its own asyncio task under ``asyncio.timeout``; ``cancel()`` really cancels
  it and returns once it has stopped;
* handlers that raise are retried with exponential backoff up to ``max_retries`` times (so at most
  ``max_retries + 1`` runs); a :class:`CommandRejected` (bad or impossible command), a timeout or a
  cancel is never retried;
* every command gets one ``accepted`` ack when submitted (if the client wants acks) and exactly
  one final ack (``succeeded``, ``failed``, ``timed_out``, ``cancelled`` or ``rejected``), whatever
  races happen between completion, timeout, cancel and shutdown.

The timeout (``timeout_ms`` of the request, else ``default_timeout_ms``) bounds each run of the
handler, as in the seed; time spent queued or in retry backoff does not count.

Durability (issue 13 item 12): with a :class:`CommandStorage` and a ``commit`` callable (the
server's SQLite log), :meth:`CommandScheduler.submit` stores the command and its ``accepted`` ack
and commits both before it returns, so ``POST /api/commands`` answers only once they are durable.
Every status change is stored with its ack; a run's ``running`` mark is committed before its
handler starts. After a restart :meth:`CommandScheduler.recover` takes the stored commands back:
finished ones answer ``GET /api/commands/{id}`` again, pending ones are queued again (their
``accepted`` ack is already in the log), and ones that were running are ended ``failed`` with the
reason (:data:`RESTART_REASON`): a handler interrupted half-way is not run a second time.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import Final, Protocol

from pydantic import JsonValue, ValidationError

from monitor.core.protocol import (
    CommandAck,
    CommandAction,
    CommandRequest,
    CommandStatus,
    MessagePriority,
)
from monitor.server.log import LogWriteError
from monitor.server.tasks import InvalidTransition, TaskNotFound, TaskService

__all__ = [
    "RESTART_REASON",
    "AckSink",
    "CommandRecord",
    "CommandRejected",
    "CommandScheduler",
    "CommandStorage",
    "Handler",
    "register_task_handlers",
]

_log = logging.getLogger(__name__)

#: ``(client_id, ack)``: the app publishes it as an ``ack`` event targeted at that client.
AckSink = Callable[[str | None, CommandAck], Awaitable[None]]

_MAX_ERROR = 4000  # CommandAck.error allows 4096 characters

#: The error of a command that was running when the server stopped without finishing it.
RESTART_REASON: Final = "the server restarted while the command was running; it was not run again"


class CommandStorage(Protocol):
    """Where commands live across restarts (the server's SQLite file). Synchronous and quick.

    Writes join the log's current transaction: a command's row and its ack commit together.
    """

    def save(self, command_id: str, final: bool, data: str) -> None:
        """Insert or replace one command (``data`` is its JSON)."""
        ...

    def load(self, final_limit: int) -> list[str]:
        """Every unfinished command and the ``final_limit`` most recently finished ones, oldest first."""
        ...


class CommandRejected(Exception):
    """Raised by a handler when the command itself is wrong or impossible (unknown task, invalid
    transition, missing parameter). The command ends ``rejected`` and is not retried."""


@dataclass(eq=False)
class CommandRecord:
    """One command and where it is.

    Attributes:
        command_id: Echoed in every ack.
        action: What to do.
        task_id: Which task, if any.
        params: Action parameters from the request.
        client_id: Where acks go.
        priority: Scheduling priority.
        timeout_ms: Bound on each handler run.
        require_ack: Whether acks are sent at all.
        status: Current status; final statuses never change.
        attempt: Number of handler runs started so far.
        created_at / started_at / finished_at: Unix seconds.
        result: The handler's result once succeeded.
        error: Why it did not succeed.
    """

    command_id: str
    action: CommandAction
    task_id: str | None
    params: dict[str, JsonValue]
    client_id: str | None
    priority: MessagePriority
    timeout_ms: int
    require_ack: bool
    status: CommandStatus = CommandStatus.ACCEPTED
    attempt: int = 0
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    result: JsonValue = None
    error: str | None = None
    # Internals: the running handler task, the pending retry timer, and "final ack sent".
    _run: asyncio.Task[JsonValue] | None = field(default=None, repr=False)
    _retry_timer: asyncio.TimerHandle | None = field(default=None, repr=False)
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


#: The fields of a :class:`CommandRecord` that its storage row keeps (not the asyncio internals).
_PERSISTED: Final = frozenset(f.name for f in fields(CommandRecord) if not f.name.startswith("_"))


def _dump(record: CommandRecord) -> str:
    """A record as its storage row's JSON (a result that is not JSON is kept as its ``str``)."""
    row = {name: getattr(record, name) for name in _PERSISTED}
    return json.dumps(row, separators=(",", ":"), default=str)


def _load(text: str) -> CommandRecord:
    """A record from its storage row's JSON.

    Raises:
        ValueError: The row is not a command this version can read.
    """
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    try:
        record = CommandRecord(**{k: v for k, v in data.items() if k in _PERSISTED})
        record.action = CommandAction(record.action)
        record.priority = MessagePriority(record.priority)
        record.status = CommandStatus(record.status)
    except TypeError as exc:  # a missing field
        raise ValueError(str(exc)) from exc
    return record


#: A command handler: gets the record, returns a JSON result or raises.
Handler = Callable[[CommandRecord], Awaitable[JsonValue]]


class CommandScheduler:
    """Runs commands with bounded concurrency, priorities, timeouts, retries and real cancellation.

    Args:
        ack_sink: Receives every ack.
        max_concurrent: Handlers running at once (seed 004 ``maxConcurrent``, default 5).
        default_timeout_ms: Bound on a handler run when the request has no ``timeout_ms``
            (seed ``defaultTimeout``, 60000).
        max_retries: Extra runs after a handler raised (seed ``maxRetries``, 3).
        enable_priority: Higher priority first; if False, strictly first come first served.
        retry_backoff_s: First retry delay; doubles each retry, capped at 5 s.
        history: How many finished commands ``get()`` remembers (oldest forgotten first).
        store: Persistent storage of commands (None: memory only, lost on restart).
        commit: Makes everything written so far durable (the log's ``flush``); raises
            :class:`~monitor.server.log.LogWriteError` when it cannot.
    """

    def __init__(
        self,
        ack_sink: AckSink,
        *,
        max_concurrent: int = 5,
        default_timeout_ms: int = 60_000,
        max_retries: int = 3,
        enable_priority: bool = True,
        retry_backoff_s: float = 0.05,
        history: int = 10_000,
        store: CommandStorage | None = None,
        commit: Callable[[], None] | None = None,
    ) -> None:
        """See the class docstring."""
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        if default_timeout_ms < 1:
            raise ValueError("default_timeout_ms must be positive")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._ack_sink = ack_sink
        self._max_concurrent = max_concurrent
        self._default_timeout_ms = default_timeout_ms
        self._max_retries = max_retries
        self._enable_priority = enable_priority
        self._retry_backoff_s = retry_backoff_s
        self._history = history
        self._handlers: dict[CommandAction, Handler] = {}
        self._records: dict[str, CommandRecord] = {}
        self._finished_order: collections.deque[str] = collections.deque()
        self._queue: asyncio.PriorityQueue[tuple[int, int, CommandRecord]] = asyncio.PriorityQueue()
        self._seq = itertools.count()
        self._workers: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False
        self._counts: collections.Counter[str] = collections.Counter()
        self._store = store
        self._commit = commit or _nothing

    # ------------------------------------------------------------------ configuration

    def register_handler(self, action: CommandAction, handler: Handler) -> None:
        """Run ``handler`` for commands with ``action`` (replaces an earlier one)."""
        self._handlers[action] = handler

    def handler(self, action: CommandAction) -> Handler | None:
        """The handler registered for ``action``, if any (a wrapper may delegate to it)."""
        return self._handlers.get(action)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the worker pool.

        Raises:
            RuntimeError: Started twice, or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("CommandScheduler can only be started once")
        self._started = True
        self._workers = [
            asyncio.create_task(self._worker(), name=f"command-worker-{i}")
            for i in range(self._max_concurrent)
        ]

    async def aclose(self) -> None:
        """Cancel pending and running commands (each gets its ``cancelled`` ack) and stop the workers."""
        if self._closed:
            return
        self._closed = True
        for record in list(self._records.values()):
            if not record.status.is_final:
                await self.cancel(record.command_id, reason="server shutting down")
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()

    # ------------------------------------------------------------------ commands

    async def submit(self, request: CommandRequest, *, client_id: str | None) -> str:
        """Queue a command and send its ``accepted`` ack (or its ``rejected`` ack at once).

        A ``command_id`` that is already known is not run again: its id is returned and no ack is
        repeated (the earlier acks are in the event log, replayed to that client).

        Returns:
            The command id (the request's, or a new one).
        """
        command_id = request.command_id or "cmd_" + secrets.token_hex(8)
        if command_id in self._records:
            return command_id
        record = CommandRecord(
            command_id=command_id,
            action=request.action,
            task_id=request.task_id,
            params=dict(request.params),
            client_id=client_id,
            priority=request.priority,
            timeout_ms=request.timeout_ms or self._default_timeout_ms,
            require_ack=request.require_ack,
        )
        self._records[command_id] = record
        try:
            if self._closed:
                await self._finish(record, CommandStatus.REJECTED, error="server shutting down", strict=True)
            elif request.action not in self._handlers:
                reason = f"no handler for action {request.action.value!r}"
                await self._finish(record, CommandStatus.REJECTED, error=reason, strict=True)
            else:
                self._persist(record)
                await self._send(record, CommandStatus.ACCEPTED, strict=True)
            # Accepted means durable: the command and its ack are committed before the answer.
            self._commit()
        except LogWriteError:
            # Rolled back whole: the command does not exist, so a retry with its id runs it.
            self._records.pop(command_id, None)
            if record.status.is_final:
                self._counts[record.status.value] -= 1
            raise
        self._counts["submitted"] += 1
        if not record.status.is_final:
            self._enqueue(record)
        return command_id

    async def recover(self) -> int:
        """Take back the stored commands after a restart (call once, after :meth:`start`).

        Finished commands answer :meth:`get` again; pending ones are queued again; ones that were
        running end ``failed`` with :data:`RESTART_REASON` and their final ack.

        Returns:
            How many unfinished commands were taken back (queued again or failed).
        """
        if self._store is None:
            return 0
        taken = 0
        for text in self._store.load(self._history):
            try:
                record = _load(text)
            except ValueError as exc:
                _log.warning("stored command skipped, it cannot be read: %s", exc)
                continue
            if record.command_id in self._records:
                continue
            self._records[record.command_id] = record
            if record.status.is_final:
                self._remember_finished(record.command_id)
            elif record.status is CommandStatus.RUNNING:
                taken += 1
                await self._finish(record, CommandStatus.FAILED, error=RESTART_REASON)
            else:
                taken += 1
                self._enqueue(record)
        if taken:
            _log.warning("%d unfinished command(s) taken back after a restart", taken)
        return taken

    async def cancel(self, command_id: str, *, reason: str = "cancelled on request") -> bool:
        """Cancel a pending or running command; a running handler is cancelled and awaited.

        Returns:
            True if the command was live and is now cancelled; False if unknown or already final.
        """
        record = self._records.get(command_id)
        if record is None or record.status.is_final:
            return False
        if record._retry_timer is not None:
            record._retry_timer.cancel()
            record._retry_timer = None
        run = record._run
        if run is not None:
            # The worker that owns the run sends the final ack once the handler has really stopped.
            # A run that already finished keeps its real outcome (it did happen).
            run.cancel()
            await record._done.wait()
        else:
            # Pending: its heap entry is skipped by the workers (lazy deletion keeps cancel O(1)).
            await self._finish(record, CommandStatus.CANCELLED, error=reason)
        return record.status is CommandStatus.CANCELLED

    async def wait_final(self, command_id: str) -> CommandRecord | None:
        """Wait until the command has its final ack out; None if the id is unknown."""
        record = self._records.get(command_id)
        if record is not None:
            await record._done.wait()
        return record

    def get(self, command_id: str) -> CommandRecord | None:
        """Return the record of a live or recently finished command."""
        return self._records.get(command_id)

    def stats(self) -> dict[str, int]:
        """Counters: submitted, pending, running, retries and one per final status."""
        pending = sum(1 for r in self._records.values() if r.status is CommandStatus.ACCEPTED)
        running = sum(1 for r in self._records.values() if r.status is CommandStatus.RUNNING)
        out = {
            "submitted": self._counts["submitted"],
            "pending": pending,
            "running": running,
            "retries": self._counts["retries"],
        }
        for status in CommandStatus:
            if status.is_final:
                out[status.value] = self._counts[status.value]
        return out

    # ------------------------------------------------------------------ internals

    def _enqueue(self, record: CommandRecord) -> None:
        key = -int(record.priority) if self._enable_priority else 0
        self._queue.put_nowait((key, next(self._seq), record))

    async def _next(self) -> CommandRecord:
        while True:
            _, _, record = await self._queue.get()
            # Cancelled while pending: skipped here (lazy deletion keeps cancel O(1)).
            if not record.status.is_final:
                return record

    async def _worker(self) -> None:
        while True:
            record = await self._next()
            await self._run_once(record)

    async def _run_once(self, record: CommandRecord) -> None:
        handler = self._handlers.get(record.action)
        if handler is None:  # unregistered after submit: still one clear final ack
            await self._finish(
                record, CommandStatus.REJECTED, error=f"no handler for {record.action.value!r}"
            )
            return
        record.attempt += 1
        record.status = CommandStatus.RUNNING
        if record.started_at is None:
            record.started_at = time.time()
        try:
            # Durable before the handler runs: after a crash the command is known to have started
            # (failed with RESTART_REASON), never run twice without anybody knowing.
            self._persist(record)
            self._commit()
        except LogWriteError as refused:
            _log.warning("command %s: running mark not stored: %s", record.command_id, refused.reason)
        expired = False

        async def run() -> JsonValue:
            nonlocal expired
            timeout = asyncio.timeout(record.timeout_ms / 1000)
            try:
                async with timeout:
                    return await handler(record)
            except TimeoutError:
                # Only our own deadline is a timeout; a TimeoutError from inside the handler
                # (a network call, say) is an ordinary failure and may be retried.
                expired = timeout.expired()
                raise

        record._run = asyncio.create_task(run(), name=f"command-{record.command_id}")
        # asyncio.wait does not cancel the run when this worker is cancelled (aclose): aclose
        # cancels runs itself through cancel(), which waits for the ack below.
        try:
            await asyncio.wait({record._run})
        except asyncio.CancelledError:
            record._run.cancel()
            await asyncio.gather(record._run, return_exceptions=True)
            await self._finish(record, CommandStatus.CANCELLED, error="server shutting down")
            raise
        run_task, record._run = record._run, None
        if run_task.cancelled():
            await self._finish(record, CommandStatus.CANCELLED, error="cancelled on request")
            return
        exc = run_task.exception()
        if exc is None:
            await self._finish(record, CommandStatus.SUCCEEDED, result=run_task.result())
        elif isinstance(exc, CommandRejected):
            await self._finish(record, CommandStatus.REJECTED, error=str(exc) or "rejected")
        elif isinstance(exc, TimeoutError) and expired:
            await self._finish(
                record, CommandStatus.TIMED_OUT, error=f"no answer within {record.timeout_ms} ms"
            )
        elif record.attempt <= self._max_retries and not self._closed:
            self._counts["retries"] += 1
            record.status = CommandStatus.ACCEPTED
            record.error = _describe(exc)
            try:
                self._persist(record)  # waiting for its retry: queued again after a restart
            except LogWriteError as refused:
                _log.warning("command %s: retry not stored: %s", record.command_id, refused.reason)
            delay = min(5.0, self._retry_backoff_s * 2 ** (record.attempt - 1))
            _log.info(
                "command %s attempt %d failed (%s); retry in %.2f s",
                record.command_id,
                record.attempt,
                record.error,
                delay,
            )
            loop = asyncio.get_running_loop()
            record._retry_timer = loop.call_later(delay, self._retry_due, record)
        else:
            await self._finish(record, CommandStatus.FAILED, error=_describe(exc))

    def _retry_due(self, record: CommandRecord) -> None:
        record._retry_timer = None
        if record.status.is_final or self._closed:
            return
        self._enqueue(record)

    async def _finish(
        self,
        record: CommandRecord,
        status: CommandStatus,
        *,
        result: JsonValue = None,
        error: str | None = None,
        strict: bool = False,
    ) -> None:
        if record.status.is_final:
            return  # exactly one final ack, whatever raced
        record.status = status
        record.result = result
        record.error = error[:_MAX_ERROR] if error else None
        record.finished_at = time.time()
        self._counts[status.value] += 1
        self._remember_finished(record.command_id)
        try:
            try:
                self._persist(record)
            except LogWriteError as refused:
                if strict:
                    raise
                _log.warning("command %s: final status not stored: %s", record.command_id, refused.reason)
            await self._send(record, status, strict=strict)
        finally:
            record._done.set()

    def _remember_finished(self, command_id: str) -> None:
        self._finished_order.append(command_id)
        while len(self._finished_order) > self._history:
            self._records.pop(self._finished_order.popleft(), None)

    def _persist(self, record: CommandRecord) -> None:
        """Store the record in the current burst (raises LogWriteError when storage fails)."""
        if self._store is not None:
            self._store.save(record.command_id, record.status.is_final, _dump(record))

    async def _send(self, record: CommandRecord, status: CommandStatus, *, strict: bool = False) -> None:
        """Send one ack; ``strict``: a storage failure is raised (the caller answers it), else logged."""
        if not record.require_ack:
            return
        try:
            ack = CommandAck(
                command_id=record.command_id,
                status=status,
                success=status in (CommandStatus.ACCEPTED, CommandStatus.SUCCEEDED),
                action=record.action,
                task_id=record.task_id,
                result=record.result if status is CommandStatus.SUCCEEDED else None,
                error=record.error if status.is_final else None,
                attempt=record.attempt,
            )
        except ValidationError as exc:
            # A handler result that is not JSON: say so rather than losing the ack.
            ack = CommandAck(
                command_id=record.command_id,
                status=CommandStatus.FAILED,
                success=False,
                action=record.action,
                task_id=record.task_id,
                error=f"handler result is not valid JSON: {exc.error_count()} error(s)",
                attempt=record.attempt,
            )
        try:
            await self._ack_sink(record.client_id, ack)
        except LogWriteError as exc:  # the log said why (once); no traceback per ack
            if strict:
                raise
            _log.warning("ack %s for command %s not stored: %s", status.value, record.command_id, exc.reason)
        except Exception:  # noqa: BLE001 - a failing sink must not wedge the scheduler
            _log.exception("could not deliver ack %s for command %s", status.value, record.command_id)


def _nothing() -> None:
    """The ``commit`` of a scheduler without storage: memory is as durable as it gets."""


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def register_task_handlers(
    scheduler: CommandScheduler, tasks: TaskService, *, execute: Handler | None = None
) -> None:
    """Wire task commands to ``tasks``.

    ``cancel`` / ``pause`` / ``resume`` / ``retry`` call :meth:`TaskService.request`; ``query`` and
    ``sync`` answer the current task. The result is the task as JSON. An unknown task or a refused
    transition ends the command ``rejected`` with the reason. ``execute`` runs the job system's
    hook if one is given, else it stays unregistered and is rejected.
    """

    def task_id_of(record: CommandRecord) -> str:
        if record.task_id is None:
            raise CommandRejected(f"{record.action.value} needs a task_id")
        return record.task_id

    async def change(record: CommandRecord) -> JsonValue:
        try:
            task = await tasks.request(task_id_of(record), record.action)
        except (TaskNotFound, InvalidTransition) as exc:
            raise CommandRejected(str(exc)) from exc
        return task.model_dump(mode="json")

    async def query(record: CommandRecord) -> JsonValue:
        task_id = task_id_of(record)
        task = tasks.get(task_id)
        if task is None:
            raise CommandRejected(f"unknown task {task_id!r}")
        return task.model_dump(mode="json")

    for action in (CommandAction.CANCEL, CommandAction.PAUSE, CommandAction.RESUME, CommandAction.RETRY):
        scheduler.register_handler(action, change)
    scheduler.register_handler(CommandAction.QUERY, query)
    scheduler.register_handler(CommandAction.SYNC, query)
    if execute is not None:
        scheduler.register_handler(CommandAction.EXECUTE, execute)
