"""External executors: the job system's bridge decides the commands on the tasks it published.

A task whose metadata names an executor (:func:`monitor.core.executor.executor_of`; the Celery
bridge publishes ``{"executor": "celery"}``) is run by another system, so the server cannot
cancel or retry it by changing its state alone. :func:`register_executor_handlers` puts a
wrapper in front of the scheduler's cancel / pause / resume / retry handlers: for such a task,
the command is offered to the executor (:class:`ExecutorRegistry`), which claims it over HTTP
(``GET /api/executors/{name}/commands``, a long poll) and answers with an
:class:`~monitor.core.executor.ExecutorVerdict`. Only an ``ok`` verdict changes the task, and
the executor's answer request returns once the change is made (or refused, because the task
moved meanwhile), so the executor acts on its job system (revoke, re-send) only after the task
shows the command. A refusal, or no executor connected, ends the command ``rejected`` with the
reason. Tasks of no executor keep the server's own handlers, unchanged.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import JsonValue

from monitor.core.executor import ExecutorCommand, ExecutorVerdict, executor_of
from monitor.core.lifecycle import ACTION_STATES, action_applies
from monitor.core.protocol import CommandAction, Task
from monitor.server.scheduler import CommandRecord, CommandRejected, CommandScheduler, Handler
from monitor.server.tasks import InvalidTransition, TaskNotFound, TaskService

__all__ = ["CommandGone", "ExecutorRegistry", "register_executor_handlers"]

#: An executor counts as connected while a claim waits, and this long after its last claim ended.
PRESENCE_S = 10.0
#: Most commands handed over by one claim.
CLAIM_LIMIT = 100


class CommandGone(LookupError):
    """An answer for a command that is not (or no longer) waiting for this executor."""


@dataclass(eq=False)
class _Offer:
    command: ExecutorCommand
    verdict: asyncio.Future[ExecutorVerdict] = field(default_factory=asyncio.Future)
    applied: asyncio.Future[Task | None] = field(default_factory=asyncio.Future)


class ExecutorRegistry:
    """Commands offered to external executors, claimed by them and answered.

    Args:
        presence_s: How long after its last claim an executor still counts as connected.
        clock: Monotonic seconds.
    """

    def __init__(
        self, *, presence_s: float = PRESENCE_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """See the class docstring."""
        self._presence_s = presence_s
        self._clock = clock
        self._offered: dict[str, collections.deque[_Offer]] = collections.defaultdict(collections.deque)
        self._claimed: dict[tuple[str, str], _Offer] = {}
        self._wake: dict[str, asyncio.Event] = collections.defaultdict(asyncio.Event)
        self._claiming: collections.Counter[str] = collections.Counter()
        self._last_claim: dict[str, float] = {}
        self._closed = False

    def close(self) -> None:
        """The server is exiting: waiting claims answer now, new ones at once (no long poll holds it)."""
        self._closed = True
        for wake in self._wake.values():
            wake.set()

    async def aclose(self) -> None:
        """Release what the registry holds (nothing here; a shared one closes its connection)."""

    def connected(self, name: str) -> bool:
        """Whether executor ``name`` claims commands now (or did within ``presence_s``)."""
        if self._claiming[name] > 0:
            return True
        last = self._last_claim.get(name)
        return last is not None and self._clock() - last < self._presence_s

    async def claim(self, name: str, wait_s: float) -> list[ExecutorCommand]:
        """The commands offered to ``name``, waiting up to ``wait_s`` for one (a long poll)."""
        self._claiming[name] += 1
        try:
            queue = self._offered[name]
            if not queue and not self._closed:
                wake = self._wake[name]
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait_s):
                        await wake.wait()
            out: list[ExecutorCommand] = []
            while queue and len(out) < CLAIM_LIMIT:
                offer = queue.popleft()
                if offer.verdict.done():  # given up (timed out, cancelled) before it was claimed
                    continue
                self._claimed[(name, offer.command.command_id)] = offer
                out.append(offer.command)
            return out
        finally:
            self._claiming[name] -= 1
            self._last_claim[name] = self._clock()

    async def answer(self, name: str, command_id: str, verdict: ExecutorVerdict) -> Task | None:
        """Take the executor's verdict; return the task once the server applied an ``ok`` one.

        Returns:
            The task after the command, or None for a refusal.

        Raises:
            CommandGone: Not a command claimed by ``name``, already answered, or given up.
            CommandRejected: The verdict was ``ok`` but the task no longer allows the command.
        """
        offer = self._claimed.pop((name, command_id), None)
        if offer is None or offer.verdict.done():
            raise CommandGone(f"command {command_id!r} is not waiting for executor {name!r}")
        offer.verdict.set_result(verdict)
        return await asyncio.shield(offer.applied)

    async def forward(
        self, name: str, command: ExecutorCommand, apply: Callable[[], Awaitable[Task]]
    ) -> Task:
        """Offer ``command`` to ``name``; on an ``ok`` verdict, ``apply`` it and return the task.

        Raises:
            CommandRejected: Executor not connected, its refusal, or ``apply``'s.
        """
        if not self.connected(name):
            raise CommandRejected(
                f"the {name} executor that runs this task is not connected (is `monitor bridge` running?)"
            )
        offer = _Offer(command)
        self._offered[name].append(offer)
        self._wake[name].set()
        try:
            verdict = await offer.verdict
            if not verdict.ok:
                offer.applied.set_result(None)
                raise CommandRejected(verdict.reason or f"the {name} executor refused the command")
            try:
                task = await apply()
            except CommandRejected as exc:
                offer.applied.set_exception(exc)
                raise
            offer.applied.set_result(task)
            return task
        finally:
            # Timed out or cancelled while offered or claimed: the executor's late answer is gone.
            offer.verdict.cancel()
            if not offer.applied.done():
                offer.applied.set_exception(CommandGone(f"command {command.command_id!r} was given up"))
            offer.applied.exception()  # retrieved: no "exception never retrieved" log without an answer
            self._claimed.pop((name, command.command_id), None)


def register_executor_handlers(
    scheduler: CommandScheduler, tasks: TaskService, registry: ExecutorRegistry
) -> None:
    """Route the state commands on executor-owned tasks through ``registry``.

    Call after :func:`~monitor.server.scheduler.register_task_handlers`: the handlers it
    registered still serve every task that names no executor.
    """
    for action in ACTION_STATES:
        own = scheduler.handler(action)
        if own is not None:
            scheduler.register_handler(action, _executor_handler(action, own, tasks, registry))


def _executor_handler(
    action: CommandAction, own: Handler, tasks: TaskService, registry: ExecutorRegistry
) -> Handler:
    async def handle(record: CommandRecord) -> JsonValue:
        task = tasks.get(record.task_id) if record.task_id is not None else None
        name = executor_of(task)
        if task is None or name is None:
            return await own(record)
        if not action_applies(action, task.state):
            raise CommandRejected(f"{action.value} does not apply to a {task.state.value} task")
        task_id = task.id

        async def apply() -> Task:
            try:
                return await tasks.request(task_id, action)
            except (TaskNotFound, InvalidTransition) as exc:
                raise CommandRejected(str(exc)) from exc

        command = ExecutorCommand(
            command_id=record.command_id, action=action, task=task, params=dict(record.params)
        )
        done = await registry.forward(name, command, apply)
        return done.model_dump(mode="json")

    return handle
