"""The command sender: seed 004's outgoing half (messages, commands, queue, retries, acks).

* ``send_text`` / ``send_json`` post to ``/api/messages``; ``send_command`` (and the ``cancel``,
  ``pause``, ``resume``, ``retry``, ``query`` helpers) to ``/api/commands``.
* An outgoing queue bounded by ``message_queue_size``: when full, the lowest-priority item goes
  first (oldest first among equals), and a new item never evicts a more urgent one (it is refused).
* Network errors, 408, 429 and 5xx are retried after 1, 2, 5, 10, 30 s (then every 30 s); other
  4xx fail at once with the server's message.
* Every item has an ``Idempotency-Key`` (its id) that stays the same across retries and restarts,
  so the server executes a command once however often it is posted.
* Acks come back over the stream as ``ack`` events (a ``Message`` whose payload is a
  :class:`~monitor.core.protocol.CommandAck`); a command resolves on its final ack, or times out.
* Unsent items are persisted to a JSON file (atomic replace) and sent after a restart.
* One unsent state command per task: asking the same again (offline, say) hands back the queued
  command's future instead of queuing it twice; a different one replaces it (its future fails with
  :class:`CommandWithdrawn`), and an opposite one (pause, then resume) withdraws both, since
  neither has reached the server. The command being posted right now is never touched.

Dialects: what goes on the wire and how an answer is read depends on the server family
(:class:`~monitor.core.profile.ServerDialect`) and lives in one :class:`CommandCodec` per dialect
(:func:`codec_for`), nowhere else:

* ``MONITOR`` (``monitor serve``): a flat ``CommandRequest`` body; the 202 is interim and the
  final ack comes over the stream; ``GET /api/commands/{id}`` reconciles after a reconnect.
* ``SEED004`` (seed 004's Express server): the ``CommandMessage`` envelope its SDK builds
  (``SSENotificationSDK.sendCommand``) posted to ``/api/commands`` (``HttpClient.sendCommand``).
  That server only relays a command (``handleSendCommand``) and answers ``{success,
  messageId}``: that answer is the command's ack. ``ack`` messages (``{commandId, success}``,
  the seed's ``CommandScheduler.sendAck``) and the scheduler's ``task_completed`` /
  ``task_failed`` / ``task_cancelled`` command messages are read too, when a server sends them.
* ``SEED000`` / ``GENERIC``: no command endpoint. Every command fails at once with
  :class:`CommandsUnsupported` ("commands not supported by this server"); :func:`command_support`
  says so up front, so the UI can disable its actions with that reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

import httpx
from pydantic import ValidationError

from monitor.client.aio import cancel_and_wait
from monitor.client.config import ClientConfig, request_headers, ssl_context
from monitor.client.engine import IncomingEvent, StreamEngine
from monitor.core.atomicfile import write_text_atomic
from monitor.core.lifecycle import ACTION_STATES, OPPOSITE_ACTIONS
from monitor.core.profile import ServerDialect
from monitor.core.protocol import (
    CommandAck,
    CommandAction,
    CommandStatus,
    CommandView,
    Message,
    MessagePriority,
    MessageType,
)

__all__ = [
    "RETRY_SCHEDULE_S",
    "UNSUPPORTED_REASON",
    "CommandCodec",
    "CommandError",
    "CommandSender",
    "CommandSpec",
    "CommandSupport",
    "CommandTimeout",
    "CommandWithdrawn",
    "CommandsUnsupported",
    "MonitorCodec",
    "Outgoing",
    "QueueFull",
    "Seed004Codec",
    "UnsupportedCodec",
    "codec_for",
    "command_support",
]

_log = logging.getLogger(__name__)

#: Seconds before each retry of a failed POST (the last repeats).
RETRY_SCHEDULE_S = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Ack timeout when a command has no ``timeout_ms`` of its own.
DEFAULT_ACK_TIMEOUT_MS = 30_000


class CommandError(Exception):
    """The server refused or failed the command (the message says why, plain text)."""

    def __init__(self, message: str, *, status: int | None = None, ack: CommandAck | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.ack = ack


class CommandTimeout(CommandError):
    """No final ack arrived in time."""


class CommandWithdrawn(CommandError):
    """Taken out of the outbox before it was sent: a later command for the task replaced it."""


class QueueFull(CommandError):
    """The outgoing queue is full of more urgent items."""


#: Why commands are refused on a server family without a command endpoint (plain text).
UNSUPPORTED_REASON: Final = "commands not supported by this server"


class CommandsUnsupported(CommandError):
    """The server has no command endpoint (its dialect has none): refused without a request."""


@dataclass(frozen=True, slots=True)
class CommandSupport:
    """Whether a server family takes commands, and if not, the reason the UI shows.

    Attributes:
        supported: True when commands (and messages) can be posted.
        reason: Plain text, "" when supported.
    """

    supported: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command as the caller asked for it, before a codec puts it into an envelope.

    Attributes:
        command_id: Our id for it; every ack names it.
        action: What to do.
        task_id: Which task, if any.
        params: Action parameters.
        timeout_ms: How long the server may take, if limited.
        require_ack: Whether we want an ack.
        priority: Scheduling priority.
        client_id: Our stable client id (where a server sends acks and direct messages).
    """

    command_id: str
    action: CommandAction
    task_id: str | None
    params: dict[str, Any]
    timeout_ms: int | None
    require_ack: bool
    priority: MessagePriority
    client_id: str


@dataclass(frozen=True, slots=True)
class PostAnswer:
    """What a 2xx answer to a POSTed command means.

    Attributes:
        ack: The final ack the answer carries (seed 004's ``{success: true}``); None when the
            answer is interim and the ack comes over the stream.
        refusal: A plain-text reason when the 2xx body says the command was not taken
            (seed 004's ``{success: false}``).
    """

    ack: CommandAck | None = None
    refusal: str | None = None


class CommandCodec:
    """How one server family encodes commands and messages and answers them.

    Subclasses set the class attributes and override the methods; the sender never tests the
    dialect itself.

    Attributes:
        dialect: The family this codec speaks.
        support: Whether commands can be sent at all.
        ack_event_types: Stream event types that may carry a command's outcome.
        has_status_endpoint: ``GET <commands>/{id}`` answers a command's status (reconcile on
            reconnect).
    """

    dialect: ServerDialect
    support: ClassVar[CommandSupport] = CommandSupport(True)
    ack_event_types: ClassVar[frozenset[str]] = frozenset({"ack"})
    has_status_endpoint: ClassVar[bool] = False

    def new_message_id(self) -> str:
        """A fresh envelope id."""
        return f"msg-{uuid.uuid4().hex}"

    def encode_command(self, spec: CommandSpec) -> dict[str, Any]:
        """The JSON body POSTed for ``spec``."""
        raise NotImplementedError

    def encode_message(
        self,
        message_id: str,
        mtype: MessageType,
        payload: Any,
        target: str | None,
        priority: MessagePriority,
        *,
        client_id: str,
    ) -> dict[str, Any]:
        """The JSON body POSTed to ``/api/messages`` for a text or JSON message."""
        body = self._envelope(message_id, mtype, priority, client_id, self._message_payload(mtype, payload))
        if target is not None:
            body["target"] = target
        return body

    def _envelope(
        self, message_id: str, mtype: MessageType, priority: MessagePriority, client_id: str, payload: Any
    ) -> dict[str, Any]:
        """This family's message envelope around ``payload`` (without a target)."""
        raise NotImplementedError

    def _message_payload(self, mtype: MessageType, payload: Any) -> Any:
        """What a text or JSON message carries as its envelope's payload."""
        return payload

    def read_post_answer(self, command_id: str, body: dict[str, Any], answer: Any) -> PostAnswer:
        """Interpret a 2xx answer (parsed JSON, or the text) to the command ``body``."""
        return PostAnswer()

    def read_ack(self, event_type: str, data: str) -> CommandAck | None:
        """A command's outcome from a stream event's data; None when it carries none."""
        return None


def _json_object(data: str) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack allows
        return None
    return value if isinstance(value, dict) else None


class MonitorCodec(CommandCodec):
    """``monitor serve``: flat ``CommandRequest`` bodies, 202 then final acks over the stream."""

    dialect = ServerDialect.MONITOR
    has_status_endpoint = True

    def encode_command(self, spec: CommandSpec) -> dict[str, Any]:
        body: dict[str, Any] = {
            "command_id": spec.command_id,
            "action": spec.action.value,
            "params": spec.params,
            "require_ack": spec.require_ack,
            "priority": int(spec.priority),
            "client_id": spec.client_id,
        }
        if spec.task_id is not None:
            body["task_id"] = spec.task_id
        if spec.timeout_ms is not None:
            body["timeout_ms"] = spec.timeout_ms
        return body

    def _envelope(
        self, message_id: str, mtype: MessageType, priority: MessagePriority, client_id: str, payload: Any
    ) -> dict[str, Any]:
        # MessageRequest: the server stamps the time and the source itself.
        return {"id": message_id, "type": mtype.value, "priority": int(priority), "payload": payload}

    def read_ack(self, event_type: str, data: str) -> CommandAck | None:
        try:
            message = Message.model_validate_json(data)
            return CommandAck.model_validate(message.payload)
        except (ValidationError, ValueError):
            pass
        try:
            return CommandAck.model_validate_json(data)
        except (ValidationError, ValueError):
            _log.warning("ack event skipped: not a CommandAck")
            return None


#: Seed 004's scheduler events (``CommandScheduler``: ``payload.event``) that end a command.
_SEED004_FINAL_EVENTS: Final = {
    "task_completed": CommandStatus.SUCCEEDED,
    "task_failed": CommandStatus.FAILED,
    "task_cancelled": CommandStatus.CANCELLED,
}


class Seed004Codec(CommandCodec):
    """Seed 004's Express server (``sse-notification-sdk.md`` §3.5 client, §4.1 server, §4.2 scheduler).

    Args:
        ack_from_stream: False (default): the relay answer ``{success: true, messageId}`` is the
            ack, as the seed's server as written never sends anything else. True: that answer is
            interim and the command waits for an ``ack`` message or a scheduler event (a server
            that wires the seed's ``CommandScheduler`` to its stream).
    """

    dialect = ServerDialect.SEED004
    ack_event_types = frozenset({"ack", "command"})

    def __init__(self, *, ack_from_stream: bool = False) -> None:
        self.ack_from_stream = ack_from_stream

    def encode_command(self, spec: CommandSpec) -> dict[str, Any]:
        # SSENotificationSDK.sendCommand: {id, type: 'command', priority, timestamp, source:
        # clientId, payload: {commandId, action, taskId, params, timeout, requireAck}}; JSON.stringify
        # drops the undefined keys. No target: handleSendCommand then broadcasts it.
        params = dict(spec.params)
        payload: dict[str, Any] = {"commandId": spec.command_id, "action": spec.action.value}
        if spec.task_id is not None:
            payload["taskId"] = spec.task_id
            # The SDK's own cancelTask/queryProgress put the task id in params ({taskId}), the
            # CommandMessage type has payload.taskId: both, so a handler written either way finds it.
            params.setdefault("taskId", spec.task_id)
        if params:
            payload["params"] = params
        if spec.timeout_ms is not None:
            payload["timeout"] = spec.timeout_ms
        payload["requireAck"] = spec.require_ack
        return self._envelope(
            self.new_message_id(), MessageType.COMMAND, spec.priority, spec.client_id, payload
        )

    def _envelope(
        self, message_id: str, mtype: MessageType, priority: MessagePriority, client_id: str, payload: Any
    ) -> dict[str, Any]:
        # The SDK's BaseMessage: {id, type, priority, timestamp, source, payload}.
        return {
            "id": message_id,
            "type": mtype.value,
            "priority": int(priority),
            "timestamp": int(time.time() * 1000),
            "source": client_id,
            "payload": payload,
        }

    def _message_payload(self, mtype: MessageType, payload: Any) -> Any:
        # SSENotificationSDK.sendText / sendJSON: text goes as payload {content}.
        return {"content": payload} if mtype is MessageType.TEXT else payload

    def read_post_answer(self, command_id: str, body: dict[str, Any], answer: Any) -> PostAnswer:
        # handleSendCommand answers {success: sent, messageId}; success is false only when a
        # target client is not connected.
        if not isinstance(answer, dict) or not isinstance(answer.get("success"), bool):
            return PostAnswer(refusal=f"unexpected answer from the server: {str(answer)[:200]}")
        if not answer["success"]:
            return PostAnswer(refusal="the server did not deliver the command (target not connected)")
        if self.ack_from_stream and body["payload"].get("requireAck"):
            return PostAnswer()
        return PostAnswer(ack=self._ack(command_id, CommandStatus.SUCCEEDED, body, result=answer))

    def read_ack(self, event_type: str, data: str) -> CommandAck | None:
        envelope = _json_object(data)
        payload = envelope.get("payload") if envelope is not None else None
        if not isinstance(payload, dict) or not isinstance(payload.get("commandId"), str):
            return None
        command_id: str = payload["commandId"]
        if event_type == "ack":
            success = payload.get("success")
            if not isinstance(success, bool):
                _log.warning("seed-004 ack for %s skipped: no boolean success", command_id[:64])
                return None
            status = CommandStatus.SUCCEEDED if success else CommandStatus.FAILED
            return self._ack(
                command_id, status, None, error=None if success else "the server reported failure"
            )
        # A scheduler event; our own command relayed back to us has no payload.event.
        status_or_none = _SEED004_FINAL_EVENTS.get(str(payload.get("event")))
        if status_or_none is None:
            return None
        error = payload.get("error")
        return self._ack(
            command_id,
            status_or_none,
            None,
            result=payload.get("result"),
            error=str(error)[:1000] if error is not None else None,
        )

    @staticmethod
    def _ack(
        command_id: str,
        status: CommandStatus,
        body: dict[str, Any] | None,
        *,
        result: Any = None,
        error: str | None = None,
    ) -> CommandAck:
        payload = body["payload"] if body is not None else {}
        return CommandAck(
            command_id=command_id,
            status=status,
            success=status is CommandStatus.SUCCEEDED,
            action=payload.get("action"),
            task_id=payload.get("taskId"),
            result=result,
            error=error,
        )


class UnsupportedCodec(CommandCodec):
    """A server family without a command endpoint (seed 000's backend, a generic SSE server)."""

    support = CommandSupport(False, UNSUPPORTED_REASON)

    def __init__(self, dialect: ServerDialect) -> None:
        self.dialect = dialect  # per instance: two dialects share this codec


def codec_for(dialect: ServerDialect, *, ack_from_stream: bool = False) -> CommandCodec:
    """The codec of a server family (see the module docstring).

    Args:
        dialect: The profile's dialect.
        ack_from_stream: Seed 004 only: see :class:`Seed004Codec`.
    """
    if dialect is ServerDialect.MONITOR:
        return MonitorCodec()
    if dialect is ServerDialect.SEED004:
        return Seed004Codec(ack_from_stream=ack_from_stream)
    return UnsupportedCodec(dialect)


def command_support(dialect: ServerDialect) -> CommandSupport:
    """Whether a server family takes commands at all (before any discovery), and why not.

    The UI combines this with discovered capabilities: an endpoint that discovery found
    missing is unsupported too.
    """
    return codec_for(dialect).support


@dataclass
class Outgoing:
    """One queued message or command."""

    id: str
    path: str
    body: dict[str, Any]
    priority: int
    require_ack: bool
    ack_timeout_ms: int
    created: float
    attempts: int = 0
    not_before: float = 0.0
    #: The dialect whose envelope ``body`` is (a persisted item is only sent to the same family).
    dialect: ServerDialect = ServerDialect.MONITOR
    #: A command's action and task (None for messages): one unsent state command per task.
    action: CommandAction | None = None
    task_id: str | None = None
    future: asyncio.Future[Any] | None = field(default=None, repr=False)
    on_success: Callable[[Any], Any] | None = field(default=None, repr=False)
    on_error: Callable[[CommandError], Any] | None = field(default=None, repr=False)
    on_timeout: Callable[[CommandError], Any] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "body": self.body,
            "priority": self.priority,
            "require_ack": self.require_ack,
            "ack_timeout_ms": self.ack_timeout_ms,
            "created": self.created,
            "attempts": self.attempts,
            "dialect": self.dialect.value,
            "action": None if self.action is None else self.action.value,
            "task_id": self.task_id,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Outgoing:
        return cls(
            id=str(obj["id"]),
            path=str(obj["path"]),
            body=dict(obj["body"]),
            priority=int(obj["priority"]),
            require_ack=bool(obj["require_ack"]),
            ack_timeout_ms=int(obj["ack_timeout_ms"]),
            created=float(obj["created"]),
            attempts=int(obj.get("attempts", 0)),
            dialect=ServerDialect(obj.get("dialect", ServerDialect.MONITOR.value)),
            action=None if obj.get("action") is None else CommandAction(obj["action"]),
            task_id=None if obj.get("task_id") is None else str(obj["task_id"]),
        )


class CommandSender:
    """Sends messages and commands with a bounded, persistent, retrying queue.

    Args:
        config: Client configuration (base URL, token, client id, queue size).
        engine: The stream engine whose ``ack`` events resolve commands (None: no acks; commands
            resolve on the server's 202).
        client: httpx client to use (not closed by us); None creates one.
        state_path: JSON file for unsent items (None: memory only).
        retry_schedule: Seconds before each retry.
        ack_margin_ms: Added to a command's ``timeout_ms`` to wait for its final ack (the
            server's own timeout answer must have time to arrive).
        clock: Monotonic seconds.
        dialect: The server family; None (the default): the profile's own dialect. Picks the codec.
        codec: A configured codec instead of ``codec_for(dialect)`` (e.g.
            ``Seed004Codec(ack_from_stream=True)``).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        engine: StreamEngine | None = None,
        client: httpx.AsyncClient | None = None,
        state_path: Path | None = None,
        retry_schedule: tuple[float, ...] = RETRY_SCHEDULE_S,
        ack_margin_ms: int = 5_000,
        clock: Callable[[], float] = time.monotonic,
        dialect: ServerDialect | None = None,
        codec: CommandCodec | None = None,
    ) -> None:
        self.config = config
        self.codec = codec or codec_for(dialect or config.profile.dialect)
        self._engine = engine
        self._client = client
        self._own_client = client is None
        self._state_path = state_path
        self._schedule = retry_schedule
        self._ack_margin_ms = ack_margin_ms
        self._clock = clock
        self._queue: list[Outgoing] = []
        self._posting: Outgoing | None = None  # in flight: no longer withdrawable
        self._awaiting_ack: dict[str, Outgoing] = {}
        self._ack_timers: dict[str, asyncio.TimerHandle] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._unsub_status: Callable[[], None] | None = None
        self._aux: set[asyncio.Task[None]] = set()
        self._started = False
        self._closed = False
        self.sent = 0
        self.failed = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Load persisted items, listen for acks, start sending.

        Raises:
            RuntimeError: Started twice or after :meth:`aclose`.
        """
        if self._started or self._closed:
            raise RuntimeError("CommandSender.start() called twice" if self._started else "sender is closed")
        self._started = True
        if self._client is None:
            self._client = httpx.AsyncClient(verify=ssl_context(self.config), trust_env=True)
        self._load()
        if self._engine is not None:
            engine = self._engine
            self._unsubscribe = [
                engine.subscribe(t, self._on_ack_event) for t in sorted(self.codec.ack_event_types)
            ]
            # Back online: retry now instead of waiting out the schedule.
            self._unsub_status = self._engine.on_status(
                lambda st: self._back_online() if st.state.value == "connected" else None
            )
        self._task = asyncio.create_task(self._run(), name="monitor-commands")

    async def aclose(self) -> None:
        """Stop sending (unsent items stay persisted), fail what waits for acks; idempotent."""
        self._closed = True
        for unsub in (*self._unsubscribe, self._unsub_status):
            if unsub is not None:
                unsub()
        task, self._task = self._task, None
        await cancel_and_wait(task, *self._aux)
        for timer in self._ack_timers.values():
            timer.cancel()
        self._ack_timers.clear()
        for item in list(self._awaiting_ack.values()):
            self._resolve_error(item, CommandError("closed before the server answered"))
        self._awaiting_ack.clear()
        for item in self._queue:
            if item.future is not None and not item.future.done():
                item.future.cancel()
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ API

    @property
    def support(self) -> CommandSupport:
        """Whether this server takes commands at all, and if not, why (for the UI)."""
        return self.codec.support

    @property
    def queue_size(self) -> int:
        """Items not yet accepted by the server."""
        return len(self._queue)

    def unsent(self) -> list[tuple[str | None, CommandAction | None]]:
        """(task id, action) of each item not yet accepted by the server (None for messages)."""
        return [(i.task_id, i.action) for i in self._queue]

    @property
    def awaiting_ack(self) -> int:
        """Commands accepted by the server whose final ack has not arrived."""
        return len(self._awaiting_ack)

    def clear_queue(self) -> int:
        """Drop every unsent item (their futures fail); returns how many."""
        dropped = list(self._queue)
        self._queue.clear()
        for item in dropped:
            self._resolve_error(item, CommandError("removed from the queue"))
        self._save()
        return len(dropped)

    def send_command(
        self,
        action: CommandAction | str,
        task_id: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        timeout_ms: int | None = None,
        require_ack: bool = True,
        priority: MessagePriority = MessagePriority.HIGH,
        on_success: Callable[[Any], Any] | None = None,
        on_error: Callable[[CommandError], Any] | None = None,
        on_timeout: Callable[[CommandError], Any] | None = None,
    ) -> asyncio.Future[Any]:
        """Queue a command; the future resolves with the final :class:`CommandAck`.

        Raises (through the future): :class:`CommandError`, :class:`CommandTimeout`,
        :class:`QueueFull`.
        """
        command_id = f"cmd-{uuid.uuid4().hex}"
        spec = CommandSpec(
            command_id=command_id,
            action=CommandAction(action),
            task_id=task_id,
            params=params or {},
            timeout_ms=timeout_ms,
            require_ack=require_ack,
            priority=priority,
            client_id=self.config.client_id,
        )
        item = Outgoing(
            id=command_id,
            path="/api/commands",
            body=self.codec.encode_command(spec) if self.codec.support.supported else {},
            dialect=self.codec.dialect,
            priority=int(priority),
            require_ack=require_ack and self._engine is not None,
            ack_timeout_ms=(timeout_ms or DEFAULT_ACK_TIMEOUT_MS) + self._ack_margin_ms,
            created=time.time(),
            action=spec.action,
            task_id=task_id,
            on_success=on_success,
            on_error=on_error,
            on_timeout=on_timeout,
        )
        return self._enqueue(item)

    def cancel(self, task_id: str, **kw: Any) -> asyncio.Future[Any]:
        """Cancel a task."""
        return self.send_command(CommandAction.CANCEL, task_id, **kw)

    def pause(self, task_id: str, **kw: Any) -> asyncio.Future[Any]:
        """Pause a task."""
        return self.send_command(CommandAction.PAUSE, task_id, **kw)

    def resume(self, task_id: str, **kw: Any) -> asyncio.Future[Any]:
        """Resume a paused task."""
        return self.send_command(CommandAction.RESUME, task_id, **kw)

    def retry(self, task_id: str, **kw: Any) -> asyncio.Future[Any]:
        """Run a failed or cancelled task again."""
        return self.send_command(CommandAction.RETRY, task_id, **kw)

    def query(self, task_id: str, **kw: Any) -> asyncio.Future[Any]:
        """Ask for a task's current state (the ack's ``result`` is the task)."""
        return self.send_command(CommandAction.QUERY, task_id, **kw)

    def send_text(
        self, text: str, *, target: str | None = None, priority: MessagePriority = MessagePriority.NORMAL
    ) -> asyncio.Future[Any]:
        """Send a text message (to ``target`` or everyone); resolves with the server's answer."""
        return self._message(MessageType.TEXT, text, target, priority)

    def send_json(
        self, payload: Any, *, target: str | None = None, priority: MessagePriority = MessagePriority.NORMAL
    ) -> asyncio.Future[Any]:
        """Send a JSON message."""
        return self._message(MessageType.JSON, payload, target, priority)

    def _message(
        self, mtype: MessageType, payload: Any, target: str | None, priority: MessagePriority
    ) -> asyncio.Future[Any]:
        message_id = self.codec.new_message_id()
        body = (
            self.codec.encode_message(
                message_id, mtype, payload, target, priority, client_id=self.config.client_id
            )
            if self.codec.support.supported
            else {}
        )
        item = Outgoing(
            id=message_id,
            path="/api/messages",
            body=body,
            dialect=self.codec.dialect,
            priority=int(priority),
            require_ack=False,
            ack_timeout_ms=0,
            created=time.time(),
        )
        return self._enqueue(item)

    # ------------------------------------------------------------------ queue

    def _enqueue(self, item: Outgoing) -> asyncio.Future[Any]:
        item.future = asyncio.get_running_loop().create_future()
        if self._closed:
            self._resolve_error(item, CommandError("the sender is closed"))
            return item.future
        if not self.codec.support.supported:
            # Refused here, typed, without a request: the server family has no such endpoint.
            self._resolve_error(item, CommandsUnsupported(self.codec.support.reason))
            return item.future
        folded = self._fold(item)
        if folded is not None:
            return folded
        if len(self._queue) >= self.config.message_queue_size:
            victim = min(self._queue, key=lambda i: (i.priority, i.created))
            if victim.priority > item.priority:
                self._resolve_error(item, QueueFull("the outgoing queue is full of more urgent items"))
                return item.future
            self._queue.remove(victim)
            self._resolve_error(victim, QueueFull("evicted from a full outgoing queue by a newer item"))
        self._queue.append(item)
        self._save()
        self._wake.set()
        return item.future

    def _fold(self, item: Outgoing) -> asyncio.Future[Any] | None:
        """Fold a state command into the unsent one for its task (see the module docstring).

        Returns:
            The future to hand back instead of queuing ``item``; None: queue it.
        """
        if item.task_id is None or item.action not in ACTION_STATES:
            return None
        earlier = next(
            (
                q
                for q in self._queue
                if q is not self._posting and q.task_id == item.task_id and q.action in ACTION_STATES
            ),
            None,
        )
        if earlier is None:
            return None
        if earlier.action is item.action:
            return earlier.future  # the same request again: one command, one answer
        assert item.action is not None
        assert earlier.action is not None
        self._queue.remove(earlier)
        self._withdraw(earlier, f"replaced by a later {item.action.value}")
        if OPPOSITE_ACTIONS.get(earlier.action) is item.action:
            self._withdraw(item, f"cancels out an unsent {earlier.action.value}")
            self._save()
            return item.future
        return None  # the later intent wins: queue it

    def _withdraw(self, item: Outgoing, why: str) -> None:
        if item.future is not None and not item.future.done():
            item.future.set_exception(CommandWithdrawn(why))
            item.future.exception()  # mark retrieved: callers may rely on callbacks only
        _call(item.on_error, CommandWithdrawn(why))

    def _back_online(self) -> None:
        self._retry_now()
        if self._awaiting_ack and self.codec.has_status_endpoint:
            # Acks published while we were away may precede the position the stream resumed
            # from (a fresh snapshot's cursor): ask the server for each command's outcome.
            task = asyncio.get_running_loop().create_task(self._reconcile_acks())
            self._aux.add(task)
            task.add_done_callback(self._aux.discard)

    async def _reconcile_acks(self) -> None:
        assert self._client is not None
        for command_id in list(self._awaiting_ack):
            try:
                response = await self._client.get(
                    f"{self.config.base_url}/api/commands/{command_id}",
                    headers=request_headers(self.config, self.config.auth_token),
                    timeout=self.config.connection_timeout / 1000.0,
                )
                if response.status_code != 200:
                    continue
                view = CommandView.model_validate_json(response.content)
            except (httpx.HTTPError, ValueError):  # pydantic's ValidationError is a ValueError
                continue
            if view.status.is_final:
                self._final_ack(view.as_ack())

    def _retry_now(self) -> None:
        for item in self._queue:
            item.not_before = 0.0
        self._wake.set()

    def _next(self) -> tuple[Outgoing | None, float | None]:
        now = self._clock()
        ready = [i for i in self._queue if i.not_before <= now]
        if ready:
            return max(ready, key=lambda i: (i.priority, -i.created)), None
        if self._queue:
            return None, min(i.not_before for i in self._queue) - now
        return None, None

    async def _run(self) -> None:
        while True:
            item, wait = self._next()
            if item is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                continue
            await self._post(item)

    def _headers(self, item: Outgoing) -> dict[str, str]:
        return request_headers(self.config, self.config.auth_token, **{"Idempotency-Key": item.id})

    async def _post(self, item: Outgoing) -> None:
        self._posting = item
        try:
            await self._post_once(item)
        finally:
            self._posting = None

    async def _post_once(self, item: Outgoing) -> None:
        assert self._client is not None
        item.attempts += 1
        if item.require_ack:
            # Registered before the POST: the server may send the final ack over the stream
            # before its 202 reaches us.
            self._awaiting_ack[item.id] = item
        try:
            response = await self._client.post(
                self.config.base_url + item.path,
                json=item.body,
                headers=self._headers(item),
                timeout=self.config.connection_timeout / 1000.0,
            )
        except httpx.HTTPError as exc:
            self._reschedule(item, f"{type(exc).__name__}")
            return
        code = response.status_code
        if code == 408 or code == 429 or code >= 500:
            self._reschedule(item, f"HTTP {code}")
            return
        if item in self._queue:
            self._queue.remove(item)
            self._save()
        if code >= 400:
            self._awaiting_ack.pop(item.id, None)
            self._resolve_error(item, CommandError(_error_text(response), status=code))
            return
        self.sent += 1
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        self._accepted(item, code, answer)

    def _accepted(self, item: Outgoing, code: int, answer: Any) -> None:
        """A 2xx ``answer``: settle ``item`` now, or start waiting for its final ack."""
        if item.path == "/api/commands":
            verdict = self.codec.read_post_answer(item.id, item.body, answer)
            if verdict.refusal is not None:
                self._awaiting_ack.pop(item.id, None)
                self._resolve_error(item, CommandError(verdict.refusal, status=code))
                return
            if verdict.ack is not None:
                if item.require_ack:
                    self._final_ack(verdict.ack)  # no-op when a stream ack overtook the answer
                else:
                    self._resolve_ok(item, verdict.ack)
                return
        if not item.require_ack:
            self._resolve_ok(item, answer)
            return
        if item.id in self._awaiting_ack:  # the final ack has not overtaken the 202
            loop = asyncio.get_running_loop()
            self._ack_timers[item.id] = loop.call_later(
                item.ack_timeout_ms / 1000.0, self._ack_timed_out, item.id
            )

    def _reschedule(self, item: Outgoing, why: str) -> None:
        delay = self._schedule[min(item.attempts - 1, len(self._schedule) - 1)]
        item.not_before = self._clock() + delay
        _log.info("sending %s failed (%s); retry %d in %.0f s", item.id, why, item.attempts, delay)
        self._save()

    # ------------------------------------------------------------------ acks

    def _on_ack_event(self, event: IncomingEvent) -> None:
        ack = self.codec.read_ack(event.type, event.data)
        if ack is not None and ack.status.is_final:
            self._final_ack(ack)

    def _final_ack(self, ack: CommandAck) -> None:
        item = self._awaiting_ack.pop(ack.command_id, None)
        if item is None:
            return
        if item in self._queue:  # answered while its POST was in flight or being retried
            self._queue.remove(item)
            self._save()
        timer = self._ack_timers.pop(ack.command_id, None)
        if timer is not None:
            timer.cancel()
        if ack.success:
            self._resolve_ok(item, ack)
        else:
            reason = ack.error or ack.status.value.replace("_", " ")
            self._resolve_error(item, CommandError(reason, ack=ack))

    def _ack_timed_out(self, command_id: str) -> None:
        self._ack_timers.pop(command_id, None)
        item = self._awaiting_ack.pop(command_id, None)
        if item is not None:
            seconds = item.ack_timeout_ms / 1000.0
            self._resolve_error(item, CommandTimeout(f"no answer from the server within {seconds:.0f} s"))

    # ------------------------------------------------------------------ outcomes

    def _resolve_ok(self, item: Outgoing, value: Any) -> None:
        if item.future is not None and not item.future.done():
            item.future.set_result(value)
        _call(item.on_success, value)

    def _resolve_error(self, item: Outgoing, error: CommandError) -> None:
        self.failed += 1
        if item.future is not None and not item.future.done():
            item.future.set_exception(error)
            item.future.exception()  # mark retrieved: callers may rely on callbacks only
        callback = item.on_timeout if isinstance(error, CommandTimeout) and item.on_timeout else item.on_error
        _call(callback, error)

    # ------------------------------------------------------------------ persistence

    def _load(self) -> None:
        path = self._state_path
        if path is None or not path.exists():
            return
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            items = [Outgoing.from_json(obj) for obj in raw.get("queue", [])]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            _log.warning("outgoing queue %s unreadable (%s); starting empty", path, exc)
            return
        loop = asyncio.get_running_loop()
        foreign = [i for i in items if i.dialect is not self.codec.dialect]
        if foreign:
            # Encoded for another server family (the profile's dialect changed): not sendable.
            _log.warning("dropping %d unsent item(s) encoded for another server dialect", len(foreign))
            items = [i for i in items if i.dialect is self.codec.dialect]
        for item in items[: self.config.message_queue_size]:
            item.future = loop.create_future()
            self._queue.append(item)

    def _save(self) -> None:
        path = self._state_path
        if path is None:
            return
        data = json.dumps({"version": 1, "queue": [i.to_json() for i in self._queue]})
        try:
            write_text_atomic(path, data)
        except OSError as exc:
            _log.warning("could not save the outgoing queue to %s: %s", path, exc)


def _call(callback: Callable[[Any], Any] | None, arg: Any) -> None:
    if callback is None:
        return
    try:
        callback(arg)
    except Exception:  # noqa: BLE001 - a caller's callback must not break the sender
        _log.exception("command callback failed")


def _error_text(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict):
            detail = body.get("detail") or body.get("error") or body.get("message")
            if detail:
                return f"HTTP {response.status_code}: {str(detail)[:300]}"
    return f"HTTP {response.status_code}: {response.text[:300]}"
