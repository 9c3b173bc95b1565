"""Normalise every shape of task news into store input (:class:`TaskPatch`).

Three dialects reach the client (see ``docs/protocol.md`` and the seeds):

* ours: ``task_created`` / ``task_updated`` / ``task_complete`` / ``task_failed`` /
  ``task_cancelled`` with ``{"task": Task}``, ``task_progress`` with a :class:`TaskProgress`
  delta and ``task_removed``;
* seed 000: ``task_progress`` / ``task_complete`` / ``task_failed`` keyed by ``jobId`` with
  ``progress``, ``result`` and ``error`` (a string or an object);
* seed 004: :class:`Message` envelopes of type ``progress`` (payload ``taskId``, ``progress``,
  ``description``, ``estimatedTimeRemaining`` in ms) and ``command`` whose ``payload.event`` is
  ``task_submitted`` / ``task_cancelled`` / ``task_completed`` / ``task_failed``.

:func:`normalize` never raises: malformed or unknown input gives a :class:`NewsError` with a
reason that the caller logs and counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import JsonValue, ValidationError

from monitor.core.protocol import (
    TASK_EVENT_TYPES,
    Message,
    MessageType,
    ProgressPayload,
    Task,
    TaskError,
    TaskEventType,
    TaskProgress,
    TaskRemoved,
    TaskSnapshotEvent,
    TaskState,
)

__all__ = ["MESSAGE_EVENT_TYPES", "NewsError", "TaskPatch", "normalize"]

#: SSE ``event:`` names that carry a seed-004 :class:`Message` envelope.
MESSAGE_EVENT_TYPES: Final = frozenset({"message", "progress", "command"})

_MAX_ID = 128

_COMMAND_EVENTS: Final = {
    "task_submitted": TaskState.QUEUED,
    "task_cancelled": TaskState.CANCELLED,
    "task_completed": TaskState.COMPLETED,
    "task_failed": TaskState.FAILED,
}


@dataclass(frozen=True, slots=True)
class TaskPatch:
    """One change to one task. ``None`` means "not said by this news", never "cleared".

    Attributes:
        id: Which task.
        received_at: Local Unix time the news arrived (drives ETA and the timeline).
        source: The event name the patch came from (kept in the task's event log).
        full: True when the patch is a whole :class:`Task` snapshot (every field is authoritative).
        removed: True when the server forgot the task.
        placeholder: True when the task may be unknown and was named only by id (seed 004).
        result / result_set: The worker's result; ``result_set`` tells a JSON ``null`` from absence.
    """

    id: str
    received_at: float
    source: str = ""
    full: bool = False
    removed: bool = False
    placeholder: bool = False
    name: str | None = None
    kind: str | None = None
    state: TaskState | None = None
    progress: float | None = None
    stage: str | None = None
    eta: float | None = None
    created_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float | None = None
    attempt: int | None = None
    worker: str | None = None
    error: TaskError | None = None
    result: JsonValue = None
    result_set: bool = False
    metadata: dict[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewsError:
    """Why an event could not be turned into patches."""

    reason: str


def patch_from_task(task: Task, *, received_at: float, source: str = "snapshot") -> TaskPatch:
    """A full patch carrying every field of ``task``."""
    return TaskPatch(
        id=task.id,
        received_at=received_at,
        source=source,
        full=True,
        name=task.name,
        kind=task.kind,
        state=task.state,
        progress=task.progress,
        stage=task.stage,
        eta=task.eta,
        created_at=task.created_at,
        started_at=task.started_at,
        finished_at=task.finished_at,
        updated_at=task.updated_at,
        attempt=task.attempt,
        worker=task.worker,
        error=task.error,
        result=task.result,
        result_set=True,
        metadata=dict(task.metadata),
    )


def _short_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "data"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def _valid_id(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= _MAX_ID and value.isprintable():
        return value
    return None


def _error_of(value: object) -> TaskError | NewsError | None:
    """Seed 000/004 errors are a string or an object with ``message`` (and maybe ``detail``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return TaskError(message=value[:4096])
    if isinstance(value, dict):
        message = value.get("message", value.get("error"))
        detail = value.get("detail", value.get("stack"))
        if not isinstance(message, str):
            return NewsError("error object has no string 'message'")
        return TaskError(
            message=message[:4096], detail=detail[: 64 * 1024] if isinstance(detail, str) else None
        )
    return NewsError(f"error must be a string or an object, not {type(value).__name__}")


def _seed000_terminal(event_type: str, data: dict[str, Any], received_at: float) -> TaskPatch | NewsError:
    task_id = _valid_id(data.get("jobId", data.get("taskId", data.get("id"))))
    if task_id is None:
        return NewsError(f"{event_type}: no valid 'jobId'/'id'")
    if event_type == TaskEventType.COMPLETE:
        result = data.get("result")
        return TaskPatch(
            id=task_id,
            received_at=received_at,
            source=event_type,
            placeholder=True,
            state=TaskState.COMPLETED,
            result=result,
            result_set="result" in data,
        )
    error = _error_of(data.get("error"))
    if isinstance(error, NewsError):
        return NewsError(f"{event_type}: {error.reason}")
    return TaskPatch(
        id=task_id,
        received_at=received_at,
        source=event_type,
        placeholder=True,
        state=TaskState.FAILED,
        error=error or TaskError(message="failed"),
    )


def _from_message(data: object, received_at: float) -> list[TaskPatch] | NewsError:
    try:
        msg = Message.model_validate(data)
    except ValidationError as exc:
        return NewsError(f"message: {_short_errors(exc)}")
    if msg.type is MessageType.PROGRESS:
        try:
            p = ProgressPayload.model_validate(msg.payload)
        except ValidationError as exc:
            return NewsError(f"progress message: {_short_errors(exc)}")
        return [
            TaskPatch(
                id=p.task_id,
                received_at=received_at,
                source="progress",
                placeholder=True,
                progress=p.progress,
                stage=p.description,
                eta=p.eta,
            )
        ]
    if msg.type is MessageType.COMMAND:
        payload = msg.payload
        if not isinstance(payload, dict):
            return NewsError("command message: payload is not an object")
        event = payload.get("event")
        if not isinstance(event, str) or event not in _COMMAND_EVENTS:
            return NewsError(f"command message: not task news (event={event!r})")
        task_id = _valid_id(payload.get("taskId"))
        if task_id is None:
            return NewsError(f"command message {event}: no valid 'taskId'")
        state = _COMMAND_EVENTS[event]
        error = _error_of(payload.get("error")) if state is TaskState.FAILED else None
        if isinstance(error, NewsError):
            return NewsError(f"command message {event}: {error.reason}")
        return [
            TaskPatch(
                id=task_id,
                received_at=received_at,
                source=event,
                placeholder=True,
                state=state,
                created_at=msg.timestamp / 1000.0 if state is TaskState.QUEUED else None,
                error=error or (TaskError(message="failed") if state is TaskState.FAILED else None),
                result=payload.get("result"),
                result_set="result" in payload and state is TaskState.COMPLETED,
            )
        ]
    return NewsError(f"message of type {msg.type.value!r} is not task news")


def normalize(event_type: str, data: object, *, received_at: float) -> list[TaskPatch] | NewsError:
    """Turn one decoded SSE event into store patches.

    Args:
        event_type: The SSE ``event:`` name (``message`` for none).
        data: The parsed JSON ``data:``.
        received_at: Local Unix time of arrival.

    Returns:
        The patches (possibly several for one event), or a :class:`NewsError` saying why the
        event was skipped. Never raises.
    """
    try:
        return _normalize(event_type, data, received_at)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raise on network input"
        return NewsError(f"{event_type}: unexpected {type(exc).__name__}: {exc}")


def _normalize(event_type: str, data: object, received_at: float) -> list[TaskPatch] | NewsError:
    if event_type in MESSAGE_EVENT_TYPES:
        return _from_message(data, received_at)
    if event_type not in TASK_EVENT_TYPES:
        return NewsError(f"unknown event type {event_type!r}")
    if not isinstance(data, dict):
        return NewsError(f"{event_type}: data is not a JSON object")
    if event_type == TaskEventType.REMOVED:
        try:
            removed = TaskRemoved.model_validate(data)
        except ValidationError as exc:
            return NewsError(f"{event_type}: {_short_errors(exc)}")
        return [TaskPatch(id=removed.id, received_at=received_at, source=event_type, removed=True)]
    if "task" in data:
        try:
            snap = TaskSnapshotEvent.model_validate(data)
        except ValidationError as exc:
            return NewsError(f"{event_type}: {_short_errors(exc)}")
        if event_type == TaskEventType.PROGRESS:
            event_type = TaskEventType.UPDATED
        return [patch_from_task(snap.task, received_at=received_at, source=event_type)]
    if event_type == TaskEventType.PROGRESS:
        try:
            prog = TaskProgress.model_validate(data)
        except ValidationError as exc:
            return NewsError(f"{event_type}: {_short_errors(exc)}")
        return [
            TaskPatch(
                id=prog.id,
                received_at=received_at,
                source=event_type,
                placeholder=True,
                progress=prog.progress,
                stage=prog.stage,
                eta=prog.eta,
                updated_at=prog.at,
            )
        ]
    if event_type in (TaskEventType.COMPLETE, TaskEventType.FAILED):
        patch = _seed000_terminal(event_type, data, received_at)
        return patch if isinstance(patch, NewsError) else [patch]
    return NewsError(f"{event_type}: expected {{'task': Task}}")
