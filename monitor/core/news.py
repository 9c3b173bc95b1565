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

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from typing import Annotated, Any, Final, NamedTuple, NotRequired, Protocol, cast

from pydantic import BaseModel, ConfigDict, Field, Json, JsonValue, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from monitor.core.protocol import (
    TASK_EVENT_TYPES,
    EventType,
    Message,
    MessageType,
    ProgressPayload,
    Task,
    TaskError,
    TaskProgress,
    TaskProgressData,
    TaskRemoved,
    TaskSnapshotEvent,
    TaskState,
    json_text_context,
)

__all__ = [
    "MESSAGE_EVENT_TYPES",
    "PATCH_FIELDS",
    "NewsError",
    "RawEvent",
    "TaskPatch",
    "decode_news",
    "decode_news_batch",
    "normalize",
]

#: SSE ``event:`` names that carry a seed-004 :class:`Message` envelope.
MESSAGE_EVENT_TYPES: Final = frozenset({EventType.MESSAGE, EventType.PROGRESS, EventType.COMMAND})

_MAX_ID = 128

#: Events whose data is ``{"task": Task}`` in our dialect.
_FULL_TASK_EVENTS: Final = frozenset(
    {
        EventType.TASK_CREATED,
        EventType.TASK_UPDATED,
        EventType.TASK_COMPLETE,
        EventType.TASK_FAILED,
        EventType.TASK_CANCELLED,
    }
)

_PROGRESS_DATA: Final = TypeAdapter(TaskProgressData).validate_json
# Each item is parsed on its own (Json[...]), so event boundaries stay exact; one call for a whole
# read costs 0.55 us per event against 0.85 us for one call per event.
_PROGRESS_BATCH: Final = TypeAdapter(list[Json[TaskProgressData]]).validate_python
_SIZE_PROVEN: Final = json_text_context("{}")


def _plain_twin(model: type[BaseModel], name: str, swap: dict[Any, Any]) -> Any:
    """A TypedDict with ``model``'s fields, types, constraints and aliases (``swap`` replaces a
    field's type, e.g. a nested model by its twin); absent fields stay absent (no defaults).

    Field validators are not carried over: the twins are used only where the size validators
    are provably no-ops (texts within json_text_context), and test_news checks that these models
    have no other validators.
    """
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation = swap.get(info.annotation) or info.rebuild_annotation()
        if info.validation_alias is not None:
            annotation = Annotated[annotation, Field(validation_alias=info.validation_alias)]
        fields[field_name] = annotation if info.is_required() else NotRequired[annotation]
    twin = cast(Any, TypedDict)(name, fields)
    twin.__pydantic_config__ = ConfigDict(extra="ignore")
    return twin


#: Task as a plain dict (built from the model, so the two cannot drift), and the data of a
#: whole-task event likewise: pydantic validates into dicts in 3.5 us where the models take
#: 5.2 us (no instances, no fields-set bookkeeping), measured on the ingest stream.
_TaskData: Final = _plain_twin(Task, "_TaskData", {})
_TaskEventData: Final = _plain_twin(TaskSnapshotEvent, "_TaskEventData", {Task: _TaskData})
#: Whole-task events whose texts are all provably small (json_text_context): one call per read.
_SNAPSHOT_BATCH: Final = TypeAdapter(list[Json[_TaskEventData]]).validate_python  # type: ignore[valid-type]
#: What an absent field of a task reads as (the model's defaults; metadata: one shared empty dict).
_TASK_DEFAULTS: Final[dict[str, Any]] = {
    name: info.get_default(call_default_factory=True)
    for name, info in Task.model_fields.items()
    if not info.is_required()
}
# A progress event that carries a whole task is a full update (normalize's rule): such data, and
# anything that merely mentions "task", takes the general path.
_TASK_KEY: Final = '"task"'
_PROGRESS: Final = EventType.TASK_PROGRESS.value

#: The metadata of a patch that says none: shared, never mutated (the store keeps only non-empty ones).
_NO_METADATA: Final[dict[str, JsonValue]] = {}
_new: Final[Any] = tuple.__new__


_COMMAND_EVENTS: Final = {
    "task_submitted": TaskState.QUEUED,
    "task_cancelled": TaskState.CANCELLED,
    "task_completed": TaskState.COMPLETED,
    "task_failed": TaskState.FAILED,
}


# A named tuple, on purpose: the hot paths build one with a single C call (``tuple.__new__``) from
# a tuple of its 22 values: 0.02 us against 2.4 us for a slots dataclass's __init__ (22 attribute
# stores) and 4.1 us for a frozen one (object.__setattr__), measured on the ingest stream, where
# a patch is built for every event (docs/performance.md, R1).
class TaskPatch(NamedTuple):
    """One change to one task. ``None`` means "not said by this news", never "cleared".

    Immutable (a named tuple). ``metadata`` defaults to one shared empty dict: never mutate it.

    Attributes:
        id: Which task.
        received_at: Local Unix time the news arrived (drives ETA and the timeline).
        source: The event name the patch came from (kept in the task's event log).
        full: True when the patch is a whole :class:`Task` snapshot (every field is authoritative).
        removed: True when the server forgot the task.
        result / result_set: The worker's result; ``result_set`` tells a JSON ``null`` from absence.
        delta: True for a progress delta: nothing but ``progress``, ``stage``, ``eta`` and
            ``updated_at`` is said (the store's fast path trusts this; only the progress
            builders here set it).
    """

    id: str
    received_at: float
    source: str = ""
    full: bool = False
    removed: bool = False
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
    metadata: dict[str, JsonValue] = _NO_METADATA
    delta: bool = False


@dataclass(frozen=True, slots=True)
class NewsError:
    """Why an event could not be turned into patches."""

    reason: str


#: The task fields a patch carries, in TaskPatch's order (``full`` and ``removed`` before them;
#: ``result``, ``result_set``, ``metadata`` and ``delta`` after them).
PATCH_FIELDS: Final = (
    "name",
    "kind",
    "state",
    "progress",
    "stage",
    "eta",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "attempt",
    "worker",
    "error",
)
# A task's values for them and its result, in one C call on the model's field dict (pydantic keeps
# every field there): 0.3 us against 1.4 us for 14 attribute reads. test_news checks the mapping
# field by field.
_TASK_VALUES: Final = itemgetter(*PATCH_FIELDS, "result")


def patch_from_task(task: Task, *, received_at: float, source: str = "snapshot") -> TaskPatch:
    """A full patch carrying every field of ``task``."""
    return _full_patch(task.__dict__, received_at, source)


def _full_patch(fields: dict[str, Any], received_at: float, source: str) -> TaskPatch:
    # ``fields``: every field of a validated task by name (a model's __dict__, or its plain twin
    # with the defaults filled in). Positional, in field order: a third faster than 22 keywords on a
    # path that runs for every task of a snapshot. The metadata dict is shared, not copied: nothing
    # mutates it and the store keeps it as it is, one dict per task, not two.
    # full=True, removed=False, the task's values, result_set=True, its metadata, delta=False.
    args = (
        fields["id"],
        received_at,
        source,
        True,
        False,
        *_TASK_VALUES(fields),
        True,
        fields["metadata"],
        False,
    )
    return _new(TaskPatch, args)  # type: ignore[no-any-return]


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
    if event_type == EventType.TASK_COMPLETE:
        result = data.get("result")
        return TaskPatch(
            id=task_id,
            received_at=received_at,
            source=event_type,
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
    if event_type == EventType.TASK_REMOVED:
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
        if event_type == EventType.TASK_PROGRESS:
            event_type = EventType.TASK_UPDATED
        return [patch_from_task(snap.task, received_at=received_at, source=event_type)]
    if event_type == EventType.TASK_PROGRESS:
        try:
            prog = TaskProgress.model_validate(data)
        except ValidationError as exc:
            return NewsError(f"{event_type}: {_short_errors(exc)}")
        return [
            TaskPatch(
                id=prog.id,
                received_at=received_at,
                source=event_type,
                progress=prog.progress,
                stage=prog.stage,
                eta=prog.eta,
                updated_at=prog.at,
                delta=True,
            )
        ]
    if event_type in (EventType.TASK_COMPLETE, EventType.TASK_FAILED):
        patch = _seed000_terminal(event_type, data, received_at)
        return patch if isinstance(patch, NewsError) else [patch]
    return NewsError(f"{event_type}: expected {{'task': Task}}")


def decode_news(event_type: str, raw: str, *, received_at: float) -> list[TaskPatch] | NewsError:
    """:func:`normalize` for the raw ``data:`` text of a task event, faster on the hot path.

    Our own dialect's ``task_progress`` and ``{"task": Task}`` events are validated straight from
    the JSON text by pydantic, without ``json.loads`` first: a progress event costs 2.0 us in all,
    where ``json.loads`` alone takes 2.1 us. Anything else, including every invalid event, goes through
    ``json.loads`` and :func:`normalize`, so the result and the error text are the same as
    :func:`normalize` gives for the parsed data.

    Args:
        event_type: The SSE ``event:`` name.
        raw: The event's data string.
        received_at: Local Unix time of arrival.

    Returns:
        The patches, or a :class:`NewsError` (also for data that is not JSON). Never raises.
    """
    try:
        if event_type == EventType.TASK_PROGRESS:
            if _TASK_KEY not in raw:
                return [_progress_patch(_PROGRESS_DATA(raw), received_at)]
        elif event_type in _FULL_TASK_EVENTS:
            snap = TaskSnapshotEvent.model_validate_json(raw, context=json_text_context(raw))
            return [patch_from_task(snap.task, received_at=received_at, source=event_type)]
    except ValidationError:
        pass  # not our dialect, or invalid: the general path below says which
    except Exception as exc:  # noqa: BLE001 - the contract is "never raise on network input"
        return NewsError(f"{event_type}: unexpected {type(exc).__name__}: {exc}")
    try:
        data = json.loads(raw)
    except ValueError:
        return NewsError(f"{event_type}: data is not JSON")
    except RecursionError:
        # Not a ValueError: JSON nested deeper than Python's recursion limit (a 1,000-deep array).
        return NewsError(f"{event_type}: data is nested too deeply")
    return normalize(event_type, data, received_at=received_at)


class RawEvent(Protocol):
    """An event as the decoder or the engine delivers it: its type and its data text."""

    @property
    def type(self) -> str:
        """The SSE ``event:`` name."""

    @property
    def data(self) -> str:
        """The data text."""


def decode_news_batch(
    events: Sequence[RawEvent], *, received_at: float
) -> tuple[list[TaskPatch], list[tuple[int, NewsError]]]:
    """:func:`decode_news` for the task events of one network read, in one pass.

    Our dialect's progress deltas (the bulk of a busy stream) are validated with one pydantic
    call for the whole read. If any of them is invalid, they all go through :func:`decode_news`
    one by one, so that every error is the same as it would be alone.

    Args:
        events: Task events (``type`` in :data:`~monitor.core.protocol.TASK_EVENT_TYPES`), in order.
        received_at: Local Unix time of arrival.

    Returns:
        The patches of all valid events in order, and ``(index, error)`` for each event skipped.
        Never raises.
    """
    quick = [e.type == _PROGRESS and _TASK_KEY not in e.data for e in events]
    batch: list[TaskProgressData] = []
    if sum(quick) > 1:
        try:
            batch = _PROGRESS_BATCH([e.data for e in compress(events, quick)])
        except Exception:  # noqa: BLE001 - never raise on network input
            # Usually a ValidationError: one bad event. Then each goes on its own below, so that
            # its error is exact and the good ones are kept.
            batch = []
    if batch and len(batch) == len(events):  # the usual busy read: progress deltas only
        return [_progress_patch(data, received_at) for data in batch], []
    validated = iter(batch)
    # Whole tasks likewise, those whose text is provably within the size limits (json_text_context).
    whole = [e.type in _FULL_TASK_EVENTS and json_text_context(e.data) is not None for e in events]
    snaps: list[dict[str, Any]] = []
    if sum(whole) > 1:
        try:
            snaps = _SNAPSHOT_BATCH([e.data for e in compress(events, whole)], context=_SIZE_PROVEN)
        except Exception:  # noqa: BLE001 - never raise on network input; one by one below
            snaps = []
    snapped = iter(snaps)
    patches: list[TaskPatch] = []
    errors: list[tuple[int, NewsError]] = []
    for i, event in enumerate(events):
        if batch and quick[i]:
            patches.append(_progress_patch(next(validated), received_at))
            continue
        if snaps and whole[i]:
            patches.append(_full_patch(_TASK_DEFAULTS | next(snapped)["task"], received_at, event.type))
            continue
        try:
            news = decode_news(event.type, event.data, received_at=received_at)
        except Exception as exc:  # noqa: BLE001 - never raise: one bad event must not cost the read
            news = NewsError(f"{event.type}: unexpected {type(exc).__name__}: {exc}")
        if isinstance(news, NewsError):
            errors.append((i, news))
        else:
            patches.extend(news)
    return patches, errors


def _progress_patch(data: TaskProgressData, received_at: float) -> TaskPatch:
    # One C call from a tuple in field order: the hottest line of the ingest path.
    # test_news checks the mapping field by field.
    return _new(  # type: ignore[no-any-return]
        TaskPatch,
        (
            data["id"],
            received_at,
            _PROGRESS,
            False,  # full
            False,  # removed
            None,  # name
            None,  # kind
            None,  # state
            data["progress"],
            data.get("stage"),
            data.get("eta"),
            None,  # created_at
            None,  # started_at
            None,  # finished_at
            data.get("at"),
            None,  # attempt
            None,  # worker
            None,  # error
            None,  # result
            False,  # result_set
            _NO_METADATA,  # shared: nothing mutates a patch, and the store keeps only non-empty ones
            True,  # delta
        ),
    )
