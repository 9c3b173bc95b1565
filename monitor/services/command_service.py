"""``CommandService``: the user's task actions, sent to the server, as Qt signals.

A task shows as pending (:class:`~monitor.core.lifecycle.PendingAction`, "Cancelling…") from the
click until the task's own state change, the server's final ack or a refusal ends it; a refusal
or a timeout also says why. A progress tick is not an answer: it leaves the mark alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal

from monitor.client.commands import CommandError, CommandSender, CommandWithdrawn
from monitor.client.config import ClientConfig
from monitor.core.lifecycle import PendingAction, pending_for
from monitor.core.protocol import CommandAck, CommandAction, Task
from monitor.core.servers import local_id
from monitor.core.store import Change, Removed, Updated

__all__ = ["CommandService"]

_log = logging.getLogger(__name__)


class CommandService(QObject):
    """Cancel, pause, resume, retry and query, with pending state until confirmed.

    Signals:
        pending_changed(list, object): Task ids and the :class:`PendingAction` now pending for
            them (None: no longer pending).
        command_succeeded(str, str): Task id and action the server confirmed.
        command_failed(list, str): Task ids and a plain-text reason (refused, timed out,
            could not be sent).
        task_reported(object): A :class:`~monitor.core.protocol.Task` as the server answered a
            ``query`` (F5 on a selection); the app applies it to the store.

    Args:
        config: Client configuration (server, token, client id, queue size).
        engine: The stream engine, whose ``ack`` events confirm commands.
        state_path: Where unsent commands are persisted across restarts.
        sender_factory: Builds the sender (tests pass configured ones).
        namespace: The server's prefix of task ids in the store (``monitor.core.servers``; ""
            for a single server). Ids in and out of this service are store ids; the prefix is
            removed here, and only here, before a command leaves for the server.
        parent: Qt parent.
    """

    pending_changed = Signal(list, object)
    command_succeeded = Signal(str, str)
    command_failed = Signal(list, str)
    task_reported = Signal(object)

    def __init__(
        self,
        config: ClientConfig,
        *,
        engine: Any = None,
        state_path: Path | None = None,
        sender_factory: Callable[[], CommandSender] | None = None,
        namespace: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.namespace = namespace
        self._factory = sender_factory or (
            lambda: CommandSender(config, engine=engine, state_path=state_path)
        )
        self._sender: CommandSender | None = None
        self._pending: dict[str, PendingAction] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = False
        self._closed = False

    def unsent(self) -> list[tuple[str | None, CommandAction | None]]:
        """The outbox: (task id, action) of each command the server has not accepted yet."""
        return [] if self._sender is None else self._sender.unsent()

    def pending(self) -> dict[str, PendingAction]:
        """Task id -> pending action."""
        return dict(self._pending)

    async def start(self) -> None:
        """Start the sender.

        Raises:
            RuntimeError: Started twice or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("CommandService.start() called twice" if self._started else "closed")
        self._started = True
        self._sender = self._factory()
        await self._sender.start()

    async def aclose(self) -> None:
        """Cancel in-flight waits and close the sender; idempotent."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._sender is not None:
            await self._sender.aclose()

    # ------------------------------------------------------------------ intents (slots)

    def send(self, action: CommandAction, ids: list[str]) -> None:
        """Send ``action`` for each of ``ids`` (the verbs below are this with a fixed action)."""
        self._send(action, ids)

    def cancel(self, ids: list[str]) -> None:
        """Cancel tasks."""
        self._send(CommandAction.CANCEL, ids)

    def pause(self, ids: list[str]) -> None:
        """Pause tasks."""
        self._send(CommandAction.PAUSE, ids)

    def resume(self, ids: list[str]) -> None:
        """Resume tasks."""
        self._send(CommandAction.RESUME, ids)

    def retry(self, ids: list[str]) -> None:
        """Retry tasks."""
        self._send(CommandAction.RETRY, ids)

    def query(self, ids: list[str]) -> None:
        """Refresh tasks from the server."""
        self._send(CommandAction.QUERY, ids)

    def note_changes(self, changes: list[Change]) -> None:
        """Store changes arrived: a state change (or the task leaving) answers a pending command.

        Progress, stage or ETA updates leave the mark in place: the task is still, say, running
        while the server works on the pause.
        """
        if not self._pending:
            return
        answered = [
            task_id
            for change in changes
            for task_id in (
                (change.id,)
                if isinstance(change, Updated) and change.old_state is not change.new_state
                else change.ids
                if isinstance(change, Removed)
                else ()
            )
            if self._pending.pop(task_id, None) is not None
        ]
        if answered:
            self.pending_changed.emit(answered, None)

    # ------------------------------------------------------------------ plumbing

    def _send(self, action: CommandAction, ids: list[str]) -> None:
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            return
        if foreign := [i for i in ids if not i.startswith(self.namespace)]:
            raise ValueError(f"tasks of another server: {foreign[:3]}")  # a routing bug, never sent
        if self._sender is None or self._closed:
            self.command_failed.emit(ids, self.tr("Not connected to a server yet."))
            return
        pending = pending_for(action)
        if pending is not None:
            for task_id in ids:
                self._pending[task_id] = pending
            self.pending_changed.emit(ids, pending)
        for task_id in ids:
            future = self._sender.send_command(action, local_id(task_id))
            task = asyncio.ensure_future(self._await(action, task_id, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _await(self, action: CommandAction, task_id: str, future: asyncio.Future[Any]) -> None:
        try:
            await future
        except CommandWithdrawn:
            # A later command for the task took this one's place in the outbox (or both cancelled
            # out): nothing failed; only clear the mark if it is still this command's.
            if self._pending.get(task_id) is pending_for(action) is not None:
                self._clear(task_id)
            return
        except CommandError as exc:
            self._clear(task_id)
            # The verb is shown to the user, so it is translated too (the wire value is not).
            verb = {
                CommandAction.EXECUTE: self.tr("execute"),
                CommandAction.CANCEL: self.tr("cancel"),
                CommandAction.PAUSE: self.tr("pause"),
                CommandAction.RESUME: self.tr("resume"),
                CommandAction.QUERY: self.tr("query"),
                CommandAction.SYNC: self.tr("sync"),
                CommandAction.RETRY: self.tr("retry"),
            }.get(action, action.value)
            self.command_failed.emit(
                [task_id], self.tr("Could not {0} {1}: {2}").format(verb, local_id(task_id), str(exc))
            )
            return
        except asyncio.CancelledError:
            raise
        self._clear(task_id)
        if action is CommandAction.QUERY:
            self._report(task_id, future.result())
        self.command_succeeded.emit(task_id, action.value)

    def _report(self, task_id: str, answer: Any) -> None:
        """Hand on the task a query's answer carries (the final ack's ``result``)."""
        result = answer.result if isinstance(answer, CommandAck) else None
        if isinstance(answer, dict):  # no ack awaited: the HTTP answer itself
            result = answer.get("result")
        if result is None:
            return
        try:
            task = Task.model_validate(result)
        except ValidationError as exc:  # what a server sends never crashes the app
            _log.warning("query %s: the answer is not a task (%s)", task_id, exc.error_count())
            return
        self.task_reported.emit(task)

    def _clear(self, task_id: str) -> None:
        if self._pending.pop(task_id, None) is not None:
            self.pending_changed.emit([task_id], None)
