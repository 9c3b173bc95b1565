"""The wire protocol shared by the Monitor app, the headless client and the reference server.

One contract that both design seeds fit into (see ``docs/protocol.md`` for the prose version):

* The seed-004 envelope :class:`Message` with :class:`MessageType`, :class:`MessagePriority`
  and :class:`CommandAction` (plus ``retry``), used for chat-like messages, commands, acks,
  errors and seed-004 ``progress`` messages.
* Task lifecycle events carrying a :class:`Task` (full snapshot) or a :class:`TaskProgress`
  (a small delta for the hot path). The seed-000 names ``task_progress``, ``task_complete``,
  ``task_failed`` and ``heartbeat`` are ours too, and their ``jobId`` field is accepted.
* SSE framing rules: every event has ``id:`` (``<epoch>-<seq>``, opaque to clients, monotonic
  within one server epoch), ``event:`` = the type and ``data:`` = JSON. :func:`encode_frame`
  makes field injection impossible.

Models validate strictly (no silent coercion of ``"12"`` to ``12``, no NaN) with size limits, so
that a hostile or broken peer gets a clear error instead of corrupting state. Events from servers
ignore unknown fields (forward compatibility); request bodies sent *to* the server forbid them.

Time units: :class:`Task` times are Unix seconds (float); :attr:`Message.timestamp` is Unix
milliseconds (int), as in seed 004.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Final, NotRequired

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    with_config,
)
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

__all__ = [
    "EPOCH_HEADER",
    "MAX_DATA_BYTES",
    "MAX_ID_LENGTH",
    "RESERVED_TASK_IDS",
    "SENDABLE_MESSAGE_TYPES",
    "TASK_EVENT_TYPES",
    "TERMINAL_STATES",
    "BroadcastRequest",
    "CommandAccepted",
    "CommandAck",
    "CommandAction",
    "CommandRequest",
    "CommandStatus",
    "CommandView",
    "ConnectionInfo",
    "ErrorBody",
    "EventRecord",
    "EventType",
    "Health",
    "Heartbeat",
    "Message",
    "MessagePriority",
    "MessageRequest",
    "MessageSent",
    "MessageType",
    "PathId",
    "PollResponse",
    "ProgressPayload",
    "ResetNotice",
    "ShutdownNotice",
    "Snapshot",
    "Task",
    "TaskDetail",
    "TaskError",
    "TaskId",
    "TaskProgress",
    "TaskProgressData",
    "TaskRemoved",
    "TaskSnapshotEvent",
    "TaskState",
    "TaskSubmit",
    "WorkerReport",
    "WorkerReportKind",
    "encode_comment",
    "encode_frame",
    "json_size",
    "json_text_context",
    "stamp_event_id",
]

# ----------------------------------------------------------------------------- limits

#: Longest task id, message id, client id or event id we accept.
MAX_ID_LENGTH: Final = 128
#: Largest JSON payload (result, metadata, message payload) in bytes once encoded.
MAX_DATA_BYTES: Final = 256 * 1024
_MAX_NAME: Final = 512
_MAX_TEXT: Final = 4096
_MAX_DETAIL: Final = 64 * 1024

# Ids travel in SSE `id:` lines, HTTP headers and URLs: printable, no whitespace control chars.
_ID_RE: Final = r"^[^\x00-\x1f\x7f]+$"

TaskId = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, pattern=_ID_RE, strict=True)
]
_Id = TaskId
#: An id a client chooses for something the server then serves under ``/api/.../{id}`` (new tasks,
#: commands): also no ``/``, which no URL path segment can carry (``%2F`` is decoded before
#: routing), so such a task could never be fetched or deleted. Ids read from other servers keep
#: the looser :data:`TaskId`.
PathId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[^\x00-\x1f\x7f/]+$", strict=True),
]
#: Ids a new task cannot take: ``/api/tasks/poll`` and ``/api/tasks/stream`` are other resources,
#: so a task under such an id could never be fetched or deleted.
RESERVED_TASK_IDS: Final = ("poll", "stream")


def _not_reserved_task_id(value: str) -> str:
    if value in RESERVED_TASK_IDS:
        raise ValueError(f"task id {value!r} is reserved (it names another resource under /api/tasks/)")
    return value


_NewTaskId = Annotated[
    PathId,
    AfterValidator(_not_reserved_task_id),
    Field(json_schema_extra={"not": {"enum": list(RESERVED_TASK_IDS)}}),
]
_Name = Annotated[str, StringConstraints(min_length=1, max_length=_MAX_NAME, strict=True)]
_Text = Annotated[str, StringConstraints(max_length=_MAX_TEXT, strict=True)]
_Short = Annotated[str, StringConstraints(max_length=128, strict=True)]
_Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
_Timestamp = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]


def json_size(value: object) -> int:
    """Return the size in bytes of ``value`` encoded as compact JSON."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


# Re-encoding a value parsed from JSON text (compact, ensure_ascii=False) never takes more than 5x
# the text's UTF-8 size: strings and keys never grow (no escape is shorter than what it stands for),
# and the worst number is 1e15 -> 1000000000000000.0 (4.5x). So text of at most
# MAX_DATA_BYTES / 20 characters (4 bytes each at most) cannot hold an oversized value, and the
# size check can skip json.dumps, half the cost of validating a whole Task. The one value that
# cannot be re-encoded at all, a lone surrogate, needs a \ud800-\udfff escape: those keep the check.
_SIZE_PROVEN: Final = {"size_proven": True}
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]").search


def json_text_context(raw: str) -> dict[str, bool] | None:
    """Validation context for ``Model.model_validate_json(raw, context=...)``.

    Returns a context that lets the size validators skip re-encoding values when ``raw`` is too
    small to hold one over :data:`MAX_DATA_BYTES`, else None (check as usual).
    """
    if len(raw) * 20 <= MAX_DATA_BYTES and _SURROGATE_ESCAPE(raw) is None:
        return _SIZE_PROVEN
    return None


def _check_size(value: Any, what: str, info: ValidationInfo | None = None) -> Any:
    if info is not None and info.context is _SIZE_PROVEN:
        return value
    if value is not None and not isinstance(value, str | int | float | bool):
        if json_size(value) > MAX_DATA_BYTES:
            raise ValueError(f"{what} is larger than {MAX_DATA_BYTES} bytes of JSON")
    elif isinstance(value, str) and len(value) > MAX_DATA_BYTES:
        raise ValueError(f"{what} is larger than {MAX_DATA_BYTES} bytes")
    return value


def _payload_size(value: Any) -> Any:
    return _check_size(value, "payload")


# A seed-004 message's payload and metadata (the envelope and the request that makes one).
_Payload = Annotated[JsonValue, AfterValidator(_payload_size)]
_PayloadMetadata = Annotated[dict[str, JsonValue] | None, AfterValidator(_payload_size)]


class _Event(BaseModel):
    """Base for data that servers send: unknown fields are ignored, types are checked."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class _Request(BaseModel):
    """Base for bodies that clients send: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ----------------------------------------------------------------------------- seed 004 envelope


class MessageType(StrEnum):
    """Seed-004 message types (``MessageType``)."""

    TEXT = "text"
    JSON = "json"
    SYSTEM = "system"
    COMMAND = "command"
    HEARTBEAT = "heartbeat"
    ACK = "ack"
    ERROR = "error"
    PROGRESS = "progress"


class MessagePriority(IntEnum):
    """Seed-004 priorities; higher is more urgent."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3


def _integral(value: Any) -> Any:
    # JSON Schema's "integer" is any number without a fractional part, 3.0 included (what the
    # OpenAPI document promises): take such a float as its int. A bool is no integer and stays refused.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _priority(value: Any) -> MessagePriority:
    # Lax enum validation takes False for LOW (a bool is an int in Python) and "1" for NORMAL:
    # take only what the document's integer enum says.
    value = _integral(value)
    if type(value) is int or isinstance(value, MessagePriority):
        with contextlib.suppress(ValueError):
            return MessagePriority(value)
    allowed = ", ".join(str(p.value) for p in MessagePriority)
    raise ValueError(f"priority must be one of the integers {allowed}")


# Integers in request bodies: strict (no bool, no string), 3.0 taken as 3 (see ``_integral``).
_RequestMillis = Annotated[int, Field(ge=0, strict=True), BeforeValidator(_integral)]
_RequestTimeoutMs = Annotated[int, Field(ge=1, le=3_600_000, strict=True), BeforeValidator(_integral)]
_RequestAttempt = Annotated[int, Field(ge=1, le=1_000_000, strict=True), BeforeValidator(_integral)]
#: A priority in a request body: 0-3 as an integer, never a bool.
_RequestPriority = Annotated[MessagePriority, BeforeValidator(_priority)]
#: Types a client may send: ``heartbeat`` is the server's own, so the document leaves it out.
SENDABLE_MESSAGE_TYPES: Final = tuple(t for t in MessageType if t is not MessageType.HEARTBEAT)


def _sendable(value: MessageType) -> MessageType:
    if value not in SENDABLE_MESSAGE_TYPES:
        raise ValueError(f"type {value.value!r} is reserved for the server's heartbeat events")
    return value


_SendableType = Annotated[
    MessageType,
    AfterValidator(_sendable),
    WithJsonSchema({"type": "string", "enum": [t.value for t in SENDABLE_MESSAGE_TYPES]}),
]


class CommandAction(StrEnum):
    """Seed-004 command actions plus ``retry`` (a failed or cancelled task runs again)."""

    EXECUTE = "execute"
    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"
    QUERY = "query"
    SYNC = "sync"
    RETRY = "retry"


class Message(_Event):
    """The seed-004 envelope: ``{id, type, priority, timestamp, source, target?, payload, metadata?}``."""

    id: _Id
    type: MessageType
    priority: MessagePriority = MessagePriority.NORMAL
    timestamp: Annotated[int, Field(ge=0, strict=True)]
    source: _Short
    target: _Short | None = None
    payload: _Payload = None
    metadata: _PayloadMetadata = None


class MessageRequest(_Request):
    """Body of ``POST /api/messages`` and ``POST /api/direct/{clientId}``.

    ``id``, ``timestamp`` and ``source`` are optional: the server fills them in. A client that
    sets ``id`` gets idempotency for free (the same id twice is delivered once).
    """

    id: _Id | None = None
    type: _SendableType = MessageType.TEXT
    priority: _RequestPriority = MessagePriority.NORMAL
    timestamp: _RequestMillis | None = None
    source: _Short | None = None
    target: _Short | None = None
    payload: _Payload = None
    metadata: _PayloadMetadata = None


class BroadcastRequest(_Request):
    """Body of ``POST /api/broadcast`` (seed 004: ``{message, excludeClientId}``)."""

    message: MessageRequest
    exclude_client_id: _Short | None = Field(
        default=None, validation_alias=AliasChoices("exclude_client_id", "excludeClientId")
    )


# ----------------------------------------------------------------------------- tasks


class TaskState(StrEnum):
    """Lifecycle of a task. ``cancelling`` is a real state: the server asked, the worker has not
    stopped yet (Prefect and Dagster keep the same intermediate state)."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True for completed, failed and cancelled."""
        return self in TERMINAL_STATES


TERMINAL_STATES: Final = frozenset({TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED})


class TaskError(_Event):
    """Why a task failed: a one-line ``message`` and an optional ``detail`` (traceback, log tail)."""

    message: Annotated[str, StringConstraints(max_length=_MAX_TEXT, strict=True)]
    detail: Annotated[str, StringConstraints(max_length=_MAX_DETAIL, strict=True)] | None = None


class Task(_Event):
    """A full task snapshot.

    Attributes:
        id: Opaque, unique per server.
        name: Human label (for the first user: the audio file name).
        kind: What sort of job (``transcription``...), free text.
        state: See :class:`TaskState`.
        progress: 0-100.
        stage: What the task is doing now (``uploading``, ``transcribing``...).
        eta: Seconds remaining as estimated by the worker, if it knows.
        created_at / started_at / finished_at / updated_at: Unix seconds.
        attempt: 1 for the first run, +1 for each retry.
        worker: Which worker runs it.
        result: Any JSON the worker reports on completion.
        error: Why it failed.
        metadata: Free JSON for the job system.
    """

    id: TaskId
    name: _Name
    kind: Annotated[str, StringConstraints(max_length=64, strict=True)] = "task"
    state: TaskState = TaskState.QUEUED
    progress: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)] = 0.0
    stage: _Text | None = None
    eta: _Seconds | None = None
    created_at: _Timestamp
    started_at: _Timestamp | None = None
    finished_at: _Timestamp | None = None
    updated_at: _Timestamp | None = None
    attempt: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = 1
    worker: _Short | None = None
    result: JsonValue = None
    error: TaskError | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("result", "metadata")
    @classmethod
    def _limit(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_size(value, "result/metadata", info)


class EventType(StrEnum):
    """Every SSE ``event:`` name of the protocol: the one definition.

    Task news (``task_*``; ``task_progress``, ``task_complete`` and ``task_failed`` are seed 000's
    names, kept as they are so a seed-000 client works against our server and vice versa), the
    server's control events (``heartbeat``, ``reset``, ``shutdown``), and the seed-004 envelopes:
    ``ack`` and the other :class:`MessageType` values, plus ``message`` (SSE's default type).
    """

    TASK_CREATED = "task_created"
    TASK_UPDATED = "task_updated"
    TASK_PROGRESS = "task_progress"
    TASK_COMPLETE = "task_complete"
    TASK_FAILED = "task_failed"
    TASK_CANCELLED = "task_cancelled"
    TASK_REMOVED = "task_removed"
    HEARTBEAT = "heartbeat"
    RESET = "reset"
    SHUTDOWN = "shutdown"
    ACK = "ack"
    MESSAGE = "message"
    TEXT = "text"
    JSON = "json"
    SYSTEM = "system"
    COMMAND = "command"
    ERROR = "error"
    PROGRESS = "progress"

    @property
    def is_task(self) -> bool:
        """True for task news (``task_*``)."""
        return self.value.startswith("task_")


#: The task-news members of :class:`EventType` (a view of the enum, not a second list).
TASK_EVENT_TYPES: Final = frozenset(t for t in EventType if t.is_task)
#: Response header by which a server declares that its event ids are ``<epoch>-<seq>`` cursors and
#: names its current epoch (``monitor serve`` sends it on the stream, the snapshot and the poll).
#: Without it, ids are opaque strings: a ``-`` in an id (a UUID) means nothing.
EPOCH_HEADER: Final = "X-Monitor-Epoch"


class TaskSnapshotEvent(_Event):
    """Data of ``task_created``, ``task_updated``, ``task_complete``, ``task_failed``,
    ``task_cancelled``: the whole task after the change.

    For seed-000 clients the server also sends ``jobId`` (the task id), ``result`` on
    ``task_complete`` and ``error`` (the one-line message) on ``task_failed``, and ``id``, the
    event's own id (:func:`stamp_event_id`). Readers take everything from :attr:`task`.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, serialize_by_alias=True)

    task: Task
    job_id: TaskId | None = Field(
        default=None, validation_alias=AliasChoices("jobId", "job_id"), serialization_alias="jobId"
    )
    result: JsonValue = None
    error: JsonValue = None  # loose: another server's error object must not void the task in it

    @field_validator("result", "error")
    @classmethod
    def _limit(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_size(value, "result/error", info)

    @classmethod
    def of(cls, task: Task, event: EventType) -> str:
        """The JSON data of ``event`` for ``task`` (``result`` / ``error`` only where seed 000 reads them)."""
        if event is EventType.TASK_COMPLETE:
            return cls(task=task, job_id=task.id, result=task.result).model_dump_json(exclude={"error"})
        if event is EventType.TASK_FAILED:
            message = task.error.message if task.error is not None else "failed"
            return cls(task=task, job_id=task.id, error=message).model_dump_json(exclude={"result"})
        return cls(task=task, job_id=task.id).model_dump_json(exclude={"result", "error"})


_TASK_ID_ALIASES: Final = AliasChoices("jobId", "taskId", "task_id", "id")
_STAGE_ALIASES: Final = AliasChoices("stage", "description")
_Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]


class TaskProgress(_Event):
    """Data of ``task_progress``: the hot-path delta.

    The task id is sent as ``jobId`` (seed 000's name); ``taskId`` (seed 004) and, from older
    servers, ``id`` are accepted. (In our events ``id`` is the event's own id.)
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, serialize_by_alias=True)

    id: TaskId = Field(validation_alias=_TASK_ID_ALIASES, serialization_alias="jobId")
    progress: _Percent
    stage: _Text | None = Field(default=None, validation_alias=_STAGE_ALIASES)
    eta: _Seconds | None = None
    at: _Timestamp | None = None


@with_config(ConfigDict(extra="ignore"))
class TaskProgressData(TypedDict):
    """:class:`TaskProgress` as a plain dict, field for field and rule for rule.

    The client validates ``task_progress`` JSON into this on its hot path: pydantic builds a dict
    in 0.8 us where a model instance takes 1.5 us (``json.loads`` alone takes 2.1 us). A test
    checks that both accept and reject the same data.
    """

    id: Annotated[TaskId, Field(validation_alias=_TASK_ID_ALIASES)]
    progress: _Percent
    stage: NotRequired[Annotated[_Text | None, Field(validation_alias=_STAGE_ALIASES)]]
    eta: NotRequired[_Seconds | None]
    at: NotRequired[_Timestamp | None]


class TaskRemoved(_Event):
    """Data of ``task_removed``: the server forgot a task (retention or explicit delete).

    The task id travels as ``jobId`` like every task event's; ``id`` is accepted from older servers.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, serialize_by_alias=True)

    id: TaskId = Field(validation_alias=_TASK_ID_ALIASES, serialization_alias="jobId")


class ProgressPayload(_Event):
    """Payload of a seed-004 ``progress`` :class:`Message`.

    ``estimatedTimeRemaining`` is in milliseconds in seed 004; :attr:`eta` converts it to seconds.
    """

    task_id: TaskId = Field(validation_alias=AliasChoices("taskId", "task_id", "id"))
    progress: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]
    description: _Text | None = None
    estimated_time_remaining: Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)] | None = Field(
        default=None, validation_alias=AliasChoices("estimatedTimeRemaining", "estimated_time_remaining")
    )

    @property
    def eta(self) -> float | None:
        """Seconds remaining, or None."""
        ms = self.estimated_time_remaining
        return None if ms is None else ms / 1000.0


class Heartbeat(_Event):
    """Data of ``heartbeat``: the server's clock (Unix seconds) and the heartbeat interval (ms)."""

    server_time: _Timestamp
    interval_ms: Annotated[int, Field(ge=0, strict=True)] | None = None


class ResetNotice(_Event):
    """Data of ``reset``: the cursor a client sent cannot be resumed; refetch the snapshot."""

    reason: _Text
    cursor: _Short | None = None


class ShutdownNotice(_Event):
    """Data of ``shutdown``: the server is going away; reconnect after ``retry_ms``."""

    reason: _Text = "server shutting down"
    retry_ms: Annotated[int, Field(ge=0, strict=True)]


# ----------------------------------------------------------------------------- commands


class CommandStatus(StrEnum):
    """Where a command is. ``accepted`` is an interim ack; the others are final."""

    ACCEPTED = "accepted"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        """True once the command will not change any more."""
        return self not in (CommandStatus.ACCEPTED, CommandStatus.RUNNING)


class CommandRequest(_Request):
    """Body of ``POST /api/commands`` (the flat form; the server also unwraps a seed-004
    ``Message`` of type ``command`` whose ``payload`` has these fields in camelCase).

    Attributes:
        action: What to do.
        task_id: Which task (cancel, pause, resume, retry, query).
        command_id: Client-chosen id, echoed in every ack. The server makes one if absent.
        params: Action parameters.
        timeout_ms: How long the server may take before answering ``timed_out``.
        require_ack: Whether the client wants ack events (default yes).
        priority: Scheduling priority.
        client_id: Where acks go (else the ``X-Client-Id`` header).
    """

    action: CommandAction
    task_id: TaskId | None = Field(default=None, validation_alias=AliasChoices("task_id", "taskId"))
    command_id: PathId | None = Field(default=None, validation_alias=AliasChoices("command_id", "commandId"))
    params: dict[str, JsonValue] = Field(default_factory=dict)
    timeout_ms: _RequestTimeoutMs | None = Field(
        default=None, validation_alias=AliasChoices("timeout_ms", "timeout")
    )
    require_ack: Annotated[bool, Field(strict=True)] = Field(
        default=True, validation_alias=AliasChoices("require_ack", "requireAck")
    )
    priority: _RequestPriority = MessagePriority.HIGH
    client_id: _Short | None = Field(default=None, validation_alias=AliasChoices("client_id", "clientId"))

    @field_validator("params")
    @classmethod
    def _limit(cls, value: Any) -> Any:
        return _check_size(value, "params")


class CommandAck(_Event):
    """Payload of an ``ack`` :class:`Message` sent to the commanding client.

    ``success`` mirrors seed 004's ack; ``status`` says more.
    """

    command_id: _Id = Field(validation_alias=AliasChoices("command_id", "commandId"))
    status: CommandStatus
    success: Annotated[bool, Field(strict=True)]
    action: CommandAction | None = None
    task_id: TaskId | None = Field(default=None, validation_alias=AliasChoices("task_id", "taskId"))
    result: JsonValue = None
    error: _Text | None = None
    attempt: Annotated[int, Field(ge=0, strict=True)] = 0


# ----------------------------------------------------------------------------- publish side


class TaskSubmit(_Request):
    """Body of ``POST /api/tasks``: a job system announces a task."""

    id: _NewTaskId | None = None
    name: _Name
    kind: Annotated[str, StringConstraints(max_length=64, strict=True)] = "task"
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _limit(cls, value: Any) -> Any:
        return _check_size(value, "metadata")


class WorkerReportKind(StrEnum):
    """What a worker reports in ``POST /api/tasks/{id}/events``."""

    STARTED = "started"
    PROGRESS = "progress"
    PAUSED = "paused"
    RESUMED = "resumed"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class WorkerReport(_Request):
    """Body of ``POST /api/tasks/{id}/events``."""

    kind: WorkerReportKind
    progress: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)] | None = None
    stage: _Text | None = None
    eta: _Seconds | None = None
    worker: _Short | None = None
    result: JsonValue = None
    error: TaskError | None = None
    #: The attempt the worker is on, for job systems that retry on their own (Celery's
    #: ``self.retry()``); a higher one than the task's starts a new attempt, a lower one is ignored.
    attempt: _RequestAttempt | None = None

    @field_validator("result")
    @classmethod
    def _limit(cls, value: Any) -> Any:
        return _check_size(value, "result")


# ----------------------------------------------------------------------------- read side


class EventRecord(_Event):
    """One logged event as the poll endpoint returns it (seed 000: ``{id, type, data}``)."""

    id: _Short
    type: _Short
    data: JsonValue


class Snapshot(_Event):
    """``GET /api/tasks``: every task, and the log position the snapshot corresponds to.

    A client that applies this snapshot and then resumes the stream from ``cursor`` misses
    nothing and sees nothing twice.
    """

    tasks: list[Task]
    cursor: _Short | None = None
    epoch: _Short


class PollResponse(_Event):
    """``GET /api/tasks/poll?after=``: seed 000's polling fallback.

    ``reset`` is true when ``after`` could not be resumed (unknown or trimmed); the client then
    refetches the snapshot, exactly as with the stream's ``reset`` event.
    """

    events: list[EventRecord]
    last_event_id: _Short | None = Field(
        default=None,
        validation_alias=AliasChoices("lastEventId", "last_event_id"),
        serialization_alias="lastEventId",
    )
    reset: bool = False


class ErrorBody(_Event):
    """Every 4xx/5xx answer of the server: ``{"error": "...", "detail": ...}``."""

    error: _Text
    detail: JsonValue = None


class _CamelEvent(_Event):
    """A server answer whose JSON keys are camelCase (seed 004's style); built by field name."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, alias_generator=to_camel, serialize_by_alias=True
    )


class Health(_Event):
    """``GET /healthz``: liveness, the log's epoch, open streams and the server's version."""

    status: _Short
    epoch: _Short
    connections: Annotated[int, Field(ge=0, strict=True)]
    version: _Short


class TaskDetail(_Event):
    """``GET /api/tasks/{id}``: one task and its logged events (newest 200, oldest first)."""

    task: Task
    events: list[EventRecord]


_Millis = Annotated[int, Field(ge=0, strict=True)]


class CommandAccepted(_CamelEvent):
    """``POST /api/commands`` answer (202): the command's id; its outcome travels as ``ack`` events."""

    command_id: _Id
    status: CommandStatus = CommandStatus.ACCEPTED


class CommandView(_CamelEvent):
    """``GET`` / ``DELETE /api/commands/{id}``: where a command is (seed 004 ``getTaskStatus``).

    Times are Unix milliseconds.
    """

    command_id: _Id
    action: CommandAction
    task_id: TaskId | None = None
    client_id: _Short | None = None
    status: CommandStatus
    attempt: Annotated[int, Field(ge=0, strict=True)] = 0
    created_at: _Millis
    started_at: _Millis | None = None
    finished_at: _Millis | None = None
    result: JsonValue = None
    error: _Text | None = None

    def as_ack(self) -> CommandAck:
        """The ack this view amounts to (a client that missed the ack event asks for the view)."""
        return CommandAck(
            command_id=self.command_id,
            status=self.status,
            success=self.status is CommandStatus.SUCCEEDED,
            action=self.action,
            task_id=self.task_id,
            result=self.result,
            error=self.error,
            attempt=self.attempt,
        )


class MessageSent(_CamelEvent):
    """Answer of ``POST /api/messages``, ``/api/direct/{id}`` and ``/api/broadcast``.

    ``event_id`` is the logged event (absent for a broadcast that excludes a client: one event per
    recipient); ``sent_count`` is given by ``/api/broadcast`` only.
    """

    success: Annotated[bool, Field(strict=True)]
    message_id: _Id
    event_id: _Short | None = None
    sent_count: Annotated[int, Field(ge=0, strict=True)] | None = None


class ConnectionInfo(_CamelEvent):
    """One open stream in ``GET /api/connections`` (seed 004 fields plus the cursor reached)."""

    client_id: _Short
    connection_id: _Short
    created_at: _Millis
    last_active_at: _Millis
    uptime: _Millis
    cursor: _Short | None = None


# ----------------------------------------------------------------------------- SSE framing

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FORBIDDEN_IN_FIELD = re.compile(r"[\r\n\x00]")


def encode_frame(
    event: str | None,
    data: str,
    *,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """Encode one SSE event block, immune to field injection.

    Args:
        event: The ``event:`` field, or None for the default ``message`` type.
        data: The payload; each of its lines becomes one ``data:`` line, so a CR or LF inside it
            can never start a new field.
        id: The ``id:`` field.
        retry: A ``retry:`` value in milliseconds.

    Raises:
        ValueError: If ``event`` or ``id`` contains CR, LF or NUL (an ``id`` with NUL would be
            ignored by every compliant client; CR/LF would inject fields), or ``retry`` < 0.
    """
    parts: list[str] = []
    if id is not None:
        if _FORBIDDEN_IN_FIELD.search(id):
            raise ValueError("SSE id must not contain CR, LF or NUL")
        parts.append(f"id: {id}\n")
    if event is not None:
        if _FORBIDDEN_IN_FIELD.search(event) or not event:
            raise ValueError("SSE event type must be non-empty without CR, LF or NUL")
        parts.append(f"event: {event}\n")
    if retry is not None:
        if retry < 0 or not math.isfinite(retry):
            raise ValueError("SSE retry must be a non-negative integer")
        parts.append(f"retry: {int(retry)}\n")
    for line in _LINE_BREAK.split(data):
        parts.append(f"data: {line}\n")
    parts.append("\n")
    return "".join(parts).encode()


def stamp_event_id(data: str, event_id: str) -> str:
    """Put ``event_id`` first into ``data``, the JSON text of an object, as its ``id`` member.

    Task events carry their own event id as ``data.id``, so that a client that deduplicates on
    ``data.id`` (seed 000's does) drops exactly the events it saw twice, on the stream or the poll.

    Raises:
        ValueError: If ``data`` is not the text of a JSON object.
    """
    body = data.lstrip()
    if not body.startswith("{"):
        raise ValueError("only a JSON object can carry an event id")
    rest = body[1:].lstrip()
    return '{"id":' + json.dumps(event_id) + ("" if rest.startswith("}") else ",") + rest


def encode_comment(text: str = "") -> bytes:
    """Encode an SSE comment (keep-alive). Line breaks in ``text`` are replaced by spaces."""
    return (": " + _LINE_BREAK.sub(" ", text) + "\n\n").encode() if text else b":\n\n"
