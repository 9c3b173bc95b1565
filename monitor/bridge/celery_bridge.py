"""``monitor bridge celery``: Celery's task events into ``monitor serve``, the app's commands back.

Three jobs run side by side in one asyncio loop (plus, once at start, the workers' lists of the
tasks they run and hold, which stand in for the events missed before the bridge started):

* **events**: Celery's event receiver (kombu, blocking) runs in a thread on the broker the workers
  use, and hands each task event to the loop through a bounded queue (a full queue holds the
  receiver back, so memory stays bounded and the events wait in the broker); the loop maps them
  (:class:`~monitor.bridge.celery_events.CeleryMapper`) and publishes them in order;
* **progress**: ``update_state(state="PROGRESS", meta={"progress": 40})`` is not an event, it is
  written to the result backend; every ``poll_interval`` the bridge reads the backend state of the
  tasks that are running (one ``GET`` each on Redis) and publishes custom states as progress;
* **commands**: as the executor ``celery`` the bridge claims the app's commands on its tasks from
  the server, answers whether Celery can do them, and once the server applied one, revokes
  (``terminate=True``) or re-sends the task.

Celery is imported here only (the ``celery`` extra: ``pip install 'monitor[celery]'``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Mapping
from typing import Any, Final

from celery import Celery

from monitor.bridge.celery_events import (
    EXECUTOR_NAME,
    CeleryMapper,
    Create,
    Refusal,
    Report,
    Resend,
    Revoke,
    inspected_events,
)
from monitor.bridge.publisher import MonitorPublisher
from monitor.client.aio import cancel_and_wait
from monitor.core.executor import ExecutorCommand, ExecutorVerdict
from monitor.core.protocol import TaskError, WorkerReport, WorkerReportKind

__all__ = ["CeleryBridge"]

_log = logging.getLogger(__name__)

#: Events waiting between the receiver thread and the loop, at most.
_QUEUE_SIZE: Final = 10_000
#: Seconds the start-up inspection waits for the workers' answers.
_INSPECT_S: Final = 2.0
#: Seconds between two receiver connection attempts after the broker went away.
_RECONNECT_S: Final = 2.0


class CeleryBridge:
    """Publishes one Celery installation's tasks into one ``monitor serve``.

    Args:
        broker: The broker URL the workers use (``redis://host:6379/0``).
        server: The Monitor server's base URL.
        token: Its bearer token, if any.
        result_backend: Where ``update_state`` progress is read from (None: no progress polling).
        poll_interval: Seconds between two reads of the running tasks' backend state.
        executor: The executor name (the tasks' ``metadata["executor"]``).
    """

    def __init__(
        self,
        broker: str,
        server: str,
        *,
        token: str | None = None,
        result_backend: str | None = None,
        poll_interval: float = 0.5,
        executor: str = EXECUTOR_NAME,
    ) -> None:
        """See the class docstring."""
        self._app: Any = Celery("monitor-bridge", broker=broker, backend=result_backend)
        self._has_backend = result_backend is not None
        self._poll_interval = poll_interval
        self._mapper = CeleryMapper(executor=executor)
        self._publisher = MonitorPublisher(server, token=token, executor=executor)
        self._stop = threading.Event()
        self._receiver: Any = None
        self._thread: threading.Thread | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False

    async def start(self) -> None:
        """Start receiving, polling and claiming.

        Raises:
            RuntimeError: Started twice, or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("CeleryBridge can only be started once")
        self._started = True
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Mapping[str, object]] = asyncio.Queue(_QUEUE_SIZE)
        self._thread = threading.Thread(
            target=self._receive, args=(loop, queue), name="celery-events", daemon=True
        )
        self._thread.start()
        self._tasks = [
            asyncio.create_task(self._publish(queue), name="bridge-publish"),
            asyncio.create_task(self._commands(), name="bridge-commands"),
            asyncio.create_task(self._adopt(queue), name="bridge-adopt"),
        ]
        if self._has_backend:
            self._tasks.append(asyncio.create_task(self._poll(), name="bridge-progress"))

    async def run(self) -> None:
        """Start, then run until cancelled (``monitor bridge celery``); closes on the way out."""
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop the receiver thread and the loops, and close the HTTP client."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        receiver = self._receiver
        if receiver is not None:
            receiver.should_stop = True
        await cancel_and_wait(*self._tasks)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
        await self._publisher.aclose()

    # ------------------------------------------------------------------ events (thread)

    def _receive(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Mapping[str, object]]) -> None:
        def on_event(event: Mapping[str, object]) -> None:
            kind = event.get("type")
            if isinstance(kind, str) and kind.startswith("task-") and not self._stop.is_set():
                future = asyncio.run_coroutine_threadsafe(queue.put(event), loop)
                while not self._stop.is_set():  # a full queue holds the receiver (and the broker) back
                    try:
                        future.result(timeout=1.0)
                        return
                    except concurrent.futures.TimeoutError:
                        continue
                future.cancel()

        while not self._stop.is_set():
            try:
                with self._app.connection_for_read() as connection:
                    self._receiver = self._app.events.Receiver(connection, handlers={"*": on_event})
                    if self._stop.is_set():
                        return
                    self._receiver.capture(limit=None, timeout=None, wakeup=False)
            except Exception as exc:  # noqa: BLE001 - the broker went away: say so and reconnect
                _log.warning("celery events: %s; reconnecting in %.0f s", exc, _RECONNECT_S)
                self._stop.wait(_RECONNECT_S)

    # ------------------------------------------------------------------ events (loop)

    async def _adopt(self, queue: asyncio.Queue[Mapping[str, object]]) -> None:
        """Tasks that were running or waiting before the bridge started, from the workers' lists."""
        try:
            inspect = self._app.control.inspect(timeout=_INSPECT_S)
            active = await asyncio.to_thread(inspect.active, safe=True)
            reserved = await asyncio.to_thread(inspect.reserved, safe=True)
        except Exception as exc:  # noqa: BLE001 - no answer from the workers: only live events then
            _log.warning("could not list the workers' tasks: %s", exc)
            return
        for found, started in ((reserved, False), (active, True)):
            for worker, infos in (found or {}).items():
                for info in infos or []:
                    if isinstance(info, Mapping):
                        for event in inspected_events(str(worker), info, started=started):
                            await queue.put(event)

    async def _publish(self, queue: asyncio.Queue[Mapping[str, object]]) -> None:
        while True:
            event = await queue.get()
            try:
                for step in self._mapper.on_event(event):
                    await self._apply(step)
            except Exception:  # noqa: BLE001 - one odd event (an id the server refuses) must not stop the rest
                _log.exception("celery event %s of %s dropped", event.get("type"), event.get("uuid"))

    async def _apply(self, step: Create | Report) -> None:
        if isinstance(step, Create):
            await self._publisher.create(step.submit)
            return
        status = await self._publisher.report(step.task_id, step.report)
        if status == 404:
            # Removed from the server meanwhile (a user's "remove", a server without history):
            # the mapper still knows the task, so announce it again and repeat the report.
            await self._publisher.create(self._mapper.resubmit(step.task_id))
            await self._publisher.report(step.task_id, step.report)

    # ------------------------------------------------------------------ progress

    async def _poll(self) -> None:
        backend = self._app.backend
        while True:
            await asyncio.sleep(self._poll_interval)  # the polling period, not synchronisation
            for celery_id in self._mapper.running():
                try:
                    meta = await asyncio.to_thread(backend.get_task_meta, celery_id)
                except Exception as exc:  # noqa: BLE001 - a backend hiccup: next round
                    _log.info("result backend: %s", exc)
                    break
                state, info = meta.get("status"), meta.get("result")
                report = self._mapper.on_backend_state(celery_id, str(state), info)
                if report is not None:
                    await self._apply(report)

    # ------------------------------------------------------------------ commands

    async def _commands(self) -> None:
        while True:
            try:
                commands = await self._publisher.claim()
            except Exception:  # noqa: BLE001 - an answer that is not a claim: log it, wait, claim again
                _log.exception("claiming commands failed")
                await asyncio.sleep(_RECONNECT_S)  # not a hot loop against a broken server
                continue
            for command in commands:
                try:
                    await self._command(command)
                except Exception:  # noqa: BLE001 - one bad command must not stop the others
                    _log.exception("command %s on %s failed", command.command_id, command.task.id)

    async def _command(self, command: ExecutorCommand) -> None:
        plan = self._mapper.plan(command.action, command.task.id)
        if isinstance(plan, Refusal):
            await self._publisher.answer(command.command_id, ExecutorVerdict(ok=False, reason=plan.reason))
            return
        task = await self._publisher.answer(command.command_id, ExecutorVerdict(ok=True))
        if task is None:
            return  # the task moved meanwhile (finished, removed): nothing to do in Celery
        if isinstance(plan, Revoke):
            await asyncio.to_thread(self._app.control.revoke, plan.celery_id, terminate=True)
            return
        await self._resend(plan, task.attempt)

    async def _resend(self, plan: Resend, attempt: int) -> None:
        celery_id = plan.celery_id(attempt)
        options: dict[str, object] = {"task_id": celery_id}
        if plan.queue is not None:
            options["queue"] = plan.queue
        try:
            await asyncio.to_thread(self._app.send_task, plan.name, plan.args, plan.kwargs, **options)
        except Exception as exc:  # noqa: BLE001 - the broker refused: the task must not look queued
            _log.warning("re-sending %s failed: %s", plan.monitor_id, exc)
            await self._publisher.report(
                plan.monitor_id,
                WorkerReport(
                    kind=WorkerReportKind.FAILED,
                    error=TaskError(message=f"the retry could not be sent to Celery: {exc}"[:4000]),
                ),
            )
